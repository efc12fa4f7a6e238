//! tower's own layers on a ferry router, over the native protocol on real TCP.

mod common;

use std::{
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::Duration,
};

use ferry::{CallOptions, Client, Router, ServerConfig, Status};
use serde_json::{json, Value};
use tokio::sync::Notify;

use common::TestServer;

fn sleeper() -> Router {
    Router::new().function("util.sleep", ["ms"], |ms: u64| async move {
        tokio::time::sleep(Duration::from_millis(ms)).await;
        ms
    })
}

async fn call(
    client: &Client,
    method: &str,
    args: Value,
) -> Result<Value, ferry::CallError<Value>> {
    client.call(method, &args, &CallOptions::new()).await
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn a_tower_timeout_answers_deadline_exceeded() {
    let router = sleeper().tower_layer(tower::timeout::TimeoutLayer::new(Duration::from_secs(1)));
    let server = TestServer::start(router, ServerConfig::default()).await;
    let client = Client::connect(server.address.clone()).await.unwrap();
    assert_eq!(call(&client, "util.sleep", json!([10])).await.unwrap(), 10);
    let started = tokio::time::Instant::now();
    let slow = call(&client, "util.sleep", json!([5_000]))
        .await
        .unwrap_err();
    assert_eq!(slow.status(), Status::DeadlineExceeded, "{slow}");
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the timeout did not cut it off"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_concurrency_limit_with_load_shedding_answers_overloaded() {
    let gate = Arc::new(Notify::new());
    let router = Router::new()
        .function("util.wait", [], {
            let gate = gate.clone();
            move || {
                let gate = gate.clone();
                async move { gate.notified().await }
            }
        })
        // One layer, so that load shedding sees the limit's readiness.
        .tower_layer(
            tower::ServiceBuilder::new()
                .load_shed()
                .concurrency_limit(1)
                .into_inner(),
        );
    let server = TestServer::start(router, ServerConfig::default()).await;
    let client = Client::connect(server.address.clone()).await.unwrap();
    let first = tokio::spawn({
        let client = client.clone();
        async move { call(&client, "util.wait", json!([])).await }
    });
    server.wait_for_calls(1).await;
    let second = call(&client, "util.wait", json!([])).await.unwrap_err();
    assert_eq!(second.status(), Status::Overloaded, "{second}");
    gate.notify_one();
    assert_eq!(first.await.unwrap().unwrap(), Value::Null);
    server.stop().await;
}

#[tokio::test]
async fn a_tower_layer_wraps_methods_registered_after_it_and_reflection() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counting = tower::layer::layer_fn({
        let calls = calls.clone();
        move |inner: ferry::layer::tower::HandlerService| {
            let calls = calls.clone();
            tower::util::MapRequest::new(inner, move |call: ferry::Call| {
                calls.fetch_add(1, Ordering::SeqCst);
                call
            })
        }
    });
    let router = sleeper().tower_layer(counting).function(
        "util.twice",
        ["n"],
        |n: i64| async move { 2 * n },
    );
    let server = TestServer::start(router, ServerConfig::default()).await;
    let client = Client::connect(server.address.clone()).await.unwrap();
    assert_eq!(call(&client, "util.sleep", json!([1])).await.unwrap(), 1);
    assert_eq!(call(&client, "util.twice", json!([21])).await.unwrap(), 42);
    call(&client, "ferry.reflect.describe", json!([]))
        .await
        .unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    let unknown = call(&client, "util.nope", json!([])).await.unwrap_err();
    assert_eq!(unknown.status(), Status::UnknownMethod);
    assert_eq!(
        calls.load(Ordering::SeqCst),
        3,
        "a tower layer wraps handlers only"
    );
    server.stop().await;
}
