//! W3C trace context across servers: a server continues the trace a caller sends in native
//! metadata or an HTTP header, shows it in `/rpcz`, and a ferry client called from inside a
//! handler passes it on, so a call through two servers carries one trace id in both.

mod common;

use common::TestServer;
use ferry::{with_context, CallOptions, Client, Context, Router};
use ferry_http::{client::JsonRpcClient, HttpConfig};
use serde_json::{json, Value};

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN: &str = "00f067aa0ba902b7";

fn traceparent() -> String {
    format!("00-{TRACE_ID}-{CALLER_SPAN}-01")
}

/// What a handler sees of its trace: trace id, parent and its own span, or nulls.
fn seen(ctx: &Context) -> Value {
    match ctx.trace() {
        None => json!(null),
        Some(span) => json!({
            "trace_id": span.trace_id().to_string(),
            "parent_id": span.parent_id().map(|id| id.to_string()),
            "span_id": span.span_id().to_string(),
            "tracestate": span.tracestate(),
        }),
    }
}

/// `hop.here`: the trace it runs under.
fn last_hop() -> Router {
    Router::new().function(
        "hop.here",
        [],
        with_context(|ctx: Context| async move { seen(&ctx) }),
    )
}

/// `hop.through`: its own trace and what `hop.here` on `next` saw, called from inside.
fn first_hop(next: String) -> Router {
    Router::new().function(
        "hop.through",
        [],
        with_context(move |ctx: Context| {
            let next = next.clone();
            async move {
                let client = Client::connect(next.as_str())
                    .await
                    .expect("connect to the last hop");
                let options = CallOptions::default();
                let there: Value = client
                    .call("hop.here", &(), &options)
                    .await
                    .expect("hop.here");
                json!({"here": seen(&ctx), "there": there})
            }
        }),
    )
}

/// `hop.through`, calling the next hop over JSON-RPC with ferry's HTTP client.
fn first_hop_over_http(next: String) -> Router {
    Router::new().function(
        "hop.through",
        [],
        with_context(move |ctx: Context| {
            let url = format!("http://{next}/jsonrpc");
            async move {
                let client = JsonRpcClient::new(&url).expect("a JSON-RPC URL");
                let there = client.call("hop.here", vec![]).await.expect("hop.here");
                json!({"here": seen(&ctx), "there": there})
            }
        }),
    )
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

/// Calls `method` natively on `address` with `metadata`.
fn native_call(address: &str, method: &str, metadata: &[(&str, &str)]) -> Value {
    runtime().block_on(async {
        let mut client = Client::connect(address).await.expect("connect");
        for (key, value) in metadata {
            client = client.with_metadata(key, value);
        }
        client
            .call(method, &(), &CallOptions::default())
            .await
            .expect("the call")
    })
}

/// The trace ids `/rpcz.json` shows for calls of `method`.
fn rpcz_trace_ids(server: &TestServer, method: &str) -> Vec<Value> {
    let rpcz = server.get("/rpcz.json").json();
    let recent = rpcz["recent"].as_array().expect("recent calls").clone();
    let of_method = recent.into_iter().filter(|call| call["method"] == method);
    of_method.map(|call| call["trace_id"].clone()).collect()
}

#[test]
fn a_native_call_continues_the_trace_it_was_sent_and_rpcz_shows_it() {
    let server = TestServer::start_with(last_hop(), HttpConfig::default());
    let parent = traceparent();
    let metadata = [
        ("traceparent", parent.as_str()),
        ("tracestate", "congo=t61rcWkgMzE"),
    ];
    let seen = native_call(&server.address, "hop.here", &metadata);
    assert_eq!(seen["trace_id"], TRACE_ID);
    assert_eq!(seen["parent_id"], CALLER_SPAN);
    assert_ne!(seen["span_id"], CALLER_SPAN);
    assert_eq!(seen["tracestate"], "congo=t61rcWkgMzE");
    assert_eq!(rpcz_trace_ids(&server, "hop.here"), [json!(TRACE_ID)]);
    assert!(
        server.get("/rpcz").text().contains(TRACE_ID),
        "the page shows the trace id"
    );
}

#[test]
fn an_http_call_continues_the_trace_of_its_header() {
    let server = TestServer::start_with(last_hop(), HttpConfig::default());
    let parent = traceparent();
    let headers = [
        ("traceparent", parent.as_str()),
        ("content-type", "application/json"),
    ];
    let response = server.request("POST", "/api/hop/here", &headers, b"[]");
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.json()["trace_id"], TRACE_ID);
    assert_eq!(rpcz_trace_ids(&server, "hop.here"), [json!(TRACE_ID)]);
}

#[test]
fn a_call_through_two_servers_carries_one_trace_id() {
    let last = TestServer::start_with(last_hop(), HttpConfig::default());
    let first = TestServer::start_with(first_hop(last.address.clone()), HttpConfig::default());
    let parent = traceparent();
    let seen = native_call(
        &first.address,
        "hop.through",
        &[("traceparent", parent.as_str())],
    );
    let (here, there) = (&seen["here"], &seen["there"]);
    assert_eq!(here["trace_id"], TRACE_ID);
    assert_eq!(there["trace_id"], TRACE_ID);
    assert_eq!(here["parent_id"], CALLER_SPAN);
    assert_eq!(
        there["parent_id"], here["span_id"],
        "the first server's span is the parent"
    );
    assert_eq!(rpcz_trace_ids(&first, "hop.through"), [json!(TRACE_ID)]);
    assert_eq!(rpcz_trace_ids(&last, "hop.here"), [json!(TRACE_ID)]);
}

#[test]
fn a_call_over_http_from_a_handler_carries_the_trace_too() {
    let last = TestServer::start_with(last_hop(), HttpConfig::default());
    let first = TestServer::start_with(
        first_hop_over_http(last.address.clone()),
        HttpConfig::default(),
    );
    let parent = traceparent();
    let seen = native_call(
        &first.address,
        "hop.through",
        &[("traceparent", parent.as_str())],
    );
    assert_eq!(seen["there"]["trace_id"], TRACE_ID);
    assert_eq!(seen["there"]["parent_id"], seen["here"]["span_id"]);
}

#[test]
fn an_invalid_traceparent_is_ignored() {
    let server = TestServer::start_with(last_hop(), HttpConfig::default());
    let invalid = [
        format!("00-{}-{CALLER_SPAN}-01", TRACE_ID.to_uppercase()),
        format!("00-{}-{CALLER_SPAN}-01", "0".repeat(32)),
        format!("ff-{TRACE_ID}-{CALLER_SPAN}-01"),
        "garbage".to_owned(),
    ];
    for parent in &invalid {
        let seen = native_call(
            &server.address,
            "hop.here",
            &[("traceparent", parent.as_str())],
        );
        assert_eq!(seen, json!(null), "{parent} was taken");
    }
    let ids = rpcz_trace_ids(&server, "hop.here");
    assert_eq!(ids.len(), invalid.len());
    assert!(ids.iter().all(Value::is_null), "{ids:?}");
}
