//! Streaming methods over HTTP: REST answers NDJSON (Server-Sent Events on request) and reads
//! an NDJSON body as the caller's stream, read by curl and by Python's urllib; JSON-RPC and
//! XML-RPC name the REST route instead; a client that leaves drops the handler.

mod common;

use std::{
    io::{Read, Write},
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::Duration,
};

use ferry::{CallError, Sink};
use ferry_http::HttpConfig;
use serde_json::{json, Value};

use common::{curl, curl_ok, python, TestServer};

fn lines(bytes: &[u8]) -> Vec<Value> {
    std::str::from_utf8(bytes)
        .expect("UTF-8")
        .lines()
        .map(|line| serde_json::from_str(line).expect("each line is JSON"))
        .collect()
}

#[test]
fn curl_reads_a_server_stream_as_ndjson() {
    let server = TestServer::start(HttpConfig::default());
    let url = format!("http://{}/api/echo/count?n=5", server.address);
    let output = curl(&["-i", "-N", &url]);
    let text = String::from_utf8(output.stdout).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").expect("a head and a body");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        head.contains("content-type: application/x-ndjson"),
        "{head}"
    );
    assert!(head.contains("transfer-encoding: chunked"), "{head}");
    assert_eq!(lines(body.as_bytes()), [0, 1, 2, 3, 4].map(|n| json!(n)));
    // The same route by POST with JSON arguments.
    let url = format!("http://{}/api/echo/count", server.address);
    let body = curl_ok(&[
        "-X",
        "POST",
        "-H",
        "content-type: application/json",
        "-d",
        "[3]",
        &url,
    ]);
    assert_eq!(lines(&body), [0, 1, 2].map(|n| json!(n)));
}

#[test]
fn curl_reads_a_server_stream_as_server_sent_events() {
    let server = TestServer::start(HttpConfig::default());
    let url = format!("http://{}/api/echo/count?n=2", server.address);
    let output = curl(&["-i", "-N", "-H", "accept: text/event-stream", &url]);
    let text = String::from_utf8(output.stdout).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    assert!(head.contains("content-type: text/event-stream"), "{head}");
    assert_eq!(body, "data: 0\n\ndata: 1\n\nevent: end\ndata: null\n\n");
}

#[test]
fn curl_sends_an_ndjson_body_as_the_callers_stream() {
    let server = TestServer::start(HttpConfig::default());
    let numbers: String = (1..=100).map(|n| format!("{n}\n")).collect();
    let url = format!("http://{}/api/echo/sum", server.address);
    let args = [
        "-H",
        "content-type: application/x-ndjson",
        "--data-binary",
        &numbers,
        &url,
    ];
    assert_eq!(curl_ok(&args), b"5050");
    // Both ways: the arguments in the query, the stream in the body, the answers streamed.
    let url = format!("http://{}/api/calc/quotients?num1=100", server.address);
    let answer = curl_ok(&["--data-binary", "2\n4\n", &url]);
    assert_eq!(lines(&answer), [json!(50.0), json!(25.0)]);
}

#[test]
fn an_error_after_the_first_item_is_the_last_line_or_an_error_event() {
    let server = TestServer::start(HttpConfig::default());
    let url = format!("http://{}/api/calc/quotients?num1=100", server.address);
    let answer = lines(&curl_ok(&["--data-binary", "2\n0\n5\n", &url]));
    assert_eq!(answer[0], json!(50.0));
    assert_eq!(answer.len(), 2, "{answer:?}");
    assert_eq!(answer[1]["error"]["status"], "application");
    assert_eq!(answer[1]["error"]["data"]["message"], "division by zero");
    let events = curl_ok(&[
        "-H",
        "accept: text/event-stream",
        "--data-binary",
        "4\n0\n",
        &url,
    ]);
    let events = String::from_utf8(events).unwrap();
    assert!(
        events.starts_with("data: 25.0\n\nevent: error\ndata: {"),
        "{events}"
    );
    assert!(events.contains("division by zero"), "{events}");
}

#[test]
fn an_error_before_any_item_is_a_plain_json_error() {
    let server = TestServer::start(HttpConfig::default());
    let response = server.get("/api/echo/count?n=99999999");
    assert_eq!(response.status, 400);
    assert_eq!(response.error_status(), "invalid_args");
    let response = server.request("POST", "/api/echo/sum", &[], b"1\nnot json\n");
    assert_eq!(response.status, 400);
    assert_eq!(response.error_status(), "invalid_args");
    assert!(response.text().contains("line 2"), "{}", response.text());
    server.assert_serving();
}

#[test]
fn pythons_urllib_reads_and_sends_streams() {
    let server = TestServer::start(HttpConfig::default());
    let script = r#"
import json, sys, urllib.request
base = "http://" + sys.argv[1]
with urllib.request.urlopen(base + "/api/echo/count?n=4") as answer:
    items = [json.loads(line) for line in answer]
request = urllib.request.Request(base + "/api/echo/sum", data=b"\n".join(b"%d" % n for n in range(10)),
                                 headers={"content-type": "application/x-ndjson"})
with urllib.request.urlopen(request) as answer:
    total = json.load(answer)
request = urllib.request.Request(base + "/api/echo/count?n=2", headers={"accept": "text/event-stream"})
with urllib.request.urlopen(request) as answer:
    events = answer.read().decode()
print(json.dumps({"items": items, "total": total, "events": events}))
"#;
    let seen: Value = serde_json::from_str(&python(script, &server.address)).unwrap();
    assert_eq!(seen["items"], json!([0, 1, 2, 3]));
    assert_eq!(seen["total"], json!(45));
    assert_eq!(
        seen["events"],
        "data: 0\n\ndata: 1\n\nevent: end\ndata: null\n\n"
    );
}

#[test]
fn jsonrpc_and_xmlrpc_name_the_rest_route_of_a_streaming_method() {
    let server = TestServer::start(HttpConfig::default());
    let (code, answer) =
        server.jsonrpc(r#"{"jsonrpc":"2.0","method":"echo.count","params":[3],"id":1}"#);
    assert_eq!(code, 200);
    let message = answer["error"]["message"].as_str().unwrap();
    assert!(message.contains("POST /api/echo/count"), "{message}");
    let fault = python(
        r#"
import sys, xmlrpc.client
try:
    xmlrpc.client.ServerProxy("http://" + sys.argv[1] + "/RPC2").echo.sum()
except xmlrpc.client.Fault as fault:
    print(fault.faultString)
"#,
        &server.address,
    );
    assert!(fault.contains("POST /api/echo/sum"), "{fault}");
}

#[test]
fn openapi_describes_streaming_routes_with_their_content_types() {
    let server = TestServer::start(HttpConfig::default());
    let document = server.get("/api/openapi.json").json();
    let count = &document["paths"]["/api/echo/count"]["post"]["responses"]["200"]["content"];
    assert!(count.get("application/x-ndjson").is_some(), "{count}");
    assert!(count.get("text/event-stream").is_some(), "{count}");
    let sum = &document["paths"]["/api/echo/sum"]["post"];
    assert!(
        sum["requestBody"]["content"]
            .get("application/x-ndjson")
            .is_some(),
        "{sum}"
    );
}

/// A stream for ever, counting the handlers dropped before they finished.
#[ferry::service]
pub trait Endless {
    /// Zeros for ever.
    async fn zeros(&self, out: Sink<u8>) -> Result<(), CallError>;
}

struct Zeros(Arc<AtomicUsize>);

struct Dropped(Arc<AtomicUsize>);

impl Drop for Dropped {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

impl Endless for Zeros {
    async fn zeros(&self, mut out: Sink<u8>) -> Result<(), CallError> {
        let _dropped = Dropped(self.0.clone());
        loop {
            out.send(0).await?;
        }
    }
}

#[test]
fn a_client_that_leaves_mid_stream_drops_the_handler() {
    let drops = Arc::new(AtomicUsize::new(0));
    let router = common::router().service(EndlessServer::new(Zeros(drops.clone())));
    let server = TestServer::start_with(router, HttpConfig::default());
    let mut socket = common::connect(&server.address);
    socket
        .write_all(b"GET /api/endless/zeros HTTP/1.1\r\nhost: x\r\n\r\n")
        .unwrap();
    let mut first = [0u8; 256];
    let read = socket.read(&mut first).unwrap();
    assert!(
        first[..read].starts_with(b"HTTP/1.1 200"),
        "{:?}",
        &first[..read]
    );
    drop(socket);
    for _ in 0..200 {
        if drops.load(Ordering::SeqCst) == 1 {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        drops.load(Ordering::SeqCst),
        1,
        "the handler outlived its client"
    );
    server.assert_serving();
}

#[test]
fn the_length_prefixed_json_dialect_names_the_rest_route_and_goes_on() {
    let server = TestServer::start(HttpConfig::default());
    let mut socket = common::connect(&server.address);
    let mut ask = |request: &[u8]| -> Value {
        let len = u32::try_from(request.len()).unwrap().to_le_bytes();
        socket.write_all(&[&len[..], request].concat()).unwrap();
        let mut len = [0u8; 4];
        socket.read_exact(&mut len).unwrap();
        let mut answer = vec![0u8; u32::from_le_bytes(len) as usize];
        socket.read_exact(&mut answer).unwrap();
        serde_json::from_slice(&answer).unwrap()
    };
    let refused = ask(br#"{"in": "echo.count", "params": [3]}"#);
    assert_eq!(refused["error"]["status"], "invalid_args", "{refused}");
    let message = refused["error"]["message"].as_str().unwrap();
    assert!(message.contains("POST /api/echo/count"), "{message}");
    let answered = ask(br#"{"in": "calc.add", "params": [2, 3]}"#);
    assert_eq!(answered["result"], json!(5), "{answered}");
}
