//! The native connection's counts, read from the server's own telemetry: each call is in its
//! method's figures by the time its answer arrives, with the status it was answered with,
//! whether it finished, was refused, was cancelled or was cut off by a drain.

use std::{sync::Arc, time::Duration};

use ferry::{
    metrics::{MethodMetrics, Telemetry},
    CallOptions, Client, Dialect, Router, Server, ServerConfig, Status,
};

fn router() -> Router {
    Router::new()
        .function("t.add", ["a", "b"], |a: i64, b: i64| async move { a + b })
        .function("t.wait", ["ms"], |ms: u64| async move {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            ms
        })
}

fn method(telemetry: &Telemetry, name: &str) -> Arc<MethodMetrics> {
    let found = telemetry.methods().iter().find(|m| m.method() == name);
    found.expect("a registered method").clone()
}

fn count(metrics: &MethodMetrics, status: Status) -> u64 {
    metrics
        .histogram(Dialect::Native, status)
        .snapshot()
        .count()
}

async fn start(
    config: ServerConfig,
) -> (
    Client,
    Arc<Telemetry>,
    ferry::ShutdownHandle,
    tokio::task::JoinHandle<std::io::Result<()>>,
) {
    let server = Server::bind_with("127.0.0.1:0", router(), config)
        .await
        .unwrap();
    let telemetry = server.telemetry();
    let address = server.local_address();
    let shutdown = server.shutdown_handle();
    let serving = tokio::spawn(server.run());
    (
        Client::connect(address).await.unwrap(),
        telemetry,
        shutdown,
        serving,
    )
}

#[tokio::test]
async fn every_answer_arrives_after_its_call_is_counted() {
    let (client, telemetry, shutdown, serving) = start(ServerConfig::default()).await;
    let add = method(&telemetry, "add");
    for i in 1..=50 {
        let _: i64 = client
            .call("t.add", &(i, 1), &CallOptions::default())
            .await
            .unwrap();
        assert_eq!(count(&add, Status::Ok), i as u64);
    }
    let wait = method(&telemetry, "wait");
    let _: u64 = client
        .call("t.wait", &(5,), &CallOptions::default())
        .await
        .unwrap();
    assert_eq!((count(&wait, Status::Ok), wait.in_flight()), (1, 0));
    shutdown.shutdown();
    serving.await.unwrap().unwrap();
}

#[tokio::test]
async fn refused_and_cancelled_calls_are_counted_with_their_status() {
    let config = ServerConfig::default().max_in_flight(1);
    let (client, telemetry, shutdown, serving) = start(config).await;
    let wait = method(&telemetry, "wait");
    let options = CallOptions::default();
    let first = client.clone();
    let running = tokio::spawn(async move {
        first
            .call::<_, u64>("t.wait", &(60_000,), &CallOptions::default())
            .await
    });
    while wait.in_flight() == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let refused = client.call::<_, u64>("t.wait", &(1,), &options).await;
    assert_eq!(refused.unwrap_err().status(), Status::Overloaded);
    // Dropping the running call's future cancels it.
    running.abort();
    assert!(running.await.unwrap_err().is_cancelled());
    assert_eq!(count(&wait, Status::Overloaded), 1);
    // The cancel frame is read after the drop; a call made after it is answered after it.
    let _: i64 = client.call("t.add", &(1, 1), &options).await.unwrap();
    assert_eq!((count(&wait, Status::Cancelled), wait.in_flight()), (1, 0));
    shutdown.shutdown();
    serving.await.unwrap().unwrap();
}

#[tokio::test]
async fn a_call_cut_off_by_the_drain_is_counted_unavailable() {
    let config = ServerConfig::default().drain_timeout(Duration::from_millis(50));
    let (client, telemetry, shutdown, serving) = start(config).await;
    let wait = method(&telemetry, "wait");
    let call = tokio::spawn(async move {
        client
            .call::<_, u64>("t.wait", &(60_000,), &CallOptions::default())
            .await
    });
    while wait.in_flight() == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    shutdown.shutdown();
    let answer = call.await.unwrap();
    assert_eq!(answer.unwrap_err().status(), Status::Unavailable);
    assert_eq!(count(&wait, Status::Unavailable), 1);
    assert_eq!((count(&wait, Status::Cancelled), wait.in_flight()), (0, 0));
    serving.await.unwrap().unwrap();
}
