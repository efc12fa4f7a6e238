//! `ferry serve --model ... --threads N`: each server model serves calls from real clients and
//! drains on SIGTERM.

mod common;

use common::{ferry, stderr, stdout, Served};
use ferry::{CallOptions, Client, NoError};

/// The port's listening sockets, from the kernel's table.
fn listening_sockets(served: &Served) -> usize {
    let port = served.address.rsplit(':').next().expect("a port");
    let port = format!(":{:04X}", port.parse::<u16>().expect("a numeric port"));
    let table = std::fs::read_to_string("/proc/net/tcp").expect("/proc/net/tcp is readable");
    table
        .lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            Some((fields.nth(1)?.to_owned(), fields.nth(1)?.to_owned()))
        })
        .filter(|(local, state)| local.ends_with(&port) && state == "0A")
        .count()
}

/// Connections opened at once against a thread-per-core server: enough that the kernel's
/// spreading leaves no listener without some.
const CONNECTIONS: usize = 64;

/// `ferry call` gets the right answers from the server.
fn assert_serves_calls(served: &Served) {
    let sum = served.call(&["calc.add", "2", "3"]);
    assert_eq!((sum.status.code(), stdout(&sum).as_str()), (Some(0), "5\n"));
    let echoed = served.call(&["echo.ping", "hello"]);
    assert_eq!(
        (echoed.status.code(), stdout(&echoed).as_str()),
        (Some(0), "\"hello\"\n")
    );
}

fn assert_drains(served: Served) {
    let (status, stderr) = served.stop();
    assert_eq!(status.code(), Some(0), "stderr: {stderr}");
}

/// Opens `CONNECTIONS` connections at once and makes one call on each; returns them still open.
async fn call_on_many_connections(address: &str) -> Vec<Client> {
    let calls: Vec<_> = (0..CONNECTIONS)
        .map(|i| {
            tokio::spawn(connect_and_call(
                address.to_owned(),
                format!("connection {i}"),
            ))
        })
        .collect();
    let mut clients = Vec::new();
    for call in calls {
        let client = call.await.expect("the task runs");
        clients.push(client.expect("every connection is answered"));
    }
    clients
}

async fn connect_and_call(address: String, text: String) -> Result<Client, ferry::CallError> {
    let client = Client::connect(address.as_str()).await?;
    let echoed: String = client
        .call_typed::<_, _, NoError>("echo.ping", &[&text], &CallOptions::new())
        .await?;
    assert_eq!(echoed, text);
    Ok(client)
}

#[test]
fn multi_thread_serves_calls_and_exits_0_on_sigterm() {
    let served = Served::tcp_with(&["--model", "multi-thread", "--threads", "2"]);
    assert_serves_calls(&served);
    assert_drains(served);
}

#[test]
fn one_thread_is_one_event_loop_that_serves_calls() {
    let served = Served::tcp_with(&["--threads", "1"]);
    assert_serves_calls(&served);
    assert_drains(served);
}

#[test]
fn thread_per_core_serves_calls_and_exits_0_on_sigterm() {
    let served = Served::tcp_with(&["--model", "thread-per-core", "--threads", "1"]);
    assert_serves_calls(&served);
    assert_drains(served);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thread_per_core_answers_on_every_listener_and_drains_them_all() {
    let served = Served::tcp_with(&["--model", "thread-per-core", "--threads", "2"]);
    assert_eq!(listening_sockets(&served), 2, "one listener per thread");
    let clients = call_on_many_connections(&served.address).await;
    assert_serves_calls(&served);
    // Connections still open on both threads: SIGTERM must drain every server.
    let stopping = tokio::task::spawn_blocking(move || served.stop());
    let (status, stderr) = stopping.await.expect("stopping runs");
    assert_eq!(status.code(), Some(0), "stderr: {stderr}");
    drop(clients);
}

#[test]
fn thread_per_core_refuses_several_threads_on_a_unix_socket() {
    let path = std::env::temp_dir().join(format!("ferry-models-{}.sock", std::process::id()));
    let listen = format!("unix:{}", path.display());
    let output = ferry(&[
        "serve",
        "--listen",
        &listen,
        "--model",
        "thread-per-core",
        "--threads",
        "2",
    ]);
    let stderr = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "stderr: {stderr}");
    assert!(stderr.contains("needs a TCP address"), "stderr: {stderr}");
}
