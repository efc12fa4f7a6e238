//! Limits: every misbehaving client is answered or closed cleanly while a well-behaved one,
//! on another connection at the same time, keeps getting answers. Tests that wait out a
//! timeout or a call run on tokio's paused clock, with the server on the test's own runtime.

mod common;

use std::{
    io::Write,
    thread,
    time::{Duration, Instant},
};

use common::{
    await_close, connect, finish_sending,
    local::{self, LocalServer},
    parse, read_to_close, TestServer, PATIENCE,
};
use ferry_http::HttpConfig;
use serde_json::json;
use tokio::io::AsyncWriteExt;

/// Short limits so refusals come quickly.
fn strict() -> HttpConfig {
    HttpConfig::default()
        .max_body_len(64 * 1024)
        .header_read_timeout(Duration::from_secs(1))
        .body_read_timeout(Duration::from_secs(1))
}

/// Waits (bounded) until the server has counted `n` protocol errors.
fn await_protocol_errors(server: &TestServer, n: u64) {
    let deadline = Instant::now() + PATIENCE;
    while server.stats.protocol_errors() < n {
        assert!(
            Instant::now() < deadline,
            "the server counted {} protocol errors",
            server.stats.protocol_errors()
        );
        thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn an_announced_body_over_the_limit_is_413_before_it_is_read() {
    let server = TestServer::start(strict());
    for (path, content_type) in [
        ("/api/echo/echo", "application/json"),
        ("/jsonrpc", "application/json"),
        ("/RPC2", "text/xml"),
    ] {
        let mut socket = connect(&server.address);
        let head = format!(
            "POST {path} HTTP/1.1\r\nhost: ferry.test\r\ncontent-type: {content_type}\r\ncontent-length: 1073741824\r\n\r\n"
        );
        socket.write_all(head.as_bytes()).unwrap();
        socket.write_all(&[b' '; 1024]).unwrap();
        server.assert_serving();
        let response = parse(&await_close(&mut socket));
        assert_eq!(response.status, 413, "{path}");
        assert_eq!(response.header("connection"), Some("close"));
        let body = response.json();
        if path == "/jsonrpc" {
            assert_eq!(body["error"]["code"], -32007, "{body}");
            assert_eq!(body["error"]["data"]["status"], "too_large");
        } else {
            assert_eq!(body["error"]["status"], "too_large", "{body}");
        }
    }
    server.assert_serving();
}

#[test]
fn a_chunked_body_is_cut_off_at_the_limit() {
    let server = TestServer::start(strict());
    let mut socket = connect(&server.address);
    let head =
        "POST /api/echo/echo HTTP/1.1\r\nhost: ferry.test\r\ntransfer-encoding: chunked\r\n\r\n";
    socket.write_all(head.as_bytes()).unwrap();
    let chunk = format!("4000\r\n{}\r\n", "1".repeat(0x4000));
    for _ in 0..8 {
        // The server may stop reading (and close) once the limit is passed.
        if socket.write_all(chunk.as_bytes()).is_err() {
            break;
        }
    }
    server.assert_serving();
    let response = parse(&await_close(&mut socket));
    assert_eq!(
        (response.status, response.error_status()),
        (413, "too_large".to_owned())
    );
    server.assert_serving();
}

#[test]
fn a_body_within_the_limit_is_read_whole() {
    let server = TestServer::start(strict());
    let data: Vec<String> = (0..5000).map(|n| (n % 256).to_string()).collect();
    let body = format!("[[{}]]", data.join(","));
    assert!(body.len() < 64 * 1024);
    let response = server.post_json("/api/echo/echo", &body);
    assert_eq!(response.status, 200);
    assert_eq!(response.json().as_array().unwrap().len(), 5000);
}

#[test]
fn headers_over_the_limit_are_431() {
    let server = TestServer::start(HttpConfig::default());
    let mut socket = connect(&server.address);
    let head = format!(
        "GET /healthz HTTP/1.1\r\nhost: ferry.test\r\nx-big: {}\r\n\r\n",
        "a".repeat(20 * 1024)
    );
    let _ = socket.write_all(head.as_bytes());
    server.assert_serving();
    let response = parse(&await_close(&mut socket));
    assert_eq!(response.status, 431);
    let fits = format!("x{}", "a".repeat(8 * 1024));
    let within = server.request("GET", "/healthz", &[("x-fits", &fits)], b"");
    assert_eq!(within.status, 200);
    await_protocol_errors(&server, 1);
}

#[tokio::test(start_paused = true)]
async fn a_header_that_never_ends_is_closed_while_others_are_served() {
    let server = LocalServer::start(strict()).await;
    let mut socket = server.connect().await;
    socket
        .write_all(b"GET /healthz HTTP/1.1\r\nhost: ferry.test\r\nx-never: ends")
        .await
        .unwrap();
    server.assert_serving().await;
    let received = local::await_close(&mut socket).await;
    assert!(
        received.is_empty() || parse(&received).status == 408,
        "{:?}",
        String::from_utf8_lossy(&received)
    );
    server.assert_serving().await;
    server
        .wait_for("counted a protocol error", |stats| {
            stats.protocol_errors() >= 1
        })
        .await;
    server.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_header_dripping_a_byte_at_a_time_is_still_cut_off() {
    let server = LocalServer::start(strict()).await;
    let (mut socket, mut writer) = server.connect().await.into_split();
    writer
        .write_all(b"GET /healthz HTTP/1.1\r\nhost: ferry.test\r\n")
        .await
        .unwrap();
    let drip = tokio::spawn(async move {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        while tokio::time::Instant::now() < deadline {
            if writer.write_all(b"x").await.is_err() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        false
    });
    server.assert_serving().await;
    local::await_close(&mut socket).await;
    assert!(
        drip.await.unwrap(),
        "the server kept a dripping header open"
    );
    server.assert_serving().await;
    server.stop().await;
}

#[test]
fn a_truncated_body_is_answered_400_or_closed() {
    let server = TestServer::start(strict());
    let mut socket = connect(&server.address);
    let head = "POST /api/calc/add HTTP/1.1\r\nhost: ferry.test\r\ncontent-length: 100\r\n\r\n[1, ";
    socket.write_all(head.as_bytes()).unwrap();
    finish_sending(&socket);
    server.assert_serving();
    let received = await_close(&mut socket);
    if !received.is_empty() {
        assert_eq!(parse(&received).status, 400);
    }
    server.assert_serving();
}

#[test]
fn a_client_that_closes_its_sending_half_still_gets_the_answer() {
    let server = TestServer::start(strict());
    let mut socket = connect(&server.address);
    let raw = common::request_bytes("POST", "/api/calc/add", &[], b"[1, 2]", false);
    socket.write_all(&raw).unwrap();
    finish_sending(&socket);
    let response = parse(&await_close(&mut socket));
    assert_eq!((response.status, response.text()), (200, "3".to_owned()));
}

#[tokio::test(start_paused = true)]
async fn a_body_that_stops_arriving_is_408() {
    let server = LocalServer::start(strict()).await;
    let mut socket = server.connect().await;
    let head =
        "POST /jsonrpc HTTP/1.1\r\nhost: ferry.test\r\ncontent-length: 100\r\n\r\n{\"jsonrpc\"";
    socket.write_all(head.as_bytes()).await.unwrap();
    server.assert_serving().await;
    let response = parse(&local::await_close(&mut socket).await);
    assert_eq!(response.status, 408);
    assert_eq!(response.json()["error"]["code"], -32600);
    server.assert_serving().await;
    server.stop().await;
}

#[test]
fn invalid_utf8_json_is_refused_while_others_are_served() {
    let server = TestServer::start(strict());
    let rpc = server.request(
        "POST",
        "/jsonrpc",
        &[],
        b"{\"jsonrpc\":\"2.0\",\"method\":\"\xc3\x28\",\"id\":1}",
    );
    assert_eq!(rpc.json()["error"]["code"], -32700);
    server.assert_serving();
    let rest = server.request("POST", "/api/echo/ping", &[], b"[\"\xc3\x28\"]");
    assert_eq!(
        (rest.status, rest.error_status()),
        (400, "protocol".to_owned())
    );
    server.assert_serving();
}

#[test]
fn garbage_after_a_request_line_is_400_and_closed() {
    let server = TestServer::start(strict());
    let mut socket = connect(&server.address);
    socket
        .write_all(b"GET /healthz HTTP/1.1\r\nthis is not a header\r\n\r\n")
        .unwrap();
    let response = parse(&read_to_close(&mut socket).unwrap());
    assert_eq!(response.status, 400);
    server.assert_serving();
}

#[tokio::test(start_paused = true)]
async fn shutdown_lets_the_request_in_flight_finish() {
    let server = LocalServer::start(strict()).await;
    let mut socket = server.connect().await;
    let raw = common::request_bytes("POST", "/api/test/sleep", &[], b"[300]", false);
    socket.write_all(&raw).await.unwrap();
    server
        .wait_for("started the call", |stats| stats.calls() >= 1)
        .await;
    server.begin_shutdown();
    let response = parse(&local::await_close(&mut socket).await);
    assert_eq!((response.status, response.json()), (200, json!(300)));
    server.stop().await;
}
