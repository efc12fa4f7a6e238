//! zstd on native connections, against a real server on 127.0.0.1: calls give the same
//! results with compression on, off or on one side only; compressed traffic is smaller on the
//! wire, by the server's own byte counters; and a zstd bomb is refused `too_large` while its
//! connection and every other caller go on.

mod common;

use bytes::{Bytes, BytesMut};
use common::{raw::RawConn, TestServer};
use ferry::{
    server::Limit, CallError, CallOptions, Client, ClientConfig, Compression, Router, ServerConfig,
    Status,
};
use ferry_wire::{
    compress::Compressor, ByteStr, Frame, Preface, Request, RequestHead, Response, CODEC_MSGPACK,
};

fn router() -> Router {
    Router::new()
        .function("t.echo", ["data"], |data: Bytes| async move { data })
        .function("t.len", ["data"], |data: Bytes| async move { data.len() })
}

/// 64 KiB of text, as compressible as a JSON document or a log.
fn text(len: usize) -> Bytes {
    let line = b"2026-12-02 13:21:18 INFO ferry: call echo.echo answered ok in 41 us\n";
    line.iter().copied().cycle().take(len).collect()
}

/// Bytes zstd cannot shrink: they go uncompressed even with compression on.
fn noise(len: usize) -> Bytes {
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state.to_le_bytes()[0]
        })
        .collect()
}

fn compressor() -> Compressor {
    Compression::zstd().compressor().unwrap()
}

async fn client(server: &TestServer, compression: Compression) -> Client {
    let config = ClientConfig::default().compression(compression);
    Client::connect_with(server.tcp(), config).await.unwrap()
}

async fn echo(client: &Client, data: &Bytes) -> Result<Bytes, CallError<serde_json::Value>> {
    client
        .call("t.echo", &(data,), &CallOptions::default())
        .await
}

#[tokio::test]
async fn calls_give_equal_results_with_compression_on_off_or_on_one_side() {
    let on = TestServer::start(router(), ServerConfig::default()).await;
    let off = TestServer::start(
        router(),
        ServerConfig::default().compression(Compression::Off),
    )
    .await;
    let payloads = [
        Bytes::from_static(b"64 bytes or so: far under the threshold, sent as it is......"),
        text(1024),
        text(64 * 1024),
        noise(64 * 1024),
    ];
    for server in [&on, &off] {
        for compression in [Compression::zstd(), Compression::Off] {
            let client = client(server, compression).await;
            for payload in &payloads {
                let back = echo(&client, payload).await.unwrap();
                assert_eq!(back, *payload, "{} bytes, {compression:?}", payload.len());
                let len: usize = client
                    .call("t.len", &(payload,), &CallOptions::default())
                    .await
                    .unwrap();
                assert_eq!(len, payload.len());
            }
        }
    }
    on.stop().await;
    off.stop().await;
}

/// The bytes the server read and wrote while `calls` echoes of `payload` went through a
/// client with `compression`.
async fn wire_bytes(server: &TestServer, compression: Compression, payload: &Bytes) -> (u64, u64) {
    let (read, written) = (server.stats.received_bytes(), server.stats.sent_bytes());
    let client = client(server, compression).await;
    for _ in 0..20 {
        assert_eq!(echo(&client, payload).await.unwrap(), *payload);
    }
    drop(client);
    (
        server.stats.received_bytes() - read,
        server.stats.sent_bytes() - written,
    )
}

#[tokio::test]
async fn compressed_traffic_is_smaller_on_the_wire() {
    let server = TestServer::start(router(), ServerConfig::default()).await;
    let payload = text(64 * 1024);
    let plain = wire_bytes(&server, Compression::Off, &payload).await;
    let compressed = wire_bytes(&server, Compression::zstd(), &payload).await;
    assert!(plain.0 > 20 * 64 * 1024, "read {plain:?}");
    assert!(plain.1 > 20 * 64 * 1024, "written {plain:?}");
    assert!(
        compressed.0 * 20 < plain.0 && compressed.1 * 20 < plain.1,
        "compressed {compressed:?} against plain {plain:?} (read, written)"
    );
    // A small call is not compressed: the same bytes either way.
    let small = Bytes::from_static(b"small");
    let (small_plain, small_on) = (
        wire_bytes(&server, Compression::Off, &small).await,
        wire_bytes(&server, Compression::zstd(), &small).await,
    );
    assert_eq!(small_plain, small_on);
    server.stop().await;
}

/// A request frame whose body is `compressed`, flagged zstd.
fn compressed_request(call_id: u32, compressed: &[u8]) -> Vec<u8> {
    let method = ByteStr::from_static("t.len");
    let head = RequestHead {
        call_id,
        method: &method,
        deadline: None,
        metadata: &[],
        body_len: compressed.len(),
        zstd: true,
    };
    let mut out = BytesMut::new();
    head.encode(&mut out);
    out.extend_from_slice(compressed);
    out.to_vec()
}

/// A zstd frame whose header claims 4 GiB, with 4 bytes of data.
fn claims_4_gib() -> Vec<u8> {
    let mut frame = vec![0x28, 0xb5, 0x2f, 0xfd, 0b1110_0000];
    frame.extend_from_slice(&(4u64 << 30).to_le_bytes());
    frame.extend_from_slice(&[0x21, 0x00, 0x00]);
    frame.extend_from_slice(b"abcd");
    frame
}

fn refused_status(frame: Option<Frame>, call_id: u32) -> (Status, String) {
    match frame {
        Some(Frame::Refused(refused)) if refused.call_id == call_id => {
            let message = String::from_utf8_lossy(&refused.body).into_owned();
            (refused.status, message)
        }
        other => panic!("expected call {call_id} refused, got {other:?}"),
    }
}

#[tokio::test]
async fn a_zstd_bomb_is_refused_too_large_and_the_connection_and_others_go_on() {
    let config = ServerConfig::default().max_frame_len(1 << 20);
    let server = TestServer::start(router(), config).await;
    let bystander = client(&server, Compression::zstd()).await;
    let preface = Preface::new(CODEC_MSGPACK, 1 << 24, true);
    let mut conn = RawConn::open(&server.tcp(), preface).await;
    assert!(conn.preface().await.accepts_zstd());

    // 64 MiB of zeros in a few kilobytes: refused by the size its frame claims.
    let zeros = ferry::Codec::MsgPack
        .encode(&(Bytes::from(vec![0u8; 64 << 20]),))
        .unwrap();
    let bomb = compressor().compress(&zeros).unwrap();
    assert!(bomb.len() < 8 * 1024, "{} bytes", bomb.len());
    drop(zeros);
    conn.send_bytes(&compressed_request(1, &bomb)).await;
    let (status, message) = refused_status(conn.next_frame().await, 1);
    assert_eq!(status, Status::TooLarge);
    assert!(message.contains("over the"), "{message}");

    // A frame that claims 4 GiB is refused the same way, with nothing allocated for it.
    conn.send_bytes(&compressed_request(2, &claims_4_gib()))
        .await;
    let (status, message) = refused_status(conn.next_frame().await, 2);
    assert_eq!(status, Status::TooLarge);
    assert!(message.contains("4294967296"), "{message}");

    // Bytes that are not zstd at all: the call is refused `protocol`, the connection goes on.
    conn.send_bytes(&compressed_request(3, b"not zstd")).await;
    assert_eq!(
        refused_status(conn.next_frame().await, 3).0,
        Status::Protocol
    );

    // The same connection still serves, a compressed call among them.
    let args = ferry::Codec::MsgPack.encode(&(text(8192),)).unwrap();
    let body = compressor().compress(&args).unwrap();
    conn.send_bytes(&compressed_request(4, &body)).await;
    match conn.next_frame().await {
        Some(Frame::Response(answer)) => {
            assert_eq!(answer.status, Status::Ok);
            let len: usize = ferry::Codec::MsgPack.decode(&answer.body).unwrap();
            assert_eq!(len, 8192);
        }
        other => panic!("expected call 4 answered, got {other:?}"),
    }
    assert_eq!(
        echo(&bystander, &text(64 * 1024)).await.unwrap(),
        text(64 * 1024)
    );
    assert_eq!(server.stats.refusals(Limit::MaxFrameLen), 2);
    assert_eq!(server.stats.protocol_errors(), 0);
    server.stop().await;
}

/// A server of the test's own, which answers a zstd client's first call with a bomb and its
/// second with the plain truth.
#[tokio::test]
async fn a_client_refuses_a_compressed_answer_past_its_limit_and_goes_on() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let fake = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let mut conn = RawConn::wrap(stream);
        assert!(conn.preface().await.accepts_zstd());
        let mut out = BytesMut::new();
        Preface::new(CODEC_MSGPACK, 1 << 24, true).encode(&mut out);
        conn.send_bytes(&out).await;
        for answer in 0..2 {
            let Some(Frame::Request(Request { call_id, .. })) = conn.next_frame().await else {
                panic!("expected a request");
            };
            let result = if answer == 0 {
                vec![0u8; 1 << 20]
            } else {
                b"fine".to_vec()
            };
            let body = ferry::Codec::MsgPack.encode(&Bytes::from(result)).unwrap();
            let response = Response {
                call_id,
                status: Status::Ok,
                body: compressor().compress(&body).unwrap_or(body),
            };
            let mut out = BytesMut::new();
            if answer == 0 {
                response.encode_zstd_head(&mut out);
            } else {
                response.encode_head(&mut out);
            }
            out.extend_from_slice(&response.body);
            conn.send_bytes(&out).await;
        }
    });
    let config = ClientConfig::default()
        .compression(Compression::zstd())
        .max_frame_len(64 * 1024);
    let client = Client::connect_with(address, config).await.unwrap();
    let refused = echo(&client, &Bytes::from_static(b"x")).await.unwrap_err();
    assert_eq!(refused.status(), Status::TooLarge, "{refused}");
    let fine = echo(&client, &Bytes::from_static(b"y")).await.unwrap();
    assert_eq!(fine, Bytes::from_static(b"fine"));
    fake.await.unwrap();
}
