//! `ferry serve --model ... --threads N`: each server model serves calls from real clients and
//! drains on SIGTERM.

use std::{
    io::{BufRead, BufReader, Read},
    process::{Child, ChildStderr, Command, ExitStatus, Output, Stdio},
    thread::JoinHandle,
    time::{Duration, Instant},
};

use ferry::{Client, NoError};

const FERRY: &str = env!("CARGO_BIN_EXE_ferry");

/// Connections opened at once against a thread-per-core server: enough that the kernel's
/// spreading leaves no listener without some.
const CONNECTIONS: usize = 64;

/// A `ferry serve` process, stopped with SIGTERM when dropped.
struct Served {
    child: Child,
    address: String,
    stderr: Option<JoinHandle<String>>,
}

impl Served {
    /// Starts `ferry serve --listen 127.0.0.1:0 ARGS...` and waits for its listening line.
    fn start(args: &[&str]) -> Served {
        let mut child = Command::new(FERRY)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("ferry serve starts");
        let mut stderr = BufReader::new(child.stderr.take().expect("stderr is piped"));
        let mut line = String::new();
        stderr
            .read_line(&mut line)
            .expect("ferry serve writes to stderr");
        assert!(
            line.starts_with("ferry: serving calc, echo on "),
            "unexpected first line: {line:?}"
        );
        let address = line
            .trim_end()
            .rsplit(" on ")
            .next()
            .expect("an address")
            .to_owned();
        let stderr = Some(std::thread::spawn(move || rest(stderr)));
        Served {
            child,
            address,
            stderr,
        }
    }

    fn call(&self, args: &[&str]) -> Output {
        Command::new(FERRY)
            .args([&["call", &self.address], args].concat())
            .output()
            .expect("ferry call runs")
    }

    /// Sends SIGTERM and waits (bounded) for the exit; returns the status and the rest of stderr.
    fn stop(mut self) -> (ExitStatus, String) {
        terminate(&self.child);
        let status = wait_bounded(&mut self.child);
        let stderr = self.stderr.take().expect("stopped once");
        (status, stderr.join().expect("stderr reader finishes"))
    }

    /// The port's listening sockets, from the kernel's table.
    fn listening_sockets(&self) -> usize {
        let port = self.address.rsplit(':').next().expect("a port");
        let port = format!(":{:04X}", port.parse::<u16>().expect("a numeric port"));
        let table = std::fs::read_to_string("/proc/net/tcp").expect("/proc/net/tcp is readable");
        table
            .lines()
            .filter_map(|line| {
                let mut fields = line.split_whitespace();
                Some((fields.nth(1)?.to_owned(), fields.nth(1)?.to_owned()))
            })
            .filter(|(local, state)| local.ends_with(&port) && state == "0A")
            .count()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn rest(mut stderr: BufReader<ChildStderr>) -> String {
    let mut text = String::new();
    let _ = stderr.read_to_string(&mut text);
    text
}

fn terminate(child: &Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
}

fn wait_bounded(child: &mut Child) -> ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().expect("the child can be waited for") {
            return status;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    panic!("ferry serve did not exit within 30 s of SIGTERM");
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// `ferry call` gets the right answers from the server.
fn assert_serves_calls(served: &Served) {
    let sum = served.call(&["calc.add", "2", "3"]);
    assert_eq!((sum.status.code(), stdout(&sum).as_str()), (Some(0), "5\n"));
    let echoed = served.call(&["echo.ping", "hello"]);
    assert_eq!(
        (echoed.status.code(), stdout(&echoed).as_str()),
        (Some(0), "\"hello\"\n")
    );
}

fn assert_drains(served: Served) {
    let (status, stderr) = served.stop();
    assert_eq!(status.code(), Some(0), "stderr: {stderr}");
}

/// Opens `CONNECTIONS` connections at once and makes one call on each; returns them still open.
async fn call_on_many_connections(address: &str) -> Vec<Client> {
    let calls: Vec<_> = (0..CONNECTIONS)
        .map(|i| {
            tokio::spawn(connect_and_call(
                address.to_owned(),
                format!("connection {i}"),
            ))
        })
        .collect();
    let mut clients = Vec::new();
    for call in calls {
        let client = call.await.expect("the task runs");
        clients.push(client.expect("every connection is answered"));
    }
    clients
}

async fn connect_and_call(address: String, text: String) -> Result<Client, ferry::CallError> {
    let client = Client::connect(address.as_str()).await?;
    let echoed: String = client
        .call::<_, _, NoError>("echo.ping".into(), &[&text], false)
        .await?;
    assert_eq!(echoed, text);
    Ok(client)
}

#[test]
fn multi_thread_serves_calls_and_exits_0_on_sigterm() {
    let served = Served::start(&["--model", "multi-thread", "--threads", "2"]);
    assert_serves_calls(&served);
    assert_drains(served);
}

#[test]
fn one_thread_is_one_event_loop_that_serves_calls() {
    let served = Served::start(&["--threads", "1"]);
    assert_serves_calls(&served);
    assert_drains(served);
}

#[test]
fn thread_per_core_serves_calls_and_exits_0_on_sigterm() {
    let served = Served::start(&["--model", "thread-per-core", "--threads", "1"]);
    assert_serves_calls(&served);
    assert_drains(served);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thread_per_core_answers_on_every_listener_and_drains_them_all() {
    let served = Served::start(&["--model", "thread-per-core", "--threads", "2"]);
    assert_eq!(served.listening_sockets(), 2, "one listener per thread");
    let clients = call_on_many_connections(&served.address).await;
    assert_serves_calls(&served);
    // Connections still open on both threads: SIGTERM must drain every server.
    let stopping = tokio::task::spawn_blocking(move || served.stop());
    let (status, stderr) = stopping.await.expect("stopping runs");
    assert_eq!(status.code(), Some(0), "stderr: {stderr}");
    drop(clients);
}

#[test]
fn thread_per_core_refuses_several_threads_on_a_unix_socket() {
    let path = std::env::temp_dir().join(format!("ferry-models-{}.sock", std::process::id()));
    let listen = format!("unix:{}", path.display());
    let output = Command::new(FERRY)
        .args([
            "serve",
            "--listen",
            &listen,
            "--model",
            "thread-per-core",
            "--threads",
            "2",
        ])
        .output()
        .expect("ferry serve runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "stderr: {stderr}");
    assert!(stderr.contains("needs a TCP address"), "stderr: {stderr}");
}
