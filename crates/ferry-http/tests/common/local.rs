//! A server on the test's own runtime, and async requests to it, for tests on tokio's paused
//! clock. That clock moves on when the runtime has nothing to run, so the server and its
//! clients must share the runtime: a server on a thread of its own ([`super::TestServer`])
//! finds its runtime idle while a client's bytes are still on their way, and jumps to its
//! next timeout (the handshake's, the header read's) before they arrive.

use std::{io, sync::Arc, time::Duration};

use ferry::{server::ServerStats, Router, ShutdownHandle};
use ferry_http::HttpConfig;
use tokio::{
    io::{AsyncRead, AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
    task::JoinHandle,
};

use super::{bind, closed, parse, request_bytes, router, until_close, Response, PATIENCE};

/// A server running as a task of the calling runtime; `stop` shuts it down and joins it.
pub struct LocalServer {
    pub address: String,
    pub stats: Arc<ServerStats>,
    shutdown: ShutdownHandle,
    task: JoinHandle<io::Result<()>>,
}

impl LocalServer {
    /// The demo services with `config`.
    pub async fn start(config: HttpConfig) -> LocalServer {
        LocalServer::start_with(router(), config).await
    }

    pub async fn start_with(router: Router, config: HttpConfig) -> LocalServer {
        let server = bind(router, config).await;
        LocalServer {
            address: server.local_address().to_string(),
            stats: server.stats(),
            shutdown: server.shutdown_handle(),
            task: tokio::spawn(server.run()),
        }
    }

    /// A connection whose every write goes out at once (`TCP_NODELAY`, as the server's own
    /// sockets): Nagle holding a small write back would look like idleness to the clock.
    pub async fn connect(&self) -> TcpStream {
        let socket = TcpStream::connect(&self.address)
            .await
            .expect("connect to the test server");
        socket.set_nodelay(true).expect("TCP_NODELAY");
        socket
    }

    /// One request on a fresh connection (`connection: close`).
    pub async fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Response {
        let mut socket = self.connect().await;
        let raw = request_bytes(method, path, headers, body, true);
        socket.write_all(&raw).await.expect("send the request");
        let received = read_to_close(&mut socket).await;
        parse(&received.expect("the server answers and closes"))
    }

    /// Asserts that a well-behaved client is answered right now.
    pub async fn assert_serving(&self) {
        let headers = [("content-type", "application/json")];
        let response = self
            .request("POST", "/api/calc/add", &headers, b"[20, 22]")
            .await;
        assert_eq!((response.status, response.text()), (200, "42".to_owned()));
    }

    /// Waits, for [`PATIENCE`] at most, until the server's counters show what `done` looks for.
    pub async fn wait_for(&self, what: &str, done: impl Fn(&ServerStats) -> bool) {
        let waited = tokio::time::timeout(PATIENCE, async {
            while !done(&self.stats) {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        });
        waited
            .await
            .unwrap_or_else(|_| panic!("the server never {what}"));
    }

    /// Starts the graceful shutdown without waiting for it.
    pub fn begin_shutdown(&self) {
        self.shutdown.shutdown();
    }

    pub async fn stop(self) {
        self.shutdown.shutdown();
        let ended = tokio::time::timeout(PATIENCE, self.task).await;
        ended
            .expect("the server stops")
            .expect("the server task")
            .expect("the server runs");
    }
}

/// Reads until the peer closes, for [`PATIENCE`] at most; a reset after the answer counts as
/// a close.
pub async fn read_to_close(socket: &mut (impl AsyncRead + Unpin)) -> io::Result<Vec<u8>> {
    let mut received = Vec::new();
    let read = tokio::time::timeout(PATIENCE, socket.read_to_end(&mut received));
    let read = read
        .await
        .unwrap_or_else(|_| Err(io::ErrorKind::TimedOut.into()));
    until_close(read, received)
}

/// Reads until the server closes the connection, asserting it does within [`PATIENCE`];
/// what it sent before closing (perhaps an answer) is returned.
pub async fn await_close(socket: &mut (impl AsyncRead + Unpin)) -> Vec<u8> {
    closed(read_to_close(socket).await)
}
