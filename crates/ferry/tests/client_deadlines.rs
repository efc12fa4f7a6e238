//! The client's own deadlines, against a peer that speaks the preface and then never answers:
//! only the client can end such calls. They run on tokio's paused clock: client and peer share
//! one current-thread runtime, so the clock moves only when both wait on a timer.

mod common;

use std::time::Duration;

use common::raw::accept_one;
use ferry::{ByteStr, CallError, CallOptions, Client, NoError, Status};
use ferry_wire::Frame;
use serde_json::json;
use tokio::net::TcpListener;

async fn call(client: &Client, timeout_ms: u64) -> Result<(), CallError> {
    client
        .with_timeout(Some(Duration::from_millis(timeout_ms)))
        .call_typed::<_, (), NoError>(
            ByteStr::from_static("test.hang"),
            &json!({}),
            &CallOptions::new(),
        )
        .await
}

#[tokio::test(start_paused = true)]
async fn an_unanswered_call_fails_at_its_deadline_and_is_cancelled() {
    let (address, accepted) = accept_one().await;
    let client = Client::connect(address).await.unwrap();
    let mut peer = accepted.await.unwrap();
    let result = call(&client, 200).await;
    match result {
        Err(CallError::Status {
            status: Status::DeadlineExceeded,
            message,
            ..
        }) => {
            assert!(message.contains("test.hang"), "{message}");
            assert!(message.contains("200ms"), "{message}");
        }
        other => panic!("expected deadline_exceeded, got {other:?}"),
    }
    let Some(Frame::Request(request)) = peer.next_frame().await else {
        panic!("the request came first");
    };
    let deadline = request.deadline.expect("the request carries its deadline");
    assert!(deadline <= Duration::from_millis(200), "{deadline:?}");
    assert!(deadline > Duration::from_millis(100), "{deadline:?}");
    match peer.next_frame().await {
        Some(Frame::Cancel { call_id }) => assert_eq!(call_id, request.call_id),
        other => panic!("expected a cancel, got {other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn calls_with_different_deadlines_expire_each_at_its_own() {
    let (address, accepted) = accept_one().await;
    let client = Client::connect(address).await.unwrap();
    let _peer = accepted.await.unwrap();
    let started = tokio::time::Instant::now();
    let long = tokio::spawn({
        let client = client.clone();
        async move { (call(&client, 1_500).await, started.elapsed()) }
    });
    let short = tokio::spawn({
        let client = client.clone();
        async move { (call(&client, 150).await, started.elapsed()) }
    });
    let (short_result, short_took) = short.await.unwrap();
    assert!(matches!(
        short_result,
        Err(CallError::Status {
            status: Status::DeadlineExceeded,
            ..
        })
    ));
    let (long_result, long_took) = long.await.unwrap();
    assert!(matches!(
        long_result,
        Err(CallError::Status {
            status: Status::DeadlineExceeded,
            ..
        })
    ));
    assert_eq!(
        short_took,
        Duration::from_millis(150),
        "the short call's own deadline"
    );
    assert_eq!(long_took, Duration::from_millis(1_500));
}

#[tokio::test(start_paused = true)]
async fn connecting_counts_against_the_calls_deadline() {
    // Accepts, then never sends its preface: only the call's deadline ends the wait, well
    // before the 5 s connect timeout would.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let held = tokio::spawn(async move { listener.accept().await.unwrap() });
    let client = Client::lazy(address, ferry::ClientConfig::default());
    match call(&client, 200).await {
        Err(CallError::Status {
            status: Status::DeadlineExceeded,
            message,
            ..
        }) => {
            assert!(message.contains("test.hang"), "{message}")
        }
        other => panic!("expected deadline_exceeded, got {other:?}"),
    }
    drop(held.await.unwrap());
}
