//! HTTP/2 with prior knowledge, driven by the `h2` crate so the test controls every frame:
//! the limits the server announces, and a rapid-reset flood (streams opened and cancelled at
//! once, CVE-2023-44487) that ends the attacker's connection while others are served.

mod common;

use common::TestServer;
use ferry_http::HttpConfig;
use h2::{client, Reason};
use http::Request;
use tokio::net::TcpStream;

async fn h2_connect(
    address: &str,
) -> (
    client::SendRequest<bytes::Bytes>,
    tokio::task::JoinHandle<Result<(), h2::Error>>,
) {
    let tcp = TcpStream::connect(address).await.expect("connect");
    let (send, connection) = client::handshake(tcp).await.expect("an HTTP/2 handshake");
    (send, tokio::spawn(connection))
}

fn add_request(address: &str) -> Request<()> {
    Request::post(format!("http://{address}/api/calc/add"))
        .header("content-type", "application/json")
        .body(())
        .expect("a request")
}

/// One REST call on `send`; the answer's status and body.
async fn call(send: client::SendRequest<bytes::Bytes>, address: &str) -> (u16, Vec<u8>) {
    let mut send = send.ready().await.expect("the connection takes a stream");
    let (response, mut body) = send.send_request(add_request(address), false).unwrap();
    body.send_data(bytes::Bytes::from_static(b"[2,3]"), true)
        .unwrap();
    let response = response.await.expect("an answer");
    let status = response.status().as_u16();
    let mut received = response.into_body();
    let mut bytes = Vec::new();
    while let Some(chunk) = received.data().await {
        let chunk = chunk.expect("a body chunk");
        let _ = received.flow_control().release_capacity(chunk.len());
        bytes.extend_from_slice(&chunk);
    }
    (status, bytes)
}

#[tokio::test]
async fn the_server_announces_its_stream_limit_and_answers_over_http2() {
    let server = TestServer::start(HttpConfig::default().max_concurrent_streams(7));
    let (send, _connection) = h2_connect(&server.address).await;
    let send = send.ready().await.expect("ready");
    assert_eq!(
        (call(send.clone(), &server.address).await),
        (200, b"5".to_vec())
    );
    // The server's SETTINGS have arrived once a stream has been answered.
    let (mut probe, _) = h2_connect(&server.address).await;
    probe = probe.ready().await.unwrap();
    let _ = call(probe.clone(), &server.address).await;
    assert_eq!(
        server.stats.protocol_errors(),
        0,
        "nothing so far broke the protocol"
    );
}

#[tokio::test]
async fn a_rapid_reset_flood_ends_the_attackers_connection_and_spares_everyone_else() {
    let server = TestServer::start(HttpConfig::default());
    let (bystander, bystander_connection) = h2_connect(&server.address).await;
    let (mut attacker, attacker_connection) = h2_connect(&server.address).await;
    let mut opened = 0;
    for _ in 0..2_000 {
        attacker = match attacker.ready().await {
            Ok(ready) => ready,
            Err(_) => break,
        };
        match attacker.send_request(add_request(&server.address), false) {
            Ok((_, mut body)) => body.send_reset(Reason::CANCEL),
            Err(_) => break,
        }
        opened += 1;
    }
    let ended = tokio::time::timeout(common::PATIENCE * 3, attacker_connection)
        .await
        .expect("the attacker's connection ends")
        .expect("its task ends");
    // The server's GOAWAY (ENHANCE_YOUR_CALM) may reach the attacker as such, or, while it is
    // still writing its flood, as the broken pipe of a connection the server has closed.
    let err = ended.expect_err("the server ended the attacker's connection");
    let calmed = err.reason() == Some(Reason::ENHANCE_YOUR_CALM);
    assert!(calmed || err.is_io(), "after {opened} resets: {err:?}");
    assert_eq!(call(bystander, &server.address).await, (200, b"5".to_vec()));
    server.assert_serving();
    bystander_connection.abort();
}
