//! The cap on calls per request: a JSON-RPC batch or an XML-RPC `system.multicall` longer than
//! `HttpConfig::max_batch_len` is refused whole with -32600, and none of its calls runs.

mod common;

use common::TestServer;
use ferry_http::HttpConfig;

/// `n` JSON-RPC requests of `calc.add` in one batch.
fn jsonrpc_batch(n: usize) -> String {
    let call = r#"{"jsonrpc":"2.0","method":"calc.add","params":[1,2],"id":1}"#;
    format!("[{}]", vec![call; n].join(","))
}

/// A `system.multicall` of `n` calls of `calc.add`.
fn multicall(n: usize) -> String {
    let call = "<value><struct><member><name>methodName</name><value><string>calc.add</string>\
                </value></member><member><name>params</name><value><array><data><value><int>1\
                </int></value><value><int>2</int></value></data></array></value></member>\
                </struct></value>";
    format!(
        "<?xml version='1.0'?><methodCall><methodName>system.multicall</methodName><params>\
         <param><value><array><data>{}</data></array></value></param></params></methodCall>",
        call.repeat(n)
    )
}

#[test]
fn a_jsonrpc_batch_over_the_cap_is_one_error_and_runs_nothing() {
    let server = TestServer::start(HttpConfig::default());
    let (status, answer) = server.jsonrpc(&jsonrpc_batch(200_000));
    assert_eq!(status, 200);
    assert_eq!(answer["error"]["code"], -32600, "{answer}");
    assert_eq!(
        answer["error"]["message"],
        "Invalid Request: a batch holds at most 1000 calls; this one holds 200000: send it in parts"
    );
    assert_eq!(server.stats.calls(), 0, "no call of the batch ran");
    let (_, answer) = server.jsonrpc(&jsonrpc_batch(1000));
    let answers = answer.as_array().expect("a batch at the cap is answered");
    assert_eq!(answers.len(), 1000);
    assert!(answers.iter().all(|answer| answer["result"] == 3));
    assert_eq!(server.stats.calls(), 1000, "the counter counts these calls");
    server.assert_serving();
}

#[test]
fn the_cap_is_configurable() {
    let server = TestServer::start(HttpConfig::default().max_batch_len(2));
    let (_, answer) = server.jsonrpc(&jsonrpc_batch(3));
    let message = answer["error"]["message"].as_str().expect("a message");
    assert!(
        message.contains("at most 2 calls; this one holds 3"),
        "{message}"
    );
    let (_, answer) = server.jsonrpc(&jsonrpc_batch(2));
    assert_eq!(answer.as_array().map(Vec::len), Some(2));
}

#[test]
fn an_xmlrpc_multicall_over_the_cap_is_one_fault_and_runs_nothing() {
    let server = TestServer::start(HttpConfig::default());
    let headers = [("content-type", "text/xml")];
    let response = server.request("POST", "/RPC2", &headers, multicall(1001).as_bytes());
    assert_eq!(response.status, 200);
    let text = response.text();
    assert!(text.contains("<fault>"), "{text}");
    assert!(text.contains("<int>-32600</int>"), "{text}");
    assert!(
        text.contains("a batch holds at most 1000 calls; this one holds 1001"),
        "{text}"
    );
    assert_eq!(server.stats.calls(), 0, "no call of the multicall ran");
    let response = server.request("POST", "/RPC2", &headers, multicall(1000).as_bytes());
    let text = response.text();
    assert!(!text.contains("<fault>"), "{text}");
    assert_eq!(text.matches("<int>3</int>").count(), 1000);
}
