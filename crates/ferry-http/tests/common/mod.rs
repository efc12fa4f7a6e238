//! A real server on 127.0.0.1 running the demo services with the HTTP dialect, and blocking
//! HTTP/1.1 clients over raw sockets, so a test sends exactly the bytes it means. Tests on
//! tokio's paused clock use [`local`] instead.

#![allow(dead_code, unreachable_pub)]

use std::{
    io::{self, Read, Write},
    net::{Shutdown, TcpStream},
    process::Command,
    sync::{mpsc, Arc},
    thread::JoinHandle,
    time::Duration,
};

use ferry::{server::ServerStats, Router, Server, ShutdownHandle};
use ferry_http::{Http, HttpConfig};
use serde_json::Value;

pub mod certs;
pub mod local;

/// The longest any read waits: generous, so a slow machine never fails a test, yet every test
/// ends by itself.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// The demo services, plus `test.sleep(ms)` for deadlines and draining.
pub fn router() -> Router {
    ferry_demo::router().function("test.sleep", ["ms"], |ms: u64| async move {
        tokio::time::sleep(Duration::from_millis(ms)).await;
        ms
    })
}

/// `router` served with the HTTP dialect configured by `config`, on 127.0.0.1.
pub async fn bind(router: Router, config: HttpConfig) -> Server {
    Server::bind("127.0.0.1:0", router)
        .await
        .expect("bind 127.0.0.1:0")
        .with_http(Http::new(config))
}

/// A server running on its own thread and runtime; shut down and joined when dropped.
pub struct TestServer {
    pub address: String,
    pub stats: Arc<ServerStats>,
    shutdown: ShutdownHandle,
    thread: Option<JoinHandle<()>>,
}

impl TestServer {
    /// The demo services with `config`.
    pub fn start(config: HttpConfig) -> TestServer {
        TestServer::start_with(router(), config)
    }

    pub fn start_with(router: Router, config: HttpConfig) -> TestServer {
        TestServer::start_full(router, config, ferry::ServerConfig::default(), None)
    }

    /// `router` with `config`, the server's own limits, and TLS beside plaintext if given.
    pub fn start_full(
        router: Router,
        config: HttpConfig,
        limits: ferry::ServerConfig,
        tls: Option<rustls::ServerConfig>,
    ) -> TestServer {
        let (started, address) = mpsc::channel();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(async move {
                let server = Server::bind_with("127.0.0.1:0", router, limits)
                    .await
                    .expect("bind 127.0.0.1:0")
                    .with_http(Http::new(config));
                let server = match tls {
                    Some(tls) => server.with_tls(tls),
                    None => server,
                };
                let handles = (
                    server.local_address().to_string(),
                    server.shutdown_handle(),
                    server.stats(),
                );
                started.send(handles).expect("the test waits");
                server.run().await.expect("the server runs");
            });
        });
        let (address, shutdown, stats) = address.recv().expect("the server starts");
        TestServer {
            address,
            stats,
            shutdown,
            thread: Some(thread),
        }
    }

    /// Starts the graceful shutdown without waiting for it.
    pub fn begin_shutdown(&self) {
        self.shutdown.shutdown();
    }

    /// One request on a fresh connection (`connection: close`).
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Response {
        exchange(
            &self.address,
            &request_bytes(method, path, headers, body, true),
        )
    }

    /// `POST path` with a JSON body.
    pub fn post_json(&self, path: &str, body: &str) -> Response {
        let headers = [("content-type", "application/json")];
        self.request("POST", path, &headers, body.as_bytes())
    }

    pub fn get(&self, path: &str) -> Response {
        self.request("GET", path, &[], b"")
    }

    /// A JSON-RPC exchange: the parsed answer (`Value::Null` for an empty 204).
    pub fn jsonrpc(&self, body: &str) -> (u16, Value) {
        let response = self.post_json("/jsonrpc", body);
        let value = if response.body.is_empty() {
            Value::Null
        } else {
            response.json()
        };
        (response.status, value)
    }

    /// Asserts that a well-behaved client is answered right now.
    pub fn assert_serving(&self) {
        let response = self.post_json("/api/calc/add", "[20, 22]");
        assert_eq!((response.status, response.text()), (200, "42".to_owned()));
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.shutdown.shutdown();
        if let Some(thread) = self.thread.take() {
            let joined = thread.join();
            if !std::thread::panicking() {
                joined.expect("the server thread ends cleanly");
            }
        }
    }
}

/// Runs `script` with `python3 -c`, `arg` (the server's address or base URL) as
/// `sys.argv[1]`; its stdout.
pub fn python(script: &str, arg: &str) -> String {
    let output = Command::new("python3")
        .args(["-c", script, arg])
        .output()
        .unwrap_or_else(|err| panic!("python3 is required: cannot run python3 ({err})"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "python3 failed: {stderr}");
    String::from_utf8(output.stdout).expect("UTF-8 output")
}

/// Runs `python3 ARGS...` and parses what it printed as JSON.
pub fn python_json(args: &[&str]) -> Value {
    let output = Command::new("python3")
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap_or_else(|err| panic!("python3 is required: cannot run it: {err}"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the Python script failed: {stderr}"
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|err| {
        let stdout = String::from_utf8_lossy(&output.stdout);
        panic!("the script printed no JSON ({err}): {stdout}")
    })
}

/// Runs curl with `args` (silent but for errors, bounded in time).
pub fn curl(args: &[&str]) -> std::process::Output {
    Command::new("curl")
        .args(["-sS", "--max-time", "60"])
        .args(args)
        .output()
        .unwrap_or_else(|err| panic!("curl is required: cannot run curl ({err})"))
}

/// curl's stdout, asserting it ran.
pub fn curl_ok(args: &[&str]) -> Vec<u8> {
    let output = curl(args);
    assert!(output.status.success(), "curl {args:?} failed: {output:?}");
    output.stdout
}

/// The bytes of a request; `close` asks the server to close after answering.
pub fn request_bytes(
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    close: bool,
) -> Vec<u8> {
    let mut head = format!("{method} {path} HTTP/1.1\r\nhost: ferry.test\r\n");
    if close {
        head.push_str("connection: close\r\n");
    }
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if !body.is_empty() || method == "POST" {
        head.push_str(&format!("content-length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    [head.as_bytes(), body].concat()
}

/// A connection with the read timeout every test uses.
pub fn connect(address: &str) -> TcpStream {
    let socket = TcpStream::connect(address).expect("connect to the test server");
    socket
        .set_read_timeout(Some(PATIENCE))
        .expect("a read timeout");
    socket
}

/// Sends `raw` on a fresh connection and reads everything until the server closes it.
pub fn exchange(address: &str, raw: &[u8]) -> Response {
    let mut socket = connect(address);
    socket.write_all(raw).expect("send the request");
    let received = read_to_close(&mut socket).expect("the server answers and closes");
    parse(&received)
}

/// The response `received` starts with; panics if it is none.
pub fn parse(received: &[u8]) -> Response {
    Response::parse(received).unwrap_or_else(|| {
        panic!(
            "not an HTTP response: {:?}",
            String::from_utf8_lossy(received)
        )
    })
}

/// Reads until the peer closes; a reset after the answer counts as a close.
pub fn read_to_close(socket: &mut TcpStream) -> io::Result<Vec<u8>> {
    let mut received = Vec::new();
    let read = socket.read_to_end(&mut received);
    until_close(read, received)
}

/// What a read to the end came to: the bytes, if it ended in a close, or in a reset after some.
fn until_close(read: io::Result<usize>, received: Vec<u8>) -> io::Result<Vec<u8>> {
    match read {
        Ok(_) => Ok(received),
        Err(err) if err.kind() == io::ErrorKind::ConnectionReset && !received.is_empty() => {
            Ok(received)
        }
        Err(err) => Err(err),
    }
}

/// Reads until the server closes the connection, asserting it does within [`PATIENCE`];
/// what it sent before closing (perhaps an answer) is returned.
pub fn await_close(socket: &mut TcpStream) -> Vec<u8> {
    closed(read_to_close(socket))
}

/// What [`read_to_close`] returned, once it is sure the server closed: a reset is a close too.
fn closed(read: io::Result<Vec<u8>>) -> Vec<u8> {
    match read {
        Ok(received) => received,
        Err(err) if err.kind() == io::ErrorKind::ConnectionReset => Vec::new(),
        Err(err) => panic!("the server did not close the connection: {err}"),
    }
}

/// Closes the sending half, as a client that has said everything does.
pub fn finish_sending(socket: &TcpStream) {
    socket
        .shutdown(Shutdown::Write)
        .expect("shut down the sending half");
}

/// A keep-alive connection that sends requests one after another.
pub struct Conn {
    socket: TcpStream,
    buffered: Vec<u8>,
}

impl Conn {
    pub fn open(address: &str) -> Conn {
        Conn {
            socket: connect(address),
            buffered: Vec::new(),
        }
    }

    pub fn send(&mut self, method: &str, path: &str, body: &[u8]) -> Response {
        let raw = request_bytes(method, path, &[], body, false);
        self.socket.write_all(&raw).expect("send the request");
        self.read_response()
    }

    /// Reads exactly one response (its head, then `content-length` bytes).
    fn read_response(&mut self) -> Response {
        let mut chunk = [0u8; 16 * 1024];
        loop {
            if let Some(end) = head_end(&self.buffered) {
                let head = Response::parse(&self.buffered[..end]).expect("a response head");
                let len: usize = head
                    .header("content-length")
                    .map_or(0, |len| len.parse().expect("a length"));
                if self.buffered.len() >= end + len {
                    let whole: Vec<u8> = self.buffered.drain(..end + len).collect();
                    return Response::parse(&whole).expect("a response");
                }
            }
            let n = self.socket.read(&mut chunk).expect("the server answers");
            assert!(n > 0, "the server closed a keep-alive connection");
            self.buffered.extend_from_slice(&chunk[..n]);
        }
    }
}

fn head_end(bytes: &[u8]) -> Option<usize> {
    bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|at| at + 4)
}

/// One parsed response.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// Parses the first response in `bytes`; the body is what follows its head, cut to its
    /// `content-length` when it has one.
    pub fn parse(bytes: &[u8]) -> Option<Response> {
        let end = head_end(bytes)?;
        let head = std::str::from_utf8(&bytes[..end]).ok()?;
        let mut lines = head.split("\r\n");
        let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
        let headers: Vec<(String, String)> = lines
            .filter(|line| !line.is_empty())
            .filter_map(|line| line.split_once(':'))
            .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
            .collect();
        let mut body = bytes[end..].to_vec();
        let declared = headers.iter().find(|(name, _)| name == "content-length");
        if let Some(len) = declared.and_then(|(_, len)| len.parse::<usize>().ok()) {
            body.truncate(len);
        }
        Some(Response {
            status,
            headers,
            body,
        })
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(known, _)| known == name)
            .map(|(_, value)| value.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("a UTF-8 body")
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|err| {
            panic!(
                "not JSON ({err}): {:?}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// The `error.status` of a `{"error": ...}` body.
    pub fn error_status(&self) -> String {
        let body = self.json();
        body["error"]["status"]
            .as_str()
            .unwrap_or_else(|| panic!("not an error object: {body}"))
            .to_owned()
    }
}
