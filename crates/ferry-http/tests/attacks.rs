//! Attacks on the one port, with bounded counts on 127.0.0.1: slow connections of every kind
//! (an HTTP head that never ends, a ClientHello fed a byte at a time, a native preface that
//! stops halfway, a length-prefixed message that trickles) while a well-behaved client keeps
//! being answered on every dialect; afterwards the process's descriptors return to where they
//! were. A client that never reads its answers holds nothing anyone else needs.
//!
//! `FERRY_ATTACK_CONNS` sets the slow connections per kind (default 100; by hand: 1000).

mod common;

use std::{
    io::{Read, Write},
    net::TcpStream,
    time::{Duration, Instant},
};

use common::{certs::Certs, TestServer, PATIENCE};
use ferry::{CallOptions, Client, ClientConfig};
use ferry_http::HttpConfig;

/// The first bytes of each slow kind: enough to be sniffed, never enough to finish.
fn slow_starts(hello: &[u8]) -> [(&'static str, Vec<u8>); 4] {
    [
        (
            "http",
            b"POST /api/calc/add HTTP/1.1\r\nhost: x\r\nx-slow: ".to_vec(),
        ),
        ("tls", hello[..hello.len() / 2].to_vec()),
        ("native", b"FERRY\0\x01".to_vec()),
        (
            "lpjson",
            b"\x40\x00\x00\x00{\"in\": \"calc.add\", ".to_vec(),
        ),
    ]
}

fn attack_conns() -> usize {
    std::env::var("FERRY_ATTACK_CONNS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100)
}

fn open_descriptors() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd lists this process's descriptors")
        .count()
}

/// Calls on every dialect, each answered as it should be.
async fn well_behaved_round(server: &TestServer, native: &Client, tls: &Client) {
    let options = CallOptions::default();
    let sum: i64 = native
        .call("calc.add", &(2, 3), &options)
        .await
        .expect("native");
    assert_eq!(sum, 5);
    let sum: i64 = tls
        .call("calc.add", &(2, 3), &options)
        .await
        .expect("native in TLS");
    assert_eq!(sum, 5);
    server.assert_serving();
    let (status, answer) =
        server.jsonrpc(r#"{"jsonrpc":"2.0","method":"calc.add","params":[2,3],"id":1}"#);
    assert_eq!((status, answer["result"].as_i64()), (200, Some(5)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_connections_of_every_kind_leave_a_well_behaved_client_answered() {
    let certs = Certs::new("attack-slow");
    let limits = ferry::ServerConfig::default().idle_timeout(Some(Duration::from_secs(60)));
    let server = TestServer::start_full(
        common::router(),
        HttpConfig::default(),
        limits,
        Some(certs.server_tls()),
    );
    let native = Client::connect(server.address.as_str()).await.unwrap();
    let tls_address = format!(
        "tls://localhost:{}",
        server.address.rsplit_once(':').unwrap().1
    );
    let tls = Client::connect_with(
        tls_address.as_str(),
        ClientConfig::default().tls(certs.client_tls(None)),
    )
    .await
    .unwrap();
    well_behaved_round(&server, &native, &tls).await;
    let before = open_descriptors();

    let hello = certs.client_hello();
    let mut slow = Vec::new();
    for (kind, start) in slow_starts(&hello) {
        for _ in 0..attack_conns() {
            let mut socket = TcpStream::connect(&server.address).expect("connect");
            socket
                .write_all(&start)
                .unwrap_or_else(|err| panic!("{kind}: {err}"));
            slow.push((kind, socket));
        }
    }
    // A byte at a time to every slow connection, between rounds of well-behaved calls.
    for round in 0..5 {
        for (_, socket) in &mut slow {
            let _ = socket.write_all(b"a");
        }
        well_behaved_round(&server, &native, &tls).await;
        assert!(server.stats.calls() > 0, "round {round}");
    }
    drop(slow);
    let settled = wait_for(|| open_descriptors() <= before);
    assert!(
        settled,
        "descriptors: {} now, {before} before",
        open_descriptors()
    );
    well_behaved_round(&server, &native, &tls).await;
}

/// Polls `done` until it holds or PATIENCE runs out; whether it held.
fn wait_for(done: impl Fn() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < PATIENCE * 3 {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    done()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_reads_its_answers_holds_nothing_others_need() {
    let server = TestServer::start(HttpConfig::default());
    let native = Client::connect(server.address.as_str()).await.unwrap();
    let mut hog = TcpStream::connect(&server.address).unwrap();
    let body = vec![b'7'; 60_000];
    let request = common::request_bytes(
        "POST",
        "/api/echo/echo",
        &[("content-type", "application/json")],
        &[b"[\"", &body[..], b"\"]"].concat(),
        false,
    );
    hog.set_write_timeout(Some(Duration::from_secs(2))).unwrap();
    let mut sent = 0;
    while sent < 2_000 && hog.write_all(&request).is_ok() {
        sent += 1;
    }
    assert!(
        sent < 2_000,
        "the server stopped reading once its answers went unread"
    );
    for _ in 0..20 {
        let sum: i64 = native
            .call("calc.add", &(2, 3), &CallOptions::default())
            .await
            .unwrap();
        assert_eq!(sum, 5);
        server.assert_serving();
    }
    drop(hog);
    assert!(wait_for(|| server
        .stats
        .open(ferry::server::ConnectionKind::Http)
        == 0));
    let mut probe = TcpStream::connect(&server.address).unwrap();
    probe.set_read_timeout(Some(PATIENCE)).unwrap();
    probe
        .write_all(&common::request_bytes("GET", "/healthz", &[], b"", true))
        .unwrap();
    let mut answer = String::new();
    probe.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}
