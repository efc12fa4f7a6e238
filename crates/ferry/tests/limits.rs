//! The connection cap and the keepalive: a connection over the cap is answered in its dialect
//! while the open ones are served on; a quiet peer is pinged and, silent, given up; a peer
//! that floods pings is sent away.

mod common;

use std::time::Duration;

use common::{
    add,
    raw::{accept_one, request, RawConn},
    router, Drops, TestServer,
};
use ferry::{server::Limit, CallOptions, Client, ClientConfig, NoError, ServerConfig, Status};
use ferry_wire::Frame;
use serde_json::{json, Value};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpSocket, TcpStream},
    time::Instant,
};

/// Longer than any wait of these tests on a paused clock.
const QUIET: Duration = Duration::from_secs(600);

/// Waits (bounded) until `done` says the server got there.
async fn wait_until(what: &str, done: impl Fn() -> bool) {
    for _ in 0..1000 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{what} did not happen");
}

/// What a plain HTTP client reads from a server over its cap.
async fn http_get(address: &str) -> String {
    let mut http = TcpStream::connect(address).await.unwrap();
    http.write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    let read = tokio::time::timeout(Duration::from_secs(10), http.read_to_string(&mut answer));
    read.await.expect("an answer in time").unwrap();
    answer
}

/// What a length-prefixed JSON client reads from a server over its cap.
async fn lpjson_call(address: &str) -> Value {
    let mut lp = TcpStream::connect(address).await.unwrap();
    let body = br#"{"in": "add", "params": [1, 2]}"#;
    let mut framed = (body.len() as u32).to_le_bytes().to_vec();
    framed.extend_from_slice(body);
    lp.write_all(&framed).await.unwrap();
    let mut len = [0; 4];
    lp.read_exact(&mut len).await.unwrap();
    let mut answer = vec![0; u32::from_le_bytes(len) as usize];
    lp.read_exact(&mut answer).await.unwrap();
    serde_json::from_slice(&answer).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_over_the_cap_is_refused_in_its_dialect_and_the_open_ones_are_served() {
    let config = ServerConfig::default().max_connections(3);
    let server = TestServer::start(router(&Drops::default()), config).await;
    let mut clients = Vec::new();
    for n in 0..3 {
        let client = Client::connect(server.address.clone()).await.unwrap();
        assert_eq!(add(&client, n, 1).await.unwrap(), n + 1);
        clients.push(client);
    }
    let limit = "the server holds its limit of 3 connections";

    let mut native = RawConn::handshake(&server.tcp()).await;
    let Some(Frame::GoAway(goaway)) = native.next_frame().await else {
        panic!("expected goaway after the preface")
    };
    assert_eq!(goaway.status, Status::Overloaded);
    assert!(goaway.message.contains(limit), "{}", goaway.message);
    drop(native);

    let fourth = Client::connect(server.address.clone()).await.unwrap();
    let refused = add(&fourth, 1, 1).await.expect_err("over the cap");
    assert!(refused.to_string().contains(limit), "{refused}");

    let answer = http_get(&server.tcp()).await;
    assert!(answer.starts_with("HTTP/1.1 503 "), "{answer}");
    assert!(answer.contains("\r\nretry-after: 1\r\n"), "{answer}");
    assert!(answer.contains("\r\nconnection: close\r\n"), "{answer}");
    assert!(answer.contains(limit), "{answer}");

    let answer = lpjson_call(&server.tcp()).await;
    assert_eq!(answer["error"]["status"], "overloaded", "{answer}");
    assert!(answer["error"]["message"].as_str().unwrap().contains(limit));

    for (n, client) in (0..).zip(&clients) {
        assert_eq!(add(client, n, 10).await.unwrap(), n + 10, "open ones serve");
    }
    assert!(server.stats.refusals(Limit::MaxConnections) >= 4);

    drop(fourth);
    clients.pop();
    wait_until("a place given back", || server.stats.admitted() == 2).await;
    let again = Client::connect(server.address.clone()).await.unwrap();
    assert_eq!(
        add(&again, 2, 2).await.unwrap(),
        4,
        "a freed place is taken"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_still_sending_their_first_bytes_hold_places() {
    let config = ServerConfig::default().max_connections(2);
    let server = TestServer::start(router(&Drops::default()), config).await;
    let silent = [
        TcpStream::connect(server.tcp()).await.unwrap(),
        TcpStream::connect(server.tcp()).await.unwrap(),
    ];
    wait_until("two accepts", || server.stats.admitted() == 2).await;
    let answer = http_get(&server.tcp()).await;
    assert!(answer.starts_with("HTTP/1.1 503 "), "{answer}");
    assert_eq!(server.stats.refusals(Limit::MaxConnections), 1);
    drop(silent);
    server.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_peer_that_stops_answering_is_found_by_a_ping_and_closed() {
    let server = TestServer::start(router(&Drops::default()), ServerConfig::default()).await;
    // Completes the preface, then never reads nor answers: a host gone without a word.
    let mut silent = RawConn::handshake(&server.tcp()).await;
    let started = Instant::now();
    wait_until_slowly(|| server.stats.keepalive_timeouts() == 1).await;
    assert!(
        started.elapsed() >= Duration::from_secs(50),
        "pinged after 30 s of quiet, given up 20 s later: {:?}",
        started.elapsed()
    );
    assert!(matches!(
        silent.next_frame().await,
        Some(Frame::Ping { .. })
    ));
    let Some(Frame::GoAway(goaway)) = silent.next_frame().await else {
        panic!("expected goaway")
    };
    assert_eq!(goaway.status, Status::Unavailable);
    assert!(goaway.message.contains("ping"), "{}", goaway.message);
    assert_eq!(silent.next_frame().await, None, "closed");
    server.stop().await;
}

/// Waits on a paused clock, a second at a time, for up to 10 minutes.
async fn wait_until_slowly(done: impl Fn() -> bool) {
    for _ in 0..600 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    panic!("not done after 10 minutes");
}

#[tokio::test(start_paused = true)]
async fn a_peer_that_answers_pings_lives_but_pings_do_not_keep_an_idle_connection() {
    let config = ServerConfig::default().idle_timeout(Some(Duration::from_secs(100)));
    let server = TestServer::start(router(&Drops::default()), config).await;
    let mut peer = RawConn::handshake(&server.tcp()).await;
    let mut pongs = 0;
    let goaway = loop {
        match peer.next_frame_within(QUIET).await {
            Some(Frame::Ping { payload }) => {
                peer.send(&Frame::Pong { payload }).await;
                pongs += 1;
            }
            Some(Frame::GoAway(goaway)) => break goaway,
            other => panic!("expected a ping or goaway, got {other:?}"),
        }
    };
    assert_eq!(pongs, 3, "pinged at 30, 60 and 90 s");
    assert!(goaway.message.contains("idle"), "{}", goaway.message);
    assert_eq!(server.stats.keepalive_timeouts(), 0);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_that_floods_pings_is_sent_away() {
    let server = TestServer::start(router(&Drops::default()), ServerConfig::default()).await;
    let mut flooder = RawConn::handshake(&server.tcp()).await;
    for payload in 0..11 {
        flooder.send(&Frame::Ping { payload }).await;
    }
    let mut pongs = 0;
    let goaway = loop {
        match flooder.next_frame().await {
            Some(Frame::Pong { .. }) => pongs += 1,
            Some(Frame::GoAway(goaway)) => break goaway,
            other => panic!("expected a pong or goaway, got {other:?}"),
        }
    };
    assert_eq!(pongs, 10);
    assert_eq!(goaway.status, Status::Overloaded);
    assert!(
        goaway.message.contains("more than 10 pings"),
        "{}",
        goaway.message
    );
    assert_eq!(flooder.next_frame().await, None, "closed");
    assert_eq!(server.stats.refusals(Limit::PingFlood), 1);
    let client = Client::connect(server.address.clone()).await.unwrap();
    assert_eq!(add(&client, 1, 2).await.unwrap(), 3, "others are served");
    server.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_call_to_a_server_gone_silent_fails_unavailable_once_a_ping_goes_unanswered() {
    let (address, accepted) = accept_one().await;
    let config = ClientConfig::default().default_timeout(None);
    let client = Client::connect_with(address.as_str(), config)
        .await
        .unwrap();
    let _silent = accepted.await.unwrap();
    let started = Instant::now();
    let failure = add(&client, 1, 2).await.expect_err("no answer comes");
    assert_eq!(failure.status(), Status::Unavailable, "{failure}");
    assert!(failure.to_string().contains("ping"), "{failure}");
    assert!(
        started.elapsed() >= Duration::from_secs(50),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(start_paused = true)]
async fn a_client_and_a_server_keep_a_quiet_connection_alive_between_them() {
    let config = ServerConfig::default().idle_timeout(None);
    let server = TestServer::start(router(&Drops::default()), config).await;
    let client = Client::connect(server.address.clone()).await.unwrap();
    assert_eq!(add(&client, 1, 1).await.unwrap(), 2);
    tokio::time::sleep(Duration::from_secs(600)).await;
    assert_eq!(add(&client, 2, 2).await.unwrap(), 4);
    assert_eq!(server.stats.keepalive_timeouts(), 0);
    assert_eq!(server.stats.connections(), 1, "one connection all along");
    server.stop().await;
}

#[tokio::test(start_paused = true)]
async fn keepalive_off_pings_no_one() {
    let config = ServerConfig::default()
        .keepalive(None)
        .idle_timeout(Some(Duration::from_secs(200)));
    let server = TestServer::start(router(&Drops::default()), config).await;
    let mut raw = RawConn::handshake(&server.tcp()).await;
    raw.send(&request(1, "test.add", &json!([1, 2]))).await;
    assert!(matches!(raw.next_frame().await, Some(Frame::Response(_))));
    let Some(Frame::GoAway(goaway)) = raw.next_frame_within(QUIET).await else {
        panic!("expected the idle goaway and no ping before it")
    };
    assert!(goaway.message.contains("idle"), "{}", goaway.message);
    server.stop().await;
}

/// A socket whose receive window stays small, so that a large frame to it waits on its reads.
fn narrow_socket() -> TcpSocket {
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(64 * 1024).unwrap();
    socket
}

/// Bytes enough that most of them wait in the sender until a slow reader takes them.
const LARGE: usize = 12 << 20;

#[tokio::test(start_paused = true)]
async fn a_caller_slowly_taking_a_large_answer_is_not_given_up_though_it_says_nothing() {
    let router = router(&Drops::default())
        .function("test.large", ["n"], |n: usize| async move { "x".repeat(n) });
    let config = ServerConfig::default().idle_timeout(None);
    let server = TestServer::start(router, config).await;
    let address = server.tcp().parse().unwrap();
    let mut slow = RawConn::handshake_on(narrow_socket().connect(address).await.unwrap()).await;
    slow.send(&request(1, "test.large", &json!([LARGE]))).await;
    let started = Instant::now();
    let answer = slow
        .next_frame_slowly(64 * 1024, Duration::from_millis(500))
        .await;
    let Some(Frame::Response(response)) = answer else {
        panic!("expected the answer, got {answer:?}")
    };
    assert_eq!(response.status, Status::Ok);
    assert!(response.body.len() > LARGE);
    assert!(
        started.elapsed() > Duration::from_secs(50),
        "the answer took longer than a keepalive: {:?}",
        started.elapsed()
    );
    assert_eq!(server.stats.keepalive_timeouts(), 0);
    server.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_large_call_to_a_server_slowly_taking_it_is_not_given_up_though_it_says_nothing() {
    let socket = narrow_socket();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(1).unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let server = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let mut conn = RawConn::wrap(stream);
        conn.preface().await;
        let mut out = bytes::BytesMut::new();
        ferry_wire::Preface {
            version: ferry_wire::VERSION,
            codec: ferry_wire::CODEC_MSGPACK,
            max_frame_len: 1 << 24,
        }
        .encode(&mut out);
        conn.send_bytes(&out).await;
        let started = Instant::now();
        let call = conn
            .next_frame_slowly(64 * 1024, Duration::from_millis(500))
            .await;
        let Some(Frame::Request(call)) = call else {
            panic!("expected the call, got {call:?}")
        };
        let elapsed = started.elapsed();
        let body = ferry::Codec::MsgPack
            .encode(&json!(call.body.len()))
            .unwrap();
        let answer = ferry_wire::Response {
            call_id: call.call_id,
            status: Status::Ok,
            body,
        };
        conn.send(&Frame::Response(answer)).await;
        (conn, elapsed)
    });
    let config = ClientConfig::default().default_timeout(None);
    let client = Client::connect_with(address.as_str(), config)
        .await
        .unwrap();
    let sent: usize = client
        .call_typed::<_, _, NoError>(
            "test.large",
            &json!(["x".repeat(LARGE)]),
            &CallOptions::new(),
        )
        .await
        .expect("answered once the server has it all");
    assert!(sent > LARGE);
    let (_conn, elapsed) = server.await.unwrap();
    assert!(elapsed > Duration::from_secs(50), "it took {elapsed:?}");
}
