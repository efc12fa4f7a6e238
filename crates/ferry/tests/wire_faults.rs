//! Bad input over real sockets: garbage, oversize frames, unknown versions, protocol limits.
//! Each is answered or closed cleanly while other connections keep being served.
//!
//! Tests of timeouts run on tokio's paused clock: server and peer share one current-thread
//! runtime over loopback sockets, so the clock moves only when every task waits on a timer.

mod common;

use std::time::Duration;

use common::{
    raw::{request, RawConn},
    router, Drops, TestServer,
};
use ferry::{ByteStr, CallError, CallOptions, Client, NoError, ServerConfig, Status};
use ferry_wire::{Frame, Preface, Response, CODEC_MSGPACK, VERSION};
use serde_json::json;

async fn add(client: &Client, a: i64, b: i64) -> i64 {
    client
        .call_typed::<_, _, NoError>(
            ByteStr::from_static("test.add"),
            &json!([a, b]),
            &CallOptions::new(),
        )
        .await
        .unwrap()
}

fn status_of(frame: Option<Frame>) -> (u32, Status) {
    match frame {
        Some(Frame::Response(Response {
            call_id, status, ..
        })) => (call_id, status),
        other => panic!("expected a response, got {other:?}"),
    }
}

/// The call and status of a REFUSED frame: the server says it did not run the call.
fn refusal_of(frame: Option<Frame>) -> (u32, Status) {
    match frame {
        Some(Frame::Refused(Response {
            call_id, status, ..
        })) => (call_id, status),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_bytes_close_only_that_connection() {
    let server = TestServer::start(router(&Drops::default()), ServerConfig::default()).await;
    let client = Client::connect(server.address.clone()).await.unwrap();
    assert_eq!(add(&client, 1, 2).await, 3);
    let mut garbage = tokio::net::TcpStream::connect(server.tcp()).await.unwrap();
    let noise: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    tokio::io::AsyncWriteExt::write_all(&mut garbage, &noise)
        .await
        .unwrap();
    let mut raw = RawConn::wrap(garbage);
    assert!(
        raw.closed_by_peer().await,
        "the server closed the garbage connection"
    );
    assert_eq!(
        add(&client, 2, 2).await,
        4,
        "the other connection is still served"
    );
    assert!(
        server.stats.protocol_errors() >= 1,
        "the bad connection was counted"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversize_frame_is_answered_too_large_and_skipped() {
    let config = ServerConfig::default().max_frame_len(1024);
    let server = TestServer::start(router(&Drops::default()), config).await;
    let bystander = Client::connect(server.address.clone()).await.unwrap();
    let mut raw = RawConn::handshake(&server.tcp()).await;
    let announced = 1_000_000u32;
    let mut header = Vec::new();
    header.extend_from_slice(&announced.to_be_bytes());
    header.extend_from_slice(&[0x01, 0x00]);
    header.extend_from_slice(&7u32.to_be_bytes());
    raw.send_bytes(&header).await;
    assert_eq!(refusal_of(raw.next_frame().await), (7, Status::TooLarge));
    assert_eq!(
        add(&bystander, 5, 5).await,
        10,
        "other connections are served meanwhile"
    );
    for _ in 0..(announced / 10_000) {
        raw.send_bytes(&[0xAB; 10_000]).await;
    }
    raw.send(&request(8, "test.add", &json!([20, 22]))).await;
    assert_eq!(
        status_of(raw.next_frame().await),
        (8, Status::Ok),
        "the connection stays usable"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_refuses_a_request_over_the_servers_limit() {
    let config = ServerConfig::default().max_frame_len(1024);
    let server = TestServer::start(router(&Drops::default()), config).await;
    let client = Client::connect(server.address.clone()).await.unwrap();
    let long = "x".repeat(4000);
    let result = client
        .call_typed::<_, String, NoError>(
            ByteStr::from_static("test.greet"),
            &json!([long]),
            &CallOptions::new(),
        )
        .await;
    let Err(CallError::Status {
        status: Status::TooLarge,
        message,
        ..
    }) = result
    else {
        panic!("got {result:?}")
    };
    assert!(message.contains("1024"), "{message}");
    assert_eq!(add(&client, 1, 1).await, 2);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_result_over_the_clients_limit_is_answered_too_large() {
    let server = TestServer::start(router(&Drops::default()), ServerConfig::default()).await;
    let config = ferry::ClientConfig::default().max_frame_len(160);
    let client = Client::connect_with(server.address.clone(), config)
        .await
        .unwrap();
    let long = "y".repeat(400);
    let result = client
        .call_typed::<_, String, NoError>(
            ByteStr::from_static("test.greet"),
            &json!([long]),
            &CallOptions::new(),
        )
        .await;
    let Err(CallError::Status {
        status: Status::TooLarge,
        message,
        ..
    }) = result
    else {
        panic!("got {result:?}")
    };
    assert!(
        message.contains("test.greet") && message.contains("160"),
        "{message}"
    );
    assert_eq!(
        add(&client, 1, 1).await,
        2,
        "the connection is still in step"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_version_gets_a_goaway_naming_what_the_server_speaks() {
    let server = TestServer::start(router(&Drops::default()), ServerConfig::default()).await;
    let preface = Preface {
        version: 9,
        codec: CODEC_MSGPACK,
        max_frame_len: 1 << 20,
    };
    let mut raw = RawConn::open(&server.tcp(), preface).await;
    assert_eq!(raw.preface().await.version, VERSION);
    match raw.next_frame().await {
        Some(Frame::GoAway(goaway)) => {
            assert_eq!(goaway.status, Status::Protocol);
            assert!(goaway.message.contains("version 9"), "{}", goaway.message);
            assert!(goaway.message.contains("version 1"), "{}", goaway.message);
        }
        other => panic!("expected goaway, got {other:?}"),
    }
    assert!(raw.closed_by_peer().await);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_codec_is_refused() {
    let server = TestServer::start(router(&Drops::default()), ServerConfig::default()).await;
    let preface = Preface {
        version: VERSION,
        codec: 42,
        max_frame_len: 1 << 20,
    };
    let mut raw = RawConn::open(&server.tcp(), preface).await;
    assert_eq!(
        raw.preface().await.codec,
        CODEC_MSGPACK,
        "the refusal names a codec it speaks"
    );
    let Some(Frame::GoAway(goaway)) = raw.next_frame().await else {
        panic!("expected goaway")
    };
    assert!(goaway.message.contains("codec 42"), "{}", goaway.message);
    server.stop().await;
}

#[tokio::test(start_paused = true)]
async fn the_server_enforces_the_deadline_a_request_carries() {
    let drops = Drops::default();
    let server = TestServer::start(router(&drops), ServerConfig::default()).await;
    let mut raw = RawConn::handshake(&server.tcp()).await;
    let Frame::Request(mut hang) = request(1, "test.hang", &json!([])) else {
        unreachable!()
    };
    hang.deadline = Some(Duration::from_millis(100));
    raw.send(&Frame::Request(hang)).await;
    assert_eq!(
        status_of(raw.next_frame().await),
        (1, Status::DeadlineExceeded)
    );
    assert_eq!(drops.wait_for(1).await, 1, "the handler future was dropped");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ping_is_answered_with_the_same_payload() {
    let server = TestServer::start(router(&Drops::default()), ServerConfig::default()).await;
    let mut raw = RawConn::handshake(&server.tcp()).await;
    raw.send(&Frame::Ping { payload: 0xFEED }).await;
    assert_eq!(
        raw.next_frame().await,
        Some(Frame::Pong { payload: 0xFEED })
    );
    server.stop().await;
}

#[tokio::test(start_paused = true)]
async fn calls_over_the_in_flight_limit_are_overloaded() {
    let drops = Drops::default();
    let config = ServerConfig::default()
        .max_in_flight(2)
        .drain_timeout(Duration::from_millis(200));
    let server = TestServer::start(router(&drops), config).await;
    let mut raw = RawConn::handshake(&server.tcp()).await;
    for call_id in 1..=3 {
        raw.send(&request(call_id, "test.hang", &json!([]))).await;
    }
    assert_eq!(refusal_of(raw.next_frame().await), (3, Status::Overloaded));
    raw.send(&Frame::Cancel { call_id: 1 }).await;
    assert_eq!(drops.wait_for(1).await, 1);
    raw.send(&request(4, "test.add", &json!([1, 2]))).await;
    assert_eq!(
        status_of(raw.next_frame().await),
        (4, Status::Ok),
        "a slot freed by cancel is usable"
    );
    server.stop().await;
}

#[tokio::test(start_paused = true)]
async fn an_idle_connection_is_closed_with_goaway() {
    let config = ServerConfig::default().idle_timeout(Some(Duration::from_millis(200)));
    let server = TestServer::start(router(&Drops::default()), config).await;
    let mut raw = RawConn::handshake(&server.tcp()).await;
    let Some(Frame::GoAway(goaway)) = raw.next_frame().await else {
        panic!("expected goaway")
    };
    assert_eq!(goaway.status, Status::Unavailable);
    assert!(goaway.message.contains("idle"), "{}", goaway.message);
    assert!(raw.closed_by_peer().await);
    let client = Client::connect(server.address.clone()).await.unwrap();
    assert_eq!(
        add(&client, 3, 4).await,
        7,
        "new connections are still welcome"
    );
    server.stop().await;
}

#[tokio::test(start_paused = true)]
async fn the_idle_clock_starts_when_the_last_call_finishes() {
    let config = ServerConfig::default().idle_timeout(Some(Duration::from_millis(200)));
    let server = TestServer::start(router(&Drops::default()), config).await;
    let mut raw = RawConn::handshake(&server.tcp()).await;
    raw.send(&request(1, "test.sleep", &json!([600]))).await;
    assert_eq!(
        status_of(raw.next_frame().await),
        (1, Status::Ok),
        "a long call is not idle"
    );
    let answered = tokio::time::Instant::now();
    let Some(Frame::GoAway(goaway)) = raw.next_frame().await else {
        panic!("expected goaway")
    };
    assert!(goaway.message.contains("idle"), "{}", goaway.message);
    assert_eq!(
        answered.elapsed(),
        Duration::from_millis(200),
        "idle counted from the answer"
    );
    server.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_peer_that_sends_nothing_is_closed_after_the_handshake_timeout() {
    let config = ServerConfig::default().handshake_timeout(Duration::from_millis(200));
    let server = TestServer::start(router(&Drops::default()), config).await;
    let silent = tokio::net::TcpStream::connect(server.tcp()).await.unwrap();
    let connected = tokio::time::Instant::now();
    let mut raw = RawConn::wrap(silent);
    assert!(raw.closed_by_peer().await);
    assert_eq!(connected.elapsed(), Duration::from_millis(200));
    server.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_duplicate_call_id_is_refused_without_disturbing_the_first() {
    let server = TestServer::start(router(&Drops::default()), ServerConfig::default()).await;
    let mut raw = RawConn::handshake(&server.tcp()).await;
    raw.send(&request(5, "test.sleep", &json!([300]))).await;
    raw.send(&request(5, "test.add", &json!([1, 1]))).await;
    assert_eq!(refusal_of(raw.next_frame().await), (5, Status::Protocol));
    assert_eq!(status_of(raw.next_frame().await), (5, Status::Ok));
    server.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_client_that_does_not_read_its_answers_stops_being_read_and_loses_nothing() {
    use tokio::io::AsyncWriteExt;

    let server = TestServer::start(router(&Drops::default()), ServerConfig::default()).await;
    let mut raw = RawConn::handshake(&server.tcp()).await;
    let name = "n".repeat(32 * 1024);
    // Without back-pressure the server would read all of it (128 MiB) and queue the answers.
    let most = 4_000;
    let mut written = 0;
    while written < most {
        let mut bytes = bytes::BytesMut::new();
        request(written + 1, "test.greet", &json!({ "name": name })).encode(&mut bytes);
        let write = raw.stream.write_all(&bytes);
        if tokio::time::timeout(Duration::from_secs(2), write)
            .await
            .is_err()
        {
            break;
        }
        written += 1;
    }
    assert!(
        written < most,
        "the server read {written} requests unanswered"
    );
    let client = Client::connect(server.tcp()).await.unwrap();
    assert_eq!(add(&client, 2, 3).await, 5, "another connection waited");
    for call_id in 1..=written {
        match raw.next_frame().await {
            Some(Frame::Response(response)) => {
                assert_eq!((response.call_id, response.status), (call_id, Status::Ok));
                assert!(response.body.len() > name.len());
            }
            other => panic!("expected the answer to call {call_id}, got {other:?}"),
        }
    }
    server.stop().await;
}
