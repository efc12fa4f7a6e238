//! Shutdown, restart, reconnect and re-send rules, over real sockets.
//!
//! Tests that wait on drains or on a peer's timeouts run on tokio's paused clock: everything
//! shares one current-thread runtime, so the clock moves only when every task waits.

mod common;

use std::time::Duration;

use bytes::BytesMut;
use common::{router, Drops, TestServer};
use ferry::{ByteStr, CallError, CallOptions, Client, ClientConfig, NoError, ServerConfig, Status};
use ferry_wire::{Frame, FrameDecoder, GoAway, Preface, Response, VERSION};
use serde_json::json;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
};

fn method(name: &'static str) -> ByteStr {
    ByteStr::from_static(name)
}

#[tokio::test(start_paused = true)]
async fn graceful_shutdown_answers_every_accepted_call() {
    let server = TestServer::start(router(&Drops::default()), ServerConfig::default()).await;
    let client = Client::connect(server.address.clone()).await.unwrap();
    let calls: Vec<_> = (0..20)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move {
                client
                    .call_typed::<_, u64, NoError>(
                        method("test.sleep"),
                        &json!([400]),
                        &CallOptions::new(),
                    )
                    .await
            })
        })
        .collect();
    server.wait_for_calls(20).await;
    let address = server.address.clone();
    server.stop().await;
    for call in calls {
        assert_eq!(
            call.await.unwrap().unwrap(),
            400,
            "an accepted call finished during the drain"
        );
    }
    let after = Client::connect(address).await;
    assert!(
        matches!(
            after,
            Err(CallError::Status {
                status: Status::Unavailable,
                ..
            })
        ),
        "the listener is closed: {:?}",
        after.err()
    );
}

#[tokio::test(start_paused = true)]
async fn calls_still_running_at_the_drain_timeout_are_answered_unavailable() {
    let drops = Drops::default();
    let config = ServerConfig::default().drain_timeout(Duration::from_millis(200));
    let server = TestServer::start(router(&drops), config).await;
    let client = Client::connect(server.address.clone())
        .await
        .unwrap()
        .with_timeout(None);
    let hung = tokio::spawn(async move {
        client
            .call_typed::<_, (), NoError>(method("test.hang"), &json!([]), &CallOptions::new())
            .await
    });
    server.wait_for_calls(1).await;
    server.stop().await;
    let result = hung.await.unwrap();
    let Err(CallError::Status {
        status: Status::Unavailable,
        message,
        ..
    }) = result
    else {
        panic!("got {result:?}")
    };
    assert!(message.contains("shut down"), "{message}");
    assert_eq!(drops.wait_for(1).await, 1, "the handler was dropped");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_reconnects_after_the_server_restarts() {
    let server = TestServer::start(router(&Drops::default()), ServerConfig::default()).await;
    let address = server.tcp();
    let client = Client::connect(server.address.clone()).await.unwrap();
    let add = |client: Client| async move {
        client
            .call_typed::<_, i64, NoError>(method("test.add"), &json!([1, 2]), &CallOptions::new())
            .await
    };
    assert_eq!(add(client.clone()).await.unwrap(), 3);
    server.stop().await;
    let down = add(client.clone()).await;
    assert!(
        matches!(
            down,
            Err(CallError::Status {
                status: Status::Unavailable,
                ..
            })
        ),
        "got {down:?}"
    );
    let restarted =
        TestServer::start_on(&address, router(&Drops::default()), ServerConfig::default()).await;
    assert_eq!(
        add(client.clone()).await.unwrap(),
        3,
        "the next call reconnected"
    );
    restarted.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unix_sockets_serve_the_same_calls() {
    let path = std::env::temp_dir().join(format!("ferry-test-{}.sock", std::process::id()));
    let address = format!("unix:{}", path.display());
    let server =
        TestServer::start_on(&address, router(&Drops::default()), ServerConfig::default()).await;
    let client = Client::connect(address.as_str()).await.unwrap();
    let sum: i64 = client
        .call_typed::<_, _, NoError>(method("test.add"), &json!([20, 22]), &CallOptions::new())
        .await
        .unwrap();
    assert_eq!(sum, 42);
    server.stop().await;
    assert!(!path.exists(), "the socket file is removed on shutdown");
}

/// How the scripted peer treats the first request it reads.
#[derive(Clone, Copy)]
enum First {
    /// A goaway saying it ran nothing.
    Refuse,
    /// Closes the connection without answering: the call may or may not have run.
    Vanish,
}

/// A scripted peer: answers the preface, then treats the first request as `first` says;
/// answers requests on later connections. Returns how many requests it saw.
async fn scripted_peer(listener: TcpListener, first: First) -> usize {
    let mut seen = 0;
    for connection in 0..2 {
        let accepted = tokio::time::timeout(Duration::from_millis(500), listener.accept()).await;
        let Ok(Ok((mut stream, _))) = accepted else {
            break;
        };
        // Each write goes out at once, as in `RawConn::wrap`.
        stream.set_nodelay(true).unwrap();
        let mut input = BytesMut::new();
        while Preface::decode(&mut input).unwrap().is_none() {
            stream.read_buf(&mut input).await.unwrap();
        }
        let mut out = BytesMut::new();
        Preface {
            version: VERSION,
            codec: ferry_wire::CODEC_MSGPACK,
            max_frame_len: 1 << 20,
        }
        .encode(&mut out);
        stream.write_all(&out).await.unwrap();
        let request = next_request(&mut stream, &mut input).await;
        seen += 1;
        out.clear();
        if connection == 0 && matches!(first, First::Vanish) {
            drop(stream);
            continue;
        }
        if connection == 0 {
            let message = ByteStr::from_static("restarting");
            Frame::GoAway(GoAway {
                last_call_id: 0,
                status: Status::Unavailable,
                message,
            })
            .encode(&mut out);
        } else {
            let body = ferry::Codec::MsgPack.encode(&7).unwrap();
            Frame::Response(Response {
                call_id: request,
                status: Status::Ok,
                body,
            })
            .encode(&mut out);
        }
        stream.write_all(&out).await.unwrap();
    }
    seen
}

async fn next_request(stream: &mut TcpStream, input: &mut BytesMut) -> u32 {
    let mut decoder = FrameDecoder::new(1 << 20);
    loop {
        if let Some(Frame::Request(request)) = decoder.decode(input).unwrap() {
            return request.call_id;
        }
        stream.read_buf(input).await.unwrap();
    }
}

async fn call_through_peer(first: First, idempotent: bool) -> (Result<i64, CallError>, usize) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let peer = tokio::spawn(scripted_peer(listener, first));
    let client = Client::connect_with(address, ClientConfig::default())
        .await
        .unwrap();
    let result = client
        .call_typed::<_, i64, NoError>(
            method("any.thing"),
            &json!([]),
            &CallOptions::new().with_idempotent(idempotent),
        )
        .await;
    (result, peer.await.unwrap())
}

#[tokio::test(start_paused = true)]
async fn an_idempotent_call_the_server_did_not_run_is_resent() {
    let (result, requests_seen) = call_through_peer(First::Refuse, true).await;
    assert_eq!(result.unwrap(), 7);
    assert_eq!(requests_seen, 2);
}

#[tokio::test(start_paused = true)]
async fn a_non_idempotent_call_is_never_resent() {
    let (result, requests_seen) = call_through_peer(First::Refuse, false).await;
    let Err(CallError::Status {
        status: Status::Unavailable,
        message,
        ..
    }) = result
    else {
        panic!("got {result:?}")
    };
    assert!(message.contains("restarting"), "{message}");
    assert_eq!(requests_seen, 1);
}

#[tokio::test(start_paused = true)]
async fn a_call_in_flight_on_a_lost_connection_is_unavailable_and_never_resent() {
    let (result, requests_seen) = call_through_peer(First::Vanish, true).await;
    let Err(CallError::Status {
        status: Status::Unavailable,
        message,
        ..
    }) = result
    else {
        panic!("got {result:?}")
    };
    assert!(message.contains("lost"), "{message}");
    assert_eq!(
        requests_seen, 1,
        "even an idempotent call is not re-sent: it may have run"
    );
}
