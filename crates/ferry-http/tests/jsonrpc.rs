//! JSON-RPC 2.0 at POST /jsonrpc against a real server: the spec's examples, on the demo
//! services.

mod common;

use common::{local::LocalServer, Conn, TestServer};
use ferry_http::HttpConfig;
use serde_json::{json, Value};

fn server() -> TestServer {
    TestServer::start(HttpConfig::default())
}

#[test]
fn positional_params() {
    let server = server();
    let (status, answer) =
        server.jsonrpc(r#"{"jsonrpc": "2.0", "method": "calc.add", "params": [42, -23], "id": 1}"#);
    assert_eq!(status, 200);
    assert_eq!(answer, json!({"jsonrpc": "2.0", "result": 19, "id": 1}));
}

#[test]
fn named_params_in_any_order_and_defaults() {
    let server = server();
    let (_, answer) = server.jsonrpc(
        r#"{"jsonrpc": "2.0", "method": "calc.divide", "params": {"num2": 4, "num1": 10}, "id": "a"}"#,
    );
    assert_eq!(answer, json!({"jsonrpc": "2.0", "result": 2.5, "id": "a"}));
    let (_, defaulted) = server
        .jsonrpc(r#"{"jsonrpc": "2.0", "method": "calc.divide", "params": {"num1": 9}, "id": 2}"#);
    assert_eq!(defaulted["result"], 9.0);
}

#[test]
fn absent_params_are_no_arguments_and_a_null_id_is_answered() {
    let server = server();
    let (_, answer) =
        server.jsonrpc(r#"{"jsonrpc": "2.0", "method": "calc.get_time", "id": null}"#);
    assert!(
        answer["result"].as_str().unwrap().ends_with('Z'),
        "{answer}"
    );
    assert_eq!(answer["id"], Value::Null);
}

#[test]
fn a_bare_method_name_resolves_when_one_service_has_it() {
    let server = server();
    let (_, answer) =
        server.jsonrpc(r#"{"jsonrpc": "2.0", "method": "ping", "params": ["hi"], "id": 3}"#);
    assert_eq!(answer["result"], "hi");
}

#[test]
fn a_notification_gets_204_and_no_body() {
    let server = server();
    let response = server.post_json(
        "/jsonrpc",
        r#"{"jsonrpc": "2.0", "method": "echo.ping", "params": ["x"]}"#,
    );
    assert_eq!(response.status, 204);
    assert!(response.body.is_empty());
    assert_eq!(response.header("content-length"), None);
    let unknown = server.post_json("/jsonrpc", r#"{"jsonrpc": "2.0", "method": "nope"}"#);
    assert_eq!((unknown.status, unknown.body.len()), (204, 0));
}

#[test]
fn a_batch_answers_in_order() {
    let server = server();
    let (_, answer) = server.jsonrpc(
        r#"[{"jsonrpc": "2.0", "method": "calc.add", "params": [1, 2], "id": "1"},
            {"jsonrpc": "2.0", "method": "echo.ping", "params": {"text": "two"}, "id": "2"},
            {"jsonrpc": "2.0", "method": "test.sleep", "params": [50], "id": "3"}]"#,
    );
    assert_eq!(
        answer,
        json!([
            {"jsonrpc": "2.0", "result": 3, "id": "1"},
            {"jsonrpc": "2.0", "result": "two", "id": "2"},
            {"jsonrpc": "2.0", "result": 50, "id": "3"},
        ])
    );
}

#[test]
fn a_mixed_batch_with_errors_answers_the_requests_only() {
    let server = server();
    let (status, answer) = server.jsonrpc(
        r#"[
        {"jsonrpc": "2.0", "method": "calc.add", "params": [1, 2], "id": "1"},
        {"jsonrpc": "2.0", "method": "echo.ping", "params": ["notified"]},
        {"jsonrpc": "2.0", "method": "calc.divide", "params": [42, 0], "id": "2"},
        {"foo": "boo"},
        {"jsonrpc": "2.0", "method": "foo.get", "params": {"name": "myself"}, "id": "5"},
        {"jsonrpc": "2.0", "method": "calc.get_time", "id": "9"}
    ]"#,
    );
    assert_eq!(status, 200);
    let answers = answer.as_array().expect("an array");
    assert_eq!(answers.len(), 5, "{answer}");
    assert_eq!(
        answers[0],
        json!({"jsonrpc": "2.0", "result": 3, "id": "1"})
    );
    assert_eq!(answers[1]["error"]["code"], -32000);
    assert_eq!(answers[1]["id"], "2");
    assert_eq!(answers[2]["error"]["code"], -32600);
    assert_eq!(answers[2]["id"], Value::Null);
    assert_eq!(answers[3]["error"]["code"], -32601);
    assert_eq!(answers[3]["id"], "5");
    assert_eq!(answers[4]["id"], "9");
}

#[test]
fn a_batch_of_notifications_gets_204() {
    let server = server();
    let response = server.post_json(
        "/jsonrpc",
        r#"[{"jsonrpc": "2.0", "method": "echo.ping", "params": ["a"]},
            {"jsonrpc": "2.0", "method": "calc.add", "params": [1, 2]}]"#,
    );
    assert_eq!((response.status, response.body.len()), (204, 0));
}

#[test]
fn an_empty_batch_is_one_invalid_request() {
    let server = server();
    let (_, answer) = server.jsonrpc("[]");
    assert_eq!(answer["error"]["code"], -32600);
    assert_eq!(answer["id"], Value::Null);
    assert!(answer.is_object());
}

#[test]
fn a_batch_of_non_objects_is_one_error_each() {
    let server = server();
    let (_, answer) = server.jsonrpc("[1, 2, 3]");
    let codes: Vec<&Value> = answer
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["error"]["code"])
        .collect();
    assert_eq!(codes, [&json!(-32600); 3]);
}

#[test]
fn invalid_json_is_a_parse_error() {
    let server = server();
    for body in [
        r#"{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]"#,
        r#"[{"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"}, {"jsonrpc": "2.0", "method""#,
    ] {
        let (status, answer) = server.jsonrpc(body);
        assert_eq!(status, 200);
        assert_eq!(answer["error"]["code"], -32700, "{body}");
        assert_eq!(answer["id"], Value::Null);
    }
    let response = server.request(
        "POST",
        "/jsonrpc",
        &[],
        b"{\"jsonrpc\": \"2.0\", \"method\": \"\xff\xfe\", \"id\": 1}",
    );
    let answer = response.json();
    assert_eq!(answer["error"]["code"], -32700);
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("UTF-8"),
        "{answer}"
    );
}

#[test]
fn invalid_requests_are_refused_with_32600() {
    let server = server();
    let cases = [
        (
            r#"{"jsonrpc": "2.0", "method": 1, "params": "bar"}"#,
            Value::Null,
        ),
        (
            r#"{"jsonrpc": "1.0", "method": "calc.add", "params": [1, 2], "id": 4}"#,
            json!(4),
        ),
        (
            r#"{"method": "calc.add", "params": [1, 2], "id": 5}"#,
            json!(5),
        ),
        (
            r#"{"jsonrpc": "2.0", "method": "calc.add", "params": 7, "id": 6}"#,
            json!(6),
        ),
        (
            r#"{"jsonrpc": "2.0", "method": "calc.add", "params": [1, 2], "id": {"a": 1}}"#,
            Value::Null,
        ),
        (r#""just a string""#, Value::Null),
    ];
    for (body, id) in cases {
        let (status, answer) = server.jsonrpc(body);
        assert_eq!(status, 200);
        assert_eq!(answer["error"]["code"], -32600, "{body}: {answer}");
        assert_eq!(answer["id"], id, "{body}");
        assert_eq!(answer["error"]["data"]["status"], "protocol");
    }
}

#[test]
fn an_unknown_method_is_32601() {
    let server = server();
    let (_, answer) = server.jsonrpc(r#"{"jsonrpc": "2.0", "method": "foobar", "id": "1"}"#);
    assert_eq!(answer["error"]["code"], -32601);
    assert_eq!(answer["error"]["data"]["status"], "unknown_method");
    let (_, service) = server.jsonrpc(r#"{"jsonrpc": "2.0", "method": "calc.nope", "id": "2"}"#);
    assert_eq!(service["error"]["code"], -32601);
}

#[test]
fn invalid_params_are_32602() {
    let server = server();
    for params in [r#"["x", "y"]"#, "[1, 2, 3]", r#"{"a": 1}"#, "[]"] {
        let body =
            format!(r#"{{"jsonrpc": "2.0", "method": "calc.add", "params": {params}, "id": 1}}"#);
        let (_, answer) = server.jsonrpc(&body);
        assert_eq!(answer["error"]["code"], -32602, "{params}: {answer}");
        assert_eq!(answer["error"]["data"], json!({"status": "invalid_args"}));
        assert!(answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("calc.add"));
    }
}

#[test]
fn an_application_error_is_32000_with_the_handler_error_as_data() {
    let server = server();
    let (_, answer) =
        server.jsonrpc(r#"{"jsonrpc": "2.0", "method": "calc.divide", "params": [1, 0], "id": 7}"#);
    assert_eq!(
        answer,
        json!({"jsonrpc": "2.0", "id": 7, "error": {
            "code": -32000,
            "message": "division by zero",
            "data": {"message": "division by zero"},
        }})
    );
}

/// On tokio's paused clock: the 10 s call is cut off without waiting even its 0.2 s.
#[tokio::test(start_paused = true)]
async fn x_ferry_timeout_cuts_a_call_off_with_32003() {
    let server = LocalServer::start(HttpConfig::default()).await;
    let body = br#"{"jsonrpc": "2.0", "method": "test.sleep", "params": [10000], "id": 1}"#;
    let response = server
        .request("POST", "/jsonrpc", &[("x-ferry-timeout", "0.2")], body)
        .await;
    let answer = response.json();
    assert_eq!(answer["error"]["code"], -32003, "{answer}");
    assert_eq!(answer["error"]["data"]["status"], "deadline_exceeded");
    let refused = server
        .request("POST", "/jsonrpc", &[("x-ferry-timeout", "soon")], body)
        .await;
    assert_eq!(refused.status, 400);
    assert_eq!(refused.json()["error"]["code"], -32600);
    server.stop().await;
}

#[test]
fn rpc_discover_is_an_openrpc_document_of_every_method() {
    let server = server();
    let (_, answer) = server.jsonrpc(r#"{"jsonrpc": "2.0", "method": "rpc.discover", "id": 1}"#);
    let document = &answer["result"];
    assert!(
        document["openrpc"].as_str().unwrap().starts_with("1."),
        "{document}"
    );
    let methods = document["methods"].as_array().unwrap();
    let names: Vec<&str> = methods
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    for name in [
        "calc.add",
        "calc.divide",
        "calc.get_time",
        "echo.echo",
        "echo.ping",
    ] {
        assert!(names.contains(&name), "{name} missing from {names:?}");
    }
    let divide = methods.iter().find(|m| m["name"] == "calc.divide").unwrap();
    assert_eq!(divide["params"][0]["name"], "num1");
    assert_eq!(divide["params"][0]["required"], true);
    assert_eq!(divide["params"][1]["required"], false);
    assert_eq!(divide["params"][1]["schema"]["default"], 1.0);
    assert_eq!(divide["result"]["schema"]["type"], "number");
    assert_eq!(divide["errors"][0]["code"], -32000);
    assert_eq!(
        divide["errors"][0]["data"]["properties"]["message"]["type"],
        "string"
    );
    assert!(divide["description"].as_str().unwrap().contains("Divides"));
}

#[test]
fn only_post_is_taken() {
    let server = server();
    let response = server.get("/jsonrpc");
    assert_eq!(response.status, 405);
    assert_eq!(response.header("allow"), Some("POST"));
}

#[test]
fn a_keep_alive_connection_takes_many_calls() {
    let server = server();
    let mut conn = Conn::open(&server.address);
    for n in 0..5 {
        let body =
            format!(r#"{{"jsonrpc": "2.0", "method": "calc.add", "params": [{n}, 1], "id": {n}}}"#);
        let response = conn.send("POST", "/jsonrpc", body.as_bytes());
        assert_eq!(
            response.json(),
            json!({"jsonrpc": "2.0", "result": n + 1, "id": n})
        );
    }
}
