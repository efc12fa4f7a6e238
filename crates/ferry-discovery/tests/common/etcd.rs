//! A real etcd on 127.0.0.1 for tests, from Debian's `etcd-server` package: a fresh data dir
//! under the temp dir, ports of its own, killed and restarted on demand. It needs nothing
//! but std, so other crates' tests can include this file alone:
//!
//! ```ignore
//! #[path = "../../ferry-discovery/tests/common/etcd.rs"]
//! mod etcd;
//! ```
//!
//! Its calls block (up to 20 s while etcd starts); from a tokio test, use the multi-thread
//! runtime so that the test's tasks run on while one of them waits.

// Each test file uses its own part of it, and its items are public for the includer only.
#![allow(dead_code, unreachable_pub)]

use std::{
    fs::{self, OpenOptions},
    io::{Read, Write},
    net::{SocketAddr, TcpListener, TcpStream},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::atomic::{AtomicU32, Ordering},
    thread,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

/// How long etcd may take to answer its health check after being spawned.
const STARTUP: Duration = Duration::from_secs(20);
/// Tries with new ports when another process took one between choosing and binding it.
const PORT_TRIES: usize = 3;

/// One etcd member, a cluster of its own. Dropping it kills etcd and removes its files.
#[derive(Debug)]
pub struct EtcdServer {
    client_port: u16,
    peer_port: u16,
    /// Holds the data dirs and the log.
    dir: PathBuf,
    /// The data dir in use; `restart_fresh` moves to a new one.
    data: PathBuf,
    fresh_starts: u32,
    child: Option<Child>,
}

impl EtcdServer {
    /// Starts etcd and returns once it answers its health check. Panics when etcd is not
    /// installed, or does not come up (with the tail of its log).
    pub fn start() -> EtcdServer {
        let mut last_failure = String::new();
        for _ in 0..PORT_TRIES {
            let (client_port, peer_port) = free_ports();
            let dir = unique_dir();
            let mut server = EtcdServer {
                client_port,
                peer_port,
                data: dir.join("data-0"),
                dir,
                fresh_starts: 0,
                child: None,
            };
            match server.spawn() {
                Ok(()) => return server,
                Err(failure) if failure.contains("address already in use") => {
                    last_failure = failure;
                }
                Err(failure) => panic!("{failure}"),
            }
        }
        panic!("{last_failure}");
    }

    /// Where clients connect: `127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("127.0.0.1:{}", self.client_port)
    }

    /// Kills etcd (SIGKILL, no goodbye to its clients) and waits for it to be gone.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Kills etcd if it runs, and starts it again on the same data and ports.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn().unwrap_or_else(|failure| panic!("{failure}"));
    }

    /// Kills etcd if it runs, and starts a new, empty one on the same ports: every key and
    /// lease is gone, as after losing etcd's disk.
    pub fn restart_fresh(&mut self) {
        self.kill();
        let _ = fs::remove_dir_all(&self.data);
        self.fresh_starts += 1;
        self.data = self.dir.join(format!("data-{}", self.fresh_starts));
        self.spawn().unwrap_or_else(|failure| panic!("{failure}"));
    }

    /// The value of one of etcd's Prometheus metrics (`GET /metrics`), e.g.
    /// `etcd_debugging_mvcc_watcher_total`, the watches open now; `None` when etcd does not
    /// answer or has no such metric.
    pub fn metric(&self, name: &str) -> Option<f64> {
        let address = SocketAddr::from(([127, 0, 0, 1], self.client_port));
        let answer = http_get(address, "/metrics")?;
        answer.lines().find_map(|line| {
            let value = line.strip_prefix(name)?.strip_prefix(' ')?;
            value.trim().parse().ok()
        })
    }

    fn spawn(&mut self) -> Result<(), String> {
        let binary = etcd_binary();
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())
            .map_err(|error| format!("etcd's log {}: {error}", self.log_path().display()))?;
        let client_url = format!("http://127.0.0.1:{}", self.client_port);
        let peer_url = format!("http://127.0.0.1:{}", self.peer_port);
        let child = Command::new(&binary)
            .arg("--name=test")
            .arg(format!("--data-dir={}", self.data.display()))
            .arg(format!("--listen-client-urls={client_url}"))
            .arg(format!("--advertise-client-urls={client_url}"))
            .arg(format!("--listen-peer-urls={peer_url}"))
            .arg(format!("--initial-advertise-peer-urls={peer_url}"))
            .arg(format!("--initial-cluster=test={peer_url}"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(|error| error.to_string())?)
            .stderr(log)
            .spawn()
            .map_err(|error| format!("spawning {}: {error}", binary.display()))?;
        self.child = Some(child);
        self.wait_healthy()
    }

    /// Polls etcd's `GET /health` until it says it is healthy (it has a leader and serves
    /// reads), etcd exits, or the startup time runs out.
    fn wait_healthy(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + STARTUP;
        let address = SocketAddr::from(([127, 0, 0, 1], self.client_port));
        loop {
            let child = self.child.as_mut().expect("etcd was spawned");
            if let Ok(Some(status)) = child.try_wait() {
                self.child = None;
                return Err(self.failure(&format!("etcd exited ({status})")));
            }
            if healthy(address) {
                return Ok(());
            }
            if Instant::now() > deadline {
                self.kill();
                return Err(self.failure(&format!("etcd was not healthy within {STARTUP:?}")));
            }
            thread::sleep(Duration::from_millis(50));
        }
    }

    fn failure(&self, what: &str) -> String {
        let log = fs::read_to_string(self.log_path()).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        let tail = lines[lines.len().saturating_sub(30)..].join("\n");
        format!("{what}; the end of {}:\n{tail}", self.log_path().display())
    }

    fn log_path(&self) -> PathBuf {
        self.dir.join("etcd.log")
    }
}

impl Drop for EtcdServer {
    fn drop(&mut self) {
        self.kill();
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// `/usr/bin/etcd`, else `etcd` on the PATH.
fn etcd_binary() -> PathBuf {
    let debian = Path::new("/usr/bin/etcd");
    if debian.is_file() {
        return debian.to_owned();
    }
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join("etcd"))
        .find(|candidate| candidate.is_file())
        .expect(
            "etcd not found: install Debian's etcd-server package (apt-get install etcd-server)",
        )
}

/// Two ports nothing listens on now. Both listeners are held until both are chosen, so the
/// two differ; another process may still take one before etcd binds it, which
/// [`EtcdServer::start`] answers with new ports.
fn free_ports() -> (u16, u16) {
    let bind = || TcpListener::bind("127.0.0.1:0").expect("binding a port on 127.0.0.1");
    let (client, peer) = (bind(), bind());
    let port = |listener: &TcpListener| listener.local_addr().expect("a bound port").port();
    (port(&client), port(&peer))
}

/// A new directory under the temp dir, named for this process, a counter and the time, so
/// that tests in parallel and runs one after another never share one.
fn unique_dir() -> PathBuf {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos());
    let name = format!(
        "ferry-etcd-{}-{}-{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let dir = std::env::temp_dir().join(name);
    fs::create_dir_all(&dir).unwrap_or_else(|error| panic!("creating {}: {error}", dir.display()));
    dir
}

/// Whether etcd at `address` answers `GET /health` with `{"health":"true"}`.
fn healthy(address: SocketAddr) -> bool {
    http_get(address, "/health").is_some_and(|answer| answer.contains(r#""health":"true""#))
}

/// The whole answer (head and body) to `GET path` on etcd's client port, or `None` when etcd
/// does not answer within a second or two.
fn http_get(address: SocketAddr, path: &str) -> Option<String> {
    let patience = Duration::from_secs(1);
    let mut stream = TcpStream::connect_timeout(&address, patience).ok()?;
    stream.set_read_timeout(Some(patience)).ok()?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    Some(answer)
}
