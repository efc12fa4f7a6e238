//! Types that survive the bridges: a function taking and returning a `ferry::Value` echoes
//! XML-RPC's `<base64>` and `<dateTime.iso8601>` back as themselves (Python's strict
//! `xmlrpc.client` as the client), JSON-RPC callers see base64 and RFC 3339 strings, and the
//! native MessagePack protocol keeps bytes and times both ways. A real server on 127.0.0.1.

mod common;

use common::TestServer;
use ferry::{Bytes, CallOptions, Router, Time, Value};
use ferry_http::{client::JsonRpcClient, HttpConfig};
use serde_json::{json, Value as Json};

/// `test.echo(value)` returns its `ferry::Value`; `test.kind(value)` says what the handler
/// got; `test.at(seconds)` returns a `ferry::Time`; `test.seconds(at)` takes one;
/// `test.length(data)` takes a `Vec<u8>`; `test.identity(value)` is a `serde_json::Value`
/// function, as before.
fn router() -> Router {
    common::router()
        .function("test.echo", ["value"], |value: Value| async move { value })
        .function("test.kind", ["value"], |value: Value| async move {
            kind(&value)
        })
        .function("test.at", ["seconds"], |seconds: i64| async move {
            Time::from_unix(seconds, 0).expect("a time in range")
        })
        .function("test.seconds", ["at"], |at: Time| async move {
            at.unix_seconds()
        })
        .function("test.length", ["data"], |data: Vec<u8>| async move {
            data.len()
        })
        .function(
            "test.identity",
            ["value"],
            |value: Json| async move { value },
        )
}

fn kind(value: &Value) -> String {
    match value {
        Value::Bytes(bytes) => format!("bytes {:?}", bytes.as_ref()),
        Value::Time(time) => format!("time {time}"),
        Value::String(text) => format!("string {text}"),
        other => format!("other {other:?}"),
    }
}

fn server() -> TestServer {
    TestServer::start_with(router(), HttpConfig::default())
}

/// Runs `tests/python/NAME` with `url`; its stdout, parsed as JSON.
fn python(name: &str, url: &str) -> Json {
    let script = format!("{}/tests/python/{name}", env!("CARGO_MANIFEST_DIR"));
    common::python_json(&[&script, url])
}

#[test]
fn python_gets_its_bytes_and_datetimes_back_as_themselves() {
    let server = server();
    let seen = python(
        "xmlrpc_values.py",
        &format!("http://{}/RPC2", server.address),
    );
    let bytes = json!(["bytes", [0, 1, 255]]);
    let time = json!(["datetime", "2024-05-01T12:34:56"]);
    assert_eq!(seen["bytes"], bytes);
    assert_eq!(seen["time"], time);
    let nested = json!({
        "list": [bytes, time, ["int", 7], ["str", "text"], ["NoneType", null]],
        "inner": {"blob": bytes, "at": [time]},
    });
    assert_eq!(seen["nested"], nested);
    assert_eq!(seen["nested_equal"], json!(true));
    assert_eq!(
        seen["classic"],
        json!([["Binary", [0, 1, 255]], ["DateTime", "20240501T12:34:56"]])
    );
    assert_eq!(
        seen["seen_by_handler"],
        json!([
            "bytes [0, 1, 255]",
            "time 2024-05-01T12:34:56Z",
            "string AAH/"
        ])
    );
    assert_eq!(seen["multicall"], json!([bytes, time]));
}

#[test]
fn typed_times_and_bytes_cross_xmlrpc_with_their_types() {
    let server = server();
    let seen = python(
        "xmlrpc_values.py",
        &format!("http://{}/RPC2", server.address),
    );
    // A handler returning a ferry::Time answers a <dateTime.iso8601>, and one taking a
    // ferry::Time or a Vec<u8> reads XML-RPC's dateTime and base64.
    assert_eq!(
        seen["typed_time_result"],
        json!(["datetime", "2024-05-01T12:34:56"])
    );
    assert_eq!(seen["typed_time_param"], json!(1_714_566_896));
    assert_eq!(seen["vec_u8_param"], json!(3));
}

#[test]
fn a_datetime_that_is_not_one_is_refused_only_where_it_must_be_read() {
    let server = server();
    let seen = python(
        "xmlrpc_values.py",
        &format!("http://{}/RPC2", server.address),
    );
    assert_eq!(seen["bad_time"]["faultCode"], json!(-32602));
    let message = seen["bad_time"]["faultString"].as_str().unwrap_or_default();
    assert!(
        message.contains("\"not a time\" is not a date and time"),
        "{message}"
    );
    // A serde_json::Value function sees a dateTime's text and a base64's byte values, as
    // it always did.
    assert_eq!(
        seen["bad_time_to_json_value"],
        json!({"result": "not a time"})
    );
    assert_eq!(
        seen["json_value_shapes"],
        json!([[104, 105], "20240501T12:34:56"])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_rpc_callers_send_and_get_strings() {
    let server = server();
    let client = JsonRpcClient::new(&format!("http://{}/jsonrpc", server.address))
        .expect("a JSON-RPC client");
    let echoed = client.call("test.echo", vec![json!("AAH/")]).await;
    assert_eq!(echoed.expect("echoed"), json!("AAH/"));
    let kind = client.call("test.kind", vec![json!("AAH/")]).await;
    assert_eq!(kind.expect("described"), json!("string AAH/"));
    let at = client.call("test.at", vec![json!(1_714_566_896)]).await;
    assert_eq!(at.expect("a time"), json!("2024-05-01T12:34:56Z"));
    let seconds = client.call("test.seconds", vec![json!("20240501T12:34:56")]);
    assert_eq!(seconds.await.expect("read"), json!(1_714_566_896));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn native_msgpack_keeps_bytes_and_times_both_ways() {
    let server = server();
    let client = ferry::Client::connect(server.address.as_str())
        .await
        .expect("connect");
    let time = Time::from_unix(1_714_566_896, 123_456_789).expect("in range");
    let value = Value::Map(vec![
        (
            "data".into(),
            Value::Bytes(Bytes::from_static(b"\x00\x01\xff")),
        ),
        ("at".into(), Value::Time(time)),
        (
            "list".into(),
            Value::Array(vec![Value::Null, Value::UInt(u64::MAX)]),
        ),
    ]);
    let options = CallOptions::new();
    let echoed: Value = client
        .call("test.echo", &(value.clone(),), &options)
        .await
        .expect("echoed");
    assert_eq!(echoed, value);
    let bytes = Value::Bytes(Bytes::from_static(b"\x00\x01\xff"));
    let kind: String = client
        .call("test.kind", &(bytes,), &options)
        .await
        .expect("described");
    assert_eq!(kind, "bytes [0, 1, 255]");
    let kind: String = client
        .call("test.kind", &(Value::Time(time),), &options)
        .await
        .expect("described");
    assert_eq!(kind, "time 2024-05-01T12:34:56.123456789Z");
}
