//! `/metrics` as Prometheus' own tools read it: `promtool check metrics` finds nothing to
//! report, and the Prometheus Python parser counts exactly the calls made on each dialect;
//! random method names cannot grow the number of series; the other pages answer.

mod common;

use std::{collections::BTreeMap, process::Command};

use common::{python, TestServer};
use ferry::{CallOptions, Client};
use ferry_http::HttpConfig;

const DIALECT_CALLS: &str = include_str!("python/dialect_calls.py");

/// Makes `n` native calls of `calc.add`, and one of an unknown method.
fn native_calls(address: &str, n: usize) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let client = Client::connect(address).await.expect("connect");
        let options = CallOptions::default();
        for i in 0..n as i64 {
            let sum: i64 = client.call("calc.add", &(i, 3), &options).await.unwrap();
            assert_eq!(sum, i + 3);
        }
        let unknown = client.call::<_, i64>("no.such", &(2, 3), &options).await;
        assert_eq!(unknown.unwrap_err().status(), ferry::Status::UnknownMethod);
    });
}

/// The count of every series the Python parser reads.
fn parsed_counts(server: &TestServer, make_calls: bool) -> BTreeMap<String, f64> {
    let mode = if make_calls { "calls" } else { "read" };
    let script = format!("import sys; sys.argv.append({mode:?})\n{DIALECT_CALLS}");
    let output = python(&script, &server.address);
    serde_json::from_str(output.trim()).expect("the script prints JSON")
}

#[test]
fn the_prometheus_parser_counts_every_call_on_every_dialect_exactly() {
    let server = TestServer::start(HttpConfig::default());
    let before = parsed_counts(&server, false);
    assert_eq!(
        before.get("calc.add ok native"),
        Some(&0.0),
        "exported at zero: {before:?}"
    );
    native_calls(&server.address, 7);
    let after = parsed_counts(&server, true);
    let expected = [
        ("calc.add ok native", 7.0),
        ("_other._other unknown_method native", 1.0),
        ("calc.add ok jsonrpc", 3.0),
        ("calc.divide application jsonrpc", 1.0),
        ("calc.add ok xmlrpc", 2.0),
        ("calc.add ok rest", 4.0),
        ("calc.add invalid_args rest", 1.0),
        ("calc.add ok lpjson", 5.0),
    ];
    for (series, count) in expected {
        assert_eq!(after.get(series), Some(&count), "{series} in {after:?}");
    }
}

#[test]
fn promtool_finds_nothing_to_report() {
    let server = TestServer::start(HttpConfig::default());
    native_calls(&server.address, 3);
    parsed_counts(&server, true);
    let text = server.get("/metrics").text();
    let mut promtool = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|err| panic!("promtool (Debian package prometheus) is required: {err}"));
    use std::io::Write;
    promtool
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let output = promtool.wait_with_output().expect("promtool runs");
    let said = String::from_utf8_lossy(&output.stdout) + String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && said.trim().is_empty(),
        "promtool said: {said}"
    );
}

#[test]
fn random_method_names_share_one_series() {
    let server = TestServer::start(HttpConfig::default());
    let series = |text: &str| text.lines().filter(|l| !l.starts_with('#')).count();
    server.post_json("/api/no/such", "[]");
    server.jsonrpc(r#"{"jsonrpc":"2.0","id":0,"method":"no.such","params":[]}"#);
    let first = series(&server.get("/metrics").text());
    for i in 0..200 {
        let body = format!(r#"{{"jsonrpc":"2.0","id":{i},"method":"random.m{i}x","params":[]}}"#);
        server.jsonrpc(&body);
        server.post_json(&format!("/api/random/n{i}"), "[]");
    }
    let text = server.get("/metrics").text();
    assert_eq!(series(&text), first, "the number of series grew");
    assert!(!text.contains("random"), "a random name became a label");
    let other = r#"rpc_server_call_duration_seconds_count{rpc_service="_other",rpc_method="_other",rpc_status="unknown_method",dialect="jsonrpc"} 201"#;
    assert!(text.contains(other), "{other} missing");
}

#[test]
fn the_pages_answer_with_their_types() {
    let server = TestServer::start(HttpConfig::default());
    let metrics = server.get("/metrics");
    assert_eq!(metrics.status, 200);
    assert!(metrics
        .header("content-type")
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    let status = server.get("/status.json").json();
    assert!(status["methods"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["name"] == "calc.add"));
    assert_eq!(status["limits"]["max_body_len"], 16 * 1024 * 1024);
    assert!(server.get("/status").text().contains("<html"));
    assert!(server.get("/rpcz").text().contains("Recent calls"));
    let rpcz = server.get("/rpcz.json").json();
    assert_eq!(rpcz["sampling"]["keep_all_below_per_second"], 1000);
    assert_eq!(server.request("POST", "/metrics", &[], b"").status, 405);
}

#[test]
fn pages_turned_off_are_not_on_the_port() {
    let server = TestServer::start(HttpConfig::default().pages(false));
    for page in ["/metrics", "/status", "/status.json", "/rpcz", "/rpcz.json"] {
        assert_eq!(server.get(page).status, 404, "{page}");
    }
    assert_eq!(server.get("/healthz").status, 200);
}
