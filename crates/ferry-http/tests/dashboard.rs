//! The dashboard in a real browser: headless Chromium (Debian's `chromium`) loads `/status`
//! from a live server that a native client keeps busy, and the DOM it renders after a few
//! seconds of virtual time is read back with `--dump-dom`. Virtual time runs the page's
//! one-second polling at once while each fetch still waits for the real server, so the page
//! updates several times in a second or two of wall clock. Only counts and presence are
//! asserted, never times.

mod common;

use std::{
    fs::{self, File},
    io::{BufRead, BufReader, Write},
    net::{TcpListener, TcpStream},
    os::unix::process::CommandExt,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{
        atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering},
        Arc, Mutex,
    },
    thread::{self, JoinHandle},
    time::{Duration, Instant},
};

use common::TestServer;
use ferry::{CallError, CallOptions, Client};
use ferry_http::HttpConfig;
use serde_json::{json, Value};

/// How long one Chromium run may take on the wall clock before it is killed: only so that the
/// test ends by itself. Generous, as a browser on a busy 2-core CI machine can take long to start.
const BROWSER_TIMEOUT: Duration = Duration::from_secs(120);
/// How long the test waits for the load to show in the server's figures.
const LOAD_WAIT: Duration = Duration::from_secs(30);
/// One browser at a time: two at once on two cores, beside the server and its load, starve each
/// other.
static ONE_BROWSER: Mutex<()> = Mutex::new(());
/// Virtual milliseconds the page runs before its DOM is dumped: about five polls.
const VIRTUAL_MS: u64 = 5000;

/// Calls made continuously over one native connection until dropped: `calc.add`, and every
/// tenth call a `calc.divide` by zero, so the page has errors to show.
struct Load {
    stop: Arc<AtomicBool>,
    made: Arc<AtomicU64>,
    thread: Option<JoinHandle<()>>,
}

impl Load {
    fn start(address: &str) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let made = Arc::new(AtomicU64::new(0));
        let (address, flag, counter) = (address.to_owned(), stop.clone(), made.clone());
        let thread = thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(make_calls(address, flag, counter));
        });
        Load {
            stop,
            made,
            thread: Some(thread),
        }
    }

    fn made(&self) -> u64 {
        self.made.load(Ordering::SeqCst)
    }

    /// Waits until `n` more calls than now have been answered.
    fn wait_for_more(&self, n: u64) {
        let target = self.made() + n;
        wait_until("the load made more calls", || self.made() >= target);
    }
}

impl Drop for Load {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let joined = thread.join();
            if !thread::panicking() {
                joined.expect("the load ends cleanly");
            }
        }
    }
}

async fn make_calls(address: String, stop: Arc<AtomicBool>, made: Arc<AtomicU64>) {
    let client = Client::connect(address.as_str())
        .await
        .expect("a native connection to the test server");
    let options = CallOptions::new();
    let mut i: i64 = 0;
    while !stop.load(Ordering::SeqCst) {
        let sum: i64 = client
            .call("calc.add", &json!([i, 1]), &options)
            .await
            .expect("calc.add answers");
        assert_eq!(sum, i + 1);
        if i % 10 == 0 {
            let by_zero = json!([1.0, 0.0]);
            let divided = client.call::<_, f64>("calc.divide", &by_zero, &options);
            let failed = divided.await.expect_err("a division by zero fails");
            assert!(matches!(failed, CallError::Application(_)), "{failed}");
        }
        i += 1;
        made.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// Polls `done` until it holds, for [`LOAD_WAIT`] at most.
fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + LOAD_WAIT;
    while !done() {
        assert!(Instant::now() < deadline, "timed out: {what}");
        thread::sleep(Duration::from_millis(20));
    }
}

/// Waits until the server's own figures show the load: `calc.add` called in the last second
/// and `calc.divide` failed, so the page has a rate and errors to draw.
fn wait_for_figures(server: &TestServer) {
    wait_until("the server's figures show the load", || {
        let status = server.get("/status.json").json();
        let add = method(&status, "calc.add");
        let divide = method(&status, "calc.divide");
        add["rate"].as_f64().unwrap_or(0.0) > 0.0
            && divide["errors"]["application"].as_u64() > Some(0)
    });
}

fn method<'a>(status: &'a Value, name: &str) -> &'a Value {
    let methods = status["methods"].as_array().expect("a list of methods");
    let found = methods.iter().find(|m| m["name"] == name);
    found.unwrap_or_else(|| panic!("{name} is not in /status.json"))
}

/// Headless Chromium: `/usr/bin/chromium` or `chromium` on `PATH`, else the test fails.
fn chromium() -> PathBuf {
    let debian = PathBuf::from("/usr/bin/chromium");
    if debian.is_file() {
        return debian;
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join("chromium"))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| {
            panic!(
                "the dashboard test needs headless Chromium: install Debian's chromium \
                 (apt-get install chromium)"
            )
        })
}

/// A directory of the test's own under the system's temporary one, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let name = format!("ferry-dashboard-{}-{n}", std::process::id());
        let dir = std::env::temp_dir().join(name);
        fs::create_dir_all(&dir).expect("a temporary directory");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// One Chromium run in a process group of its own, killed with its children if it outlives
/// [`BROWSER_TIMEOUT`] or the test.
struct Browser {
    child: Child,
    dir: TempDir,
}

impl Browser {
    /// Starts Chromium on `url` with `budget_ms` of virtual time, dumping the DOM into a file.
    fn dump_dom(url: &str, budget_ms: u64) -> Browser {
        let dir = TempDir::new();
        let profile = dir.0.join("profile");
        let child = Command::new(chromium())
            .args(browser_args(&profile, budget_ms))
            .arg("--dump-dom")
            .arg(url)
            .stdin(Stdio::null())
            .stdout(File::create(dir.0.join("dom.html")).expect("a file for the DOM"))
            .stderr(File::create(dir.0.join("stderr.txt")).expect("a file for stderr"))
            .process_group(0)
            .spawn()
            .unwrap_or_else(|err| panic!("cannot start chromium ({err})"));
        Browser { child, dir }
    }

    /// Waits for Chromium to exit, for [`BROWSER_TIMEOUT`] at most; the DOM it dumped.
    fn dom(mut self) -> String {
        let deadline = Instant::now() + BROWSER_TIMEOUT;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("chromium's status") {
                break status;
            }
            assert!(
                Instant::now() < deadline,
                "chromium ran over {BROWSER_TIMEOUT:?}: {}",
                self.stderr()
            );
            thread::sleep(Duration::from_millis(50));
        };
        assert!(
            status.success(),
            "chromium failed ({status}): {}",
            self.stderr()
        );
        let dom = fs::read_to_string(self.dir.0.join("dom.html")).expect("the dumped DOM");
        assert!(dom.contains("</html>"), "no DOM dumped: {}", self.stderr());
        dom
    }

    /// The end of what Chromium wrote to stderr, for failure messages.
    fn stderr(&self) -> String {
        let bytes = fs::read(self.dir.0.join("stderr.txt")).unwrap_or_default();
        let start = bytes.len().saturating_sub(2000);
        String::from_utf8_lossy(&bytes[start..]).into_owned()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            // Still running, so the group (numbered after it) is ours: end it all.
            let group = format!("-{}", self.child.id());
            let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn browser_args(profile: &Path, budget_ms: u64) -> Vec<String> {
    [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ]
    .iter()
    .map(|arg| (*arg).to_owned())
    .chain([
        format!("--user-data-dir={}", profile.display()),
        format!("--virtual-time-budget={budget_ms}"),
    ])
    .collect()
}

/// The page as Chromium rendered it, read with plain string search.
struct Page(String);

impl Page {
    fn load(address: &str) -> Page {
        Page(Browser::dump_dom(&format!("http://{address}/status"), VIRTUAL_MS).dom())
    }

    /// The start tag of the first element whose start tag contains `marker`.
    fn tag(&self, marker: &str) -> Option<&str> {
        start_tag(&self.0, marker)
    }

    /// Attribute `name` of the element with `marker` in its start tag.
    fn attribute(&self, marker: &str, name: &str) -> String {
        let tag = self
            .tag(marker)
            .unwrap_or_else(|| panic!("no element with {marker}"));
        attribute(tag, name).unwrap_or_else(|| panic!("no {name} in {tag}"))
    }

    /// The number an element shows, from its `data-value`.
    fn figure(&self, id: &str) -> f64 {
        number(&self.attribute(&format!("id=\"{id}\""), "data-value"))
    }

    fn body(&self, name: &str) -> f64 {
        number(&self.attribute("<body", name))
    }

    /// The row of method `name`, from its `<tr>` to its `</tr>`.
    fn row(&self, name: &str) -> Option<&str> {
        let marker = format!("data-method=\"{name}\"");
        let at = self.0.find(&marker)?;
        let start = self.0[..at].rfind("<tr")?;
        let end = at + self.0[at..].find("</tr>")?;
        Some(&self.0[start..end])
    }

    /// The `data-value` of the cell (or badge) with `marker` in method `name`'s row.
    fn cell(&self, name: &str, marker: &str) -> String {
        let row = self
            .row(name)
            .unwrap_or_else(|| panic!("no row for {name}"));
        let tag = start_tag(row, marker).unwrap_or_else(|| panic!("no {marker} in {row}"));
        attribute(tag, "data-value").unwrap_or_else(|| panic!("no data-value in {tag}"))
    }
}

fn start_tag<'a>(html: &'a str, marker: &str) -> Option<&'a str> {
    let at = html.find(marker)?;
    let start = html[..at].rfind('<')?;
    let end = at + html[at..].find('>')?;
    Some(&html[start..=end])
}

fn attribute(tag: &str, name: &str) -> Option<String> {
    let key = format!(" {name}=\"");
    let at = tag.find(&key)? + key.len();
    let len = tag[at..].find('"')?;
    Some(tag[at..at + len].to_owned())
}

fn number(text: &str) -> f64 {
    text.parse()
        .unwrap_or_else(|_| panic!("not a number: {text:?}"))
}

#[test]
fn the_dashboard_shows_live_figures_that_change_in_a_real_browser() {
    let _alone = ONE_BROWSER
        .lock()
        .unwrap_or_else(|poison| poison.into_inner());
    let server = TestServer::start(HttpConfig::default());
    let load = Load::start(&server.address);
    wait_for_figures(&server);

    let first = Page::load(&server.address);
    assert!(
        first.body("data-updates") >= 2.0,
        "it updated without a reload"
    );
    assert_eq!(first.body("data-failures"), 0.0);
    assert!(first.body("data-latest-calls") >= first.body("data-first-calls"));
    assert_eq!(
        first.attribute("id=\"version\"", "data-value"),
        env!("CARGO_PKG_VERSION")
    );
    assert!(first.0.contains(&format!("v{}", env!("CARGO_PKG_VERSION"))));
    for service in ["calc", "echo"] {
        let marker = format!("data-service=\"{service}\"");
        assert!(first.tag(&marker).is_some(), "service {service} listed");
    }
    assert!(first.tag("data-limit=\"max_frame_len\"").is_some());

    assert!(first.figure("total-calls") > 0.0);
    assert!(first.figure("total-rate") > 0.0);
    assert!(first.figure("conn-native") >= 1.0, "the load's connection");
    assert!(first.figure("conn-http") >= 1.0, "the browser's own");

    assert!(number(&first.cell("calc.add", "class=\"calls\"")) > 0.0);
    assert!(number(&first.cell("calc.add", "class=\"rate\"")) > 0.0);
    for quantile in ["p50", "p99"] {
        let shown = first.cell("calc.add", &format!("class=\"{quantile}\""));
        assert!(!shown.is_empty(), "calc.add has a {quantile}");
    }
    assert!(
        first.row("calc.add").unwrap().contains("<svg"),
        "a sparkline"
    );
    let errors = first.cell("calc.divide", "data-status=\"application\"");
    assert!(number(&errors) > 0.0, "division errors as a badge");

    let idle = first
        .tag("data-method=\"calc.quotients\"")
        .expect("an idle row");
    assert!(attribute(idle, "class").is_some_and(|c| c.contains("idle")));
    let busy = first.tag("data-method=\"calc.add\"").unwrap();
    assert!(!attribute(busy, "class")
        .unwrap_or_default()
        .contains("idle"));
    assert!(
        first.row("_other._other").is_none(),
        "no unknown method called"
    );

    load.wait_for_more(100);
    let second = Page::load(&server.address);
    assert!(second.body("data-updates") >= 2.0);
    assert!(
        second.figure("total-calls") > first.body("data-latest-calls"),
        "the calls shown grew between two loads under load"
    );
    drop(load);
}

/// A stand-in server that serves the page at `/status` and then drops every connection
/// without an answer, as a server that went away does; stopped when dropped.
struct Vanishing {
    address: String,
    requests: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Vanishing {
    fn start(page: Vec<u8>) -> Vanishing {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener
            .set_nonblocking(true)
            .expect("a non-blocking listener");
        let address = listener.local_addr().unwrap().to_string();
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(AtomicU64::new(0));
        let (flag, counter) = (stop.clone(), requests.clone());
        let thread = thread::spawn(move || {
            while !flag.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((socket, _)) => answer_or_vanish(socket, &page, &counter),
                    Err(_) => thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        Vanishing {
            address,
            requests,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Vanishing {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let joined = thread.join();
            if !thread::panicking() {
                joined.expect("the stand-in server ends cleanly");
            }
        }
    }
}

/// Answers a request for `/status` with `page`; closes any other unanswered.
fn answer_or_vanish(socket: TcpStream, page: &[u8], requests: &AtomicU64) {
    socket.set_nonblocking(false).expect("a blocking socket");
    socket
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("a read timeout");
    let mut reader = BufReader::new(&socket);
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    requests.fetch_add(1, Ordering::SeqCst);
    if line.starts_with("GET /status ") {
        let head = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\n\
             content-length: {}\r\nconnection: close\r\n\r\n",
            page.len()
        );
        let _ = (&socket).write_all(&[head.as_bytes(), page].concat());
    }
}

#[test]
fn the_dashboard_shows_a_banner_and_retries_when_the_server_is_gone() {
    let _alone = ONE_BROWSER
        .lock()
        .unwrap_or_else(|poison| poison.into_inner());
    let page = TestServer::start(HttpConfig::default()).get("/status").body;
    let gone = Vanishing::start(page);
    let shown = Page(Browser::dump_dom(&format!("http://{}/status", gone.address), 4000).dom());
    assert_eq!(shown.body("data-updates"), 0.0);
    assert!(shown.body("data-failures") >= 2.0, "it kept retrying");
    let banner = shown.tag("id=\"banner\"").expect("a banner");
    assert!(!banner.contains("hidden"), "the banner shows: {banner}");
    assert!(shown.0.contains("Cannot reach the server"));
    assert!(
        gone.requests.load(Ordering::SeqCst) >= 3,
        "page and retries"
    );
}
