//! How REST and JSON-RPC arguments reach the handlers: null and absent params, optional
//! parameters left out, integral floats for integers, and bytes as base64 or an array.

mod common;

use common::TestServer;
use ferry_http::HttpConfig;
use serde_json::{json, Value};

/// The answer to one JSON-RPC request of `method` with the `params` member `params` (left
/// out when `None`).
fn jsonrpc(server: &TestServer, method: &str, params: Option<Value>) -> Value {
    let mut request = json!({"jsonrpc": "2.0", "method": method, "id": 1});
    if let Some(params) = params {
        request["params"] = params;
    }
    let (status, answer) = server.jsonrpc(&request.to_string());
    assert_eq!(status, 200, "{answer}");
    answer
}

#[test]
fn a_method_without_parameters_takes_null_or_absent_params() {
    let server = TestServer::start(HttpConfig::default());
    for params in [None, Some(Value::Null), Some(json!([])), Some(json!({}))] {
        let answer = jsonrpc(&server, "echo.whoami", params.clone());
        assert_eq!(
            answer["result"]["dialect"], "jsonrpc",
            "{params:?}: {answer}"
        );
        let answer = jsonrpc(&server, "calc.get_time", params.clone());
        assert!(answer["result"].is_string(), "{params:?}: {answer}");
    }
    let missing = jsonrpc(&server, "calc.add", Some(Value::Null));
    assert_eq!(missing["error"]["code"], -32602, "{missing}");
    let message = missing["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("arguments of calc.add"), "{message}");
}
