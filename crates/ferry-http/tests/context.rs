//! The call context and layers on every dialect of the one port, driven by real clients: curl
//! for REST and JSON-RPC, Python's `xmlrpc.client` for XML-RPC, a Python socket for the
//! length-prefixed JSON dialect, and ferry's own client for the native protocol.

mod common;

use std::{
    process::Command,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
};

use ferry::{layer::Layer, with_context, CallError, Context, Router, Status};
use ferry_http::{codes, HttpConfig};
use serde_json::{json, Value};

use common::{python, TestServer};

/// `util.seen` answers what its call carried; `util.refuse` answers the status it is named;
/// `util.count` counts its runs; a layer refuses every call carrying `deny = yes`.
fn router(runs: Arc<AtomicUsize>) -> Router {
    Router::new()
        .function(
            "util.seen",
            [],
            with_context(|ctx: Context| async move {
                let metadata: Vec<Value> =
                    ctx.metadata_pairs().map(|(k, v)| json!([k, v])).collect();
                let deadline = ctx.time_left().is_some();
                json!({"metadata": metadata, "dialect": ctx.dialect().name(), "deadline": deadline})
            }),
        )
        .try_function("util.refuse", ["status"], |status: String| async move {
            let status = Status::from_name(&status).unwrap_or(Status::Internal);
            Err::<u32, _>(CallError::<String>::new(
                status,
                format!("refused: {status}"),
            ))
        })
        .function("util.count", [], move || {
            let runs = runs.clone();
            async move { runs.fetch_add(1, Ordering::SeqCst) + 1 }
        })
        .layer(Deny)
}

struct Deny;

impl Layer for Deny {
    fn before(&self, ctx: &mut Context) -> Result<(), CallError> {
        match ctx.metadata("deny") {
            Some("yes") => Err(CallError::new(
                Status::PermissionDenied,
                "denied by the layer",
            )),
            _ => Ok(()),
        }
    }
}

fn start() -> (TestServer, Arc<AtomicUsize>) {
    let runs = Arc::new(AtomicUsize::new(0));
    let server = TestServer::start_with(router(runs.clone()), HttpConfig::default());
    (server, runs)
}

/// Runs curl with `args`; its stdout.
fn curl(args: &[&str]) -> String {
    String::from_utf8(common::curl_ok(args)).expect("UTF-8 output")
}

/// Headers that by the rule become metadata, and two that do not.
const HEADERS: [&str; 6] = [
    "x-ferry-user: alice",
    "authorization: Bearer t0k3n",
    "traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    "tracestate: ferry=1",
    "x-ferry-timeout: 5",
    "user-agent: not-metadata",
];

fn expected_metadata() -> Value {
    json!([
        ["user", "alice"],
        ["authorization", "Bearer t0k3n"],
        [
            "traceparent",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
        ],
        ["tracestate", "ferry=1"],
    ])
}

fn curl_with_headers(url: &str, extra: &[&str]) -> Value {
    let mut args: Vec<&str> = HEADERS.iter().flat_map(|header| ["-H", *header]).collect();
    args.extend_from_slice(extra);
    args.push(url);
    serde_json::from_str(&curl(&args)).expect("a JSON answer")
}

const XMLRPC_SEEN: &str = r#"
import json, sys, xmlrpc.client
headers = [("x-ferry-user", "alice"), ("authorization", "Bearer t0k3n"),
           ("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"),
           ("tracestate", "ferry=1"), ("x-ferry-timeout", "5")]
proxy = xmlrpc.client.ServerProxy("http://" + sys.argv[1] + "/RPC2", headers=headers)
print(json.dumps(proxy.util.seen()))
"#;

const LPJSON_SEEN: &str = r#"
import json, socket, struct, sys
host, port = sys.argv[1].rsplit(":", 1)
with socket.create_connection((host, int(port)), timeout=20) as s:
    body = json.dumps({"in": "util.seen", "meta": {"user": "alice", "authorization": "Bearer t0k3n"}}).encode()
    s.sendall(struct.pack("<I", len(body)) + body)
    head = b""
    while len(head) < 4:
        head += s.recv(4 - len(head))
    (n,) = struct.unpack("<I", head)
    answer = b""
    while len(answer) < n:
        answer += s.recv(n - len(answer))
    print(answer.decode())
"#;

#[test]
fn metadata_arrives_from_every_dialect_by_the_one_rule() {
    let (server, _) = start();
    let base = format!("http://{}", server.address);
    let seen = |dialect: &str| json!({"metadata": expected_metadata(), "dialect": dialect, "deadline": true});
    let rest = curl_with_headers(&format!("{base}/api/util/seen"), &[]);
    assert_eq!(rest, seen("rest"));
    let body = r#"{"jsonrpc": "2.0", "method": "util.seen", "id": 1}"#;
    let jsonrpc = curl_with_headers(&format!("{base}/jsonrpc"), &["-d", body]);
    assert_eq!(jsonrpc["result"], seen("jsonrpc"));
    let xmlrpc: Value = serde_json::from_str(&python(XMLRPC_SEEN, &server.address)).unwrap();
    assert_eq!(
        xmlrpc,
        seen("xmlrpc"),
        "x-ferry-timeout is XML-RPC's deadline too"
    );
    let lpjson: Value = serde_json::from_str(&python(LPJSON_SEEN, &server.address)).unwrap();
    assert_eq!(
        lpjson["result"],
        json!({
            "metadata": [["authorization", "Bearer t0k3n"], ["user", "alice"]],
            "dialect": "lpjson",
            "deadline": false,
        })
    );
}

const XMLRPC_REFUSE: &str = r#"
import sys, xmlrpc.client
proxy = xmlrpc.client.ServerProxy("http://" + sys.argv[1] + "/RPC2")
for status in sys.argv[2:]:
    try:
        proxy.util.refuse(status)
        print(status, "answered")
    except xmlrpc.client.Fault as fault:
        print(status, fault.faultCode, fault.faultString)
"#;

#[test]
fn a_status_a_handler_chooses_is_mapped_by_every_http_dialect() {
    let (server, _) = start();
    let statuses = [
        Status::Unauthenticated,
        Status::PermissionDenied,
        Status::InvalidArgs,
        Status::Unavailable,
        Status::Overloaded,
        Status::DeadlineExceeded,
        Status::Internal,
    ];
    let base = format!("http://{}", server.address);
    for status in statuses {
        let name = status.name();
        let rest = curl(&[
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "-d",
            &format!(r#"{{"status": "{name}"}}"#),
            &format!("{base}/api/util/refuse"),
        ]);
        assert_eq!(
            rest,
            codes::http_status(status).as_str(),
            "{name} over REST"
        );
        let body = json!({"jsonrpc": "2.0", "method": "util.refuse", "params": [name], "id": 1});
        let answer: Value = serde_json::from_str(&curl(&[
            "-d",
            &body.to_string(),
            &format!("{base}/jsonrpc"),
        ]))
        .unwrap();
        assert_eq!(
            answer["error"]["code"],
            codes::jsonrpc_code(status),
            "{name}"
        );
        assert_eq!(answer["error"]["message"], format!("refused: {name}"));
    }
    let names: Vec<&str> = statuses.iter().map(|status| status.name()).collect();
    let output = Command::new("python3")
        .args(["-c", XMLRPC_REFUSE, &server.address])
        .args(&names)
        .output()
        .expect("python3 is required: cannot run python3");
    assert!(output.status.success(), "{output:?}");
    let lines = String::from_utf8(output.stdout).unwrap();
    for (line, status) in lines.lines().zip(statuses) {
        let name = status.name();
        let expected = format!("{name} {} refused: {name}", codes::fault_code(status));
        assert_eq!(line, expected);
    }
    assert_eq!(lines.lines().count(), statuses.len(), "{lines}");
}

const XMLRPC_DENIED: &str = r#"
import sys, xmlrpc.client
proxy = xmlrpc.client.ServerProxy("http://" + sys.argv[1] + "/RPC2", headers=[("x-ferry-deny", "yes")])
try:
    print(proxy.util.count())
except xmlrpc.client.Fault as fault:
    print(fault.faultCode, fault.faultString)
"#;

const LPJSON_DENIED: &str = r#"
import json, socket, struct, sys
host, port = sys.argv[1].rsplit(":", 1)
with socket.create_connection((host, int(port)), timeout=20) as s:
    body = json.dumps({"in": "count", "meta": {"deny": "yes"}}).encode()
    s.sendall(struct.pack("<I", len(body)) + body)
    data = b""
    while len(data) < 4 or len(data) < 4 + struct.unpack("<I", data[:4])[0]:
        data += s.recv(65536)
    print(data[4:].decode())
"#;

#[test]
fn a_refusing_layer_keeps_the_handler_from_running_on_every_dialect() {
    let (server, runs) = start();
    let base = format!("http://{}", server.address);
    let deny = ["-H", "x-ferry-deny: yes"];
    let rest = curl(
        &[
            &deny[..],
            &["-w", " %{http_code}", &format!("{base}/api/util/count")],
        ]
        .concat(),
    );
    assert!(rest.ends_with(" 403"), "{rest}");
    assert!(rest.contains("denied by the layer"), "{rest}");
    let body = r#"{"jsonrpc": "2.0", "method": "util.count", "id": 1}"#;
    let jsonrpc: Value = serde_json::from_str(&curl(
        &[&deny[..], &["-d", body, &format!("{base}/jsonrpc")]].concat(),
    ))
    .unwrap();
    assert_eq!(jsonrpc["error"]["code"], -32009);
    let xmlrpc = python(XMLRPC_DENIED, &server.address);
    assert_eq!(xmlrpc.trim(), "-32009 denied by the layer");
    let lpjson: Value = serde_json::from_str(&python(LPJSON_DENIED, &server.address)).unwrap();
    assert_eq!(lpjson["error"]["status"], "permission_denied");
    let native = native_count(&server.address, Some("yes"));
    assert_eq!(native.unwrap_err().status(), Status::PermissionDenied);
    assert_eq!(runs.load(Ordering::SeqCst), 0, "a refused handler ran");
    // The same calls without the metadata run.
    let rest = curl(&[&format!("{base}/api/util/count")]);
    assert_eq!(rest, "1");
    assert_eq!(native_count(&server.address, None).unwrap(), 2);
    // A layer sees a call of an unknown method before it is answered `unknown_method`.
    let unknown = curl(
        &[
            &deny[..],
            &["-w", " %{http_code}", &format!("{base}/api/util/nope")],
        ]
        .concat(),
    );
    assert!(unknown.ends_with(" 403"), "{unknown}");
}

/// `util.count` over the native protocol, with `deny` metadata when given.
fn native_count(address: &str, deny: Option<&str>) -> Result<usize, CallError<Value>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let client = ferry::Client::connect(address)
            .await
            .map_err(CallError::widen)?;
        let options = deny.map_or_else(ferry::CallOptions::new, |deny| {
            ferry::CallOptions::new().metadata("deny", deny)
        });
        client.call("util.count", &json!([]), &options).await
    })
}

#[test]
fn metadata_over_the_bounds_is_413_and_the_server_goes_on() {
    let (server, _) = start();
    let headers: Vec<String> = (0..65).map(|i| format!("x-ferry-k{i}: v")).collect();
    let mut args: Vec<&str> = headers
        .iter()
        .flat_map(|header| ["-H", header.as_str()])
        .collect();
    let url = format!("http://{}/api/util/seen", server.address);
    args.extend(["-w", " %{http_code}", &url]);
    let answer = curl(&args);
    assert!(answer.ends_with(" 413"), "{answer}");
    assert!(answer.contains("65 pairs"), "{answer}");
    let ok = curl(&["-H", "x-ferry-user: alice", &url]);
    assert!(ok.contains("alice"), "{ok}");
}

#[test]
fn the_demo_whoami_shows_rest_metadata_to_curl() {
    let server = TestServer::start(HttpConfig::default());
    let url = format!("http://{}/api/echo/whoami", server.address);
    let seen: Value = serde_json::from_str(&curl(&["-H", "x-ferry-user: alice", &url])).unwrap();
    assert_eq!(seen["metadata"], json!({"user": "alice"}));
    assert_eq!(seen["dialect"], "rest");
    assert_eq!(seen["deadline_ms"], Value::Null);
    let timed = curl(&["-H", "x-ferry-timeout: 7", &url]);
    let left = serde_json::from_str::<Value>(&timed).unwrap()["deadline_ms"].as_u64();
    assert!(left.is_some_and(|left| left <= 7000 && left > 0), "{timed}");
}
