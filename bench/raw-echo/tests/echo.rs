//! The raw echo server and client over a real loopback socket.

use std::time::Duration;

use bytes::BytesMut;
use ferry_load::LoadConfig;
use raw_echo::{frame, RawTarget};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
};

async fn start_server() -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(raw_echo::server::serve(listener));
    address
}

fn short(conns: usize, inflight: usize, payload: usize) -> LoadConfig {
    LoadConfig::default()
        .conns(conns)
        .inflight(inflight)
        .payload(payload)
        .duration(Duration::from_millis(300))
        .warmup(Duration::ZERO)
}

#[tokio::test]
async fn multiplexed_calls_are_all_answered() {
    let address = start_server().await;
    let report = ferry_load::run(RawTarget::new(address), short(2, 16, 1024))
        .await
        .unwrap();
    assert!(report.calls > 0, "{report}");
    assert!(report.errors.is_empty(), "{report}");
}

#[tokio::test]
async fn answers_carry_the_request_id_and_payload() {
    let address = start_server().await;
    let mut socket = TcpStream::connect(address).await.unwrap();
    let mut out = BytesMut::new();
    frame::encode(41, b"first", &mut out);
    frame::encode(42, b"second", &mut out);
    socket.write_all(&out).await.unwrap();
    let mut input = BytesMut::new();
    let mut answers = Vec::new();
    while answers.len() < 2 {
        assert!(
            socket.read_buf(&mut input).await.unwrap() > 0,
            "closed early"
        );
        while let Some(answer) = frame::decode(&mut input).unwrap() {
            answers.push((answer.id, answer.payload));
        }
    }
    assert_eq!(answers[0], (41, bytes::Bytes::from_static(b"first")));
    assert_eq!(answers[1], (42, bytes::Bytes::from_static(b"second")));
}

#[tokio::test]
async fn a_frame_over_the_limit_closes_only_its_connection() {
    let address = start_server().await;
    let mut bad = TcpStream::connect(address).await.unwrap();
    let mut header = u32::MAX.to_le_bytes().to_vec();
    header.extend_from_slice(&[0; 8]);
    bad.write_all(&header).await.unwrap();
    let mut rest = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), bad.read_to_end(&mut rest)).await;
    assert!(matches!(read, Ok(Ok(0))), "the connection stayed open");
    let report = ferry_load::run(RawTarget::new(address), short(1, 1, 64))
        .await
        .unwrap();
    assert!(report.calls > 0 && report.errors.is_empty(), "{report}");
}
