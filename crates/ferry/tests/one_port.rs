//! One port, several dialects: the first bytes decide, and the length-prefixed JSON dialect
//! answers beside the native protocol.

mod common;

use std::time::Duration;

use common::{raw::RawConn, router, Drops, TestServer};
use ferry::{CallOptions, Client, ServerConfig};
use serde_json::{json, Value};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

/// A length-prefixed JSON connection driven by hand.
struct LpConn(TcpStream);

impl LpConn {
    async fn open(server: &TestServer) -> LpConn {
        LpConn(TcpStream::connect(server.tcp()).await.expect("connect"))
    }

    async fn send_body(&mut self, body: &[u8]) {
        let mut framed = (body.len() as u32).to_le_bytes().to_vec();
        framed.extend_from_slice(body);
        self.0.write_all(&framed).await.expect("write");
    }

    async fn send(&mut self, message: &Value) {
        self.send_body(&serde_json::to_vec(message).unwrap()).await;
    }

    /// The next answer, or `None` once the server closed the connection.
    async fn answer(&mut self) -> Option<Value> {
        let mut len = [0; 4];
        let read = tokio::time::timeout(Duration::from_secs(10), self.0.read_exact(&mut len));
        read.await.expect("an answer in time").ok()?;
        let mut body = vec![0; u32::from_le_bytes(len) as usize];
        self.0.read_exact(&mut body).await.ok()?;
        Some(serde_json::from_slice(&body).expect("the answer is JSON"))
    }

    async fn call(&mut self, message: Value) -> Value {
        self.send(&message).await;
        self.answer().await.expect("the server answers")
    }
}

async fn served() -> TestServer {
    let router =
        router(&Drops::default()).function("echo.ping", ["text"], |text: String| async { text });
    TestServer::start(router, ServerConfig::default()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ping_is_answered_pong_with_its_params() {
    let server = served().await;
    let mut conn = LpConn::open(&server).await;
    let answer = conn
        .call(json!({"in": "ping", "params": "ireader 0"}))
        .await;
    assert_eq!(answer, json!({"out": "pong", "result": "ireader 0"}));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn named_positional_and_full_names_all_dispatch() {
    let server = served().await;
    let mut conn = LpConn::open(&server).await;
    let named = json!({"in": "test.add", "params": {"a": 2, "b": 3}});
    assert_eq!(conn.call(named).await, json!({"out": "add", "result": 5}));
    let positional = json!({"in": "add", "params": [4, 5]});
    assert_eq!(
        conn.call(positional).await,
        json!({"out": "add", "result": 9})
    );
    let defaulted = json!({"in": "greet", "params": {"name": "ann"}});
    assert_eq!(conn.call(defaulted).await["result"], "hello, ann");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_come_back_in_the_same_framing_and_the_connection_goes_on() {
    let server = served().await;
    let mut conn = LpConn::open(&server).await;
    let cases = [
        (json!({"in": "nope"}), "unknown_method"),
        (json!({"in": "add", "params": ["x", 1]}), "invalid_args"),
        (
            json!({"in": "checked_div", "params": [1, 0]}),
            "application",
        ),
        (json!({"in": "panic"}), "internal"),
        (json!({"params": 1}), "protocol"),
    ];
    for (request, status) in cases {
        let answer = conn.call(request.clone()).await;
        assert_eq!(answer["out"], "error", "{request}");
        assert_eq!(answer["error"]["status"], status, "{request}: {answer}");
        assert!(answer["error"]["message"].as_str().unwrap().len() > 5);
    }
    let application = conn
        .call(json!({"in": "checked_div", "params": [1, 0]}))
        .await;
    assert_eq!(application["error"]["data"], "division by zero");
    conn.send_body(b"{\"in\": \"pi").await;
    assert_eq!(conn.answer().await.unwrap()["error"]["status"], "protocol");
    conn.send_body(b"{\"in\": \"\xff\xfe\"}").await;
    assert_eq!(conn.answer().await.unwrap()["error"]["status"], "protocol");
    let after = conn.call(json!({"in": "add", "params": [1, 1]})).await;
    assert_eq!(after["result"], 2, "the connection still serves");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipelined_requests_are_answered_in_order() {
    let server = served().await;
    let mut conn = LpConn::open(&server).await;
    for n in 0..20 {
        conn.send(&json!({"in": "sleep", "params": [(20 - n) % 3]}))
            .await;
    }
    for n in 0..20 {
        let answer = conn.answer().await.unwrap();
        assert_eq!(answer["result"], (20 - n) % 3);
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversize_message_is_refused_and_closed_while_others_are_served() {
    let config = ServerConfig::default().max_frame_len(1024);
    let server = TestServer::start(router(&Drops::default()), config).await;
    let native = Client::connect(server.address.clone()).await.unwrap();
    let mut conn = LpConn::open(&server).await;
    conn.0
        .write_all(b"\x00\x00\x10\x00{\"in\": \"add\"")
        .await
        .unwrap();
    let refusal = conn.answer().await.expect("a refusal before the close");
    assert_eq!(refusal["error"]["status"], "too_large");
    assert!(conn.answer().await.is_none(), "then the server closes");
    let sum: i64 = native
        .call_typed::<_, _, ferry::NoError>("test.add", &(1, 2), &CallOptions::new())
        .await
        .expect("the native client is still served");
    assert_eq!(sum, 3);
    server.stop().await;
}

#[tokio::test(start_paused = true)]
async fn too_few_bytes_to_decide_are_closed_after_the_wait_and_counted() {
    let config = ServerConfig::default().handshake_timeout(Duration::from_millis(200));
    let server = TestServer::start(router(&Drops::default()), config).await;
    let mut undecided = TcpStream::connect(server.tcp()).await.unwrap();
    undecided.write_all(b"FER").await.unwrap();
    let sent = tokio::time::Instant::now();
    let mut raw = RawConn::wrap(undecided);
    assert!(raw.closed_by_peer().await);
    assert_eq!(
        sent.elapsed(),
        Duration::from_millis(200),
        "closed after the wait"
    );
    assert_eq!(server.stats.protocol_errors(), 1);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_without_an_http_dialect_gets_a_clear_501() {
    let server = served().await;
    let mut http = TcpStream::connect(server.tcp()).await.unwrap();
    http.write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    http.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 501 "), "{answer}");
    assert!(answer.contains("does not serve HTTP"), "{answer}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_dialects_share_one_port_at_once() {
    let server = served().await;
    let native = Client::connect(server.address.clone()).await.unwrap();
    let mut lp = LpConn::open(&server).await;
    for n in 0..10i64 {
        let sum: i64 = native
            .call_typed::<_, _, ferry::NoError>("test.add", &(n, 1), &CallOptions::new())
            .await
            .unwrap();
        let answer = lp.call(json!({"in": "add", "params": [n, 2]})).await;
        assert_eq!((sum, answer["result"].as_i64()), (n + 1, Some(n + 2)));
    }
    server.stop().await;
}
