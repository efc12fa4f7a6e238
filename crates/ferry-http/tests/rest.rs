//! REST/JSON at /api/{service}/{method} and /api/openapi.json against a real server.

mod common;

use common::{local::LocalServer, Conn, TestServer};
use ferry_http::HttpConfig;
use serde_json::{json, Value};

fn server() -> TestServer {
    TestServer::start(HttpConfig::default())
}

#[test]
fn post_named_arguments() {
    let server = server();
    let response = server.post_json("/api/calc/add", r#"{"a": 2, "b": 3}"#);
    assert_eq!((response.status, response.text()), (200, "5".to_owned()));
    assert_eq!(response.header("content-type"), Some("application/json"));
    let defaulted = server.post_json("/api/calc/divide", r#"{"num1": 7}"#);
    assert_eq!(defaulted.json(), json!(7.0));
}

#[test]
fn post_positional_arguments() {
    let server = server();
    let response = server.post_json("/api/calc/divide", "[200, 100]");
    assert_eq!((response.status, response.json()), (200, json!(2.0)));
    let ping = server.post_json("/api/echo/ping", r#"["hello"]"#);
    assert_eq!(ping.json(), json!("hello"));
    let echo = server.post_json("/api/echo/echo", "[[104, 105, 0, 255]]");
    assert_eq!(echo.json(), json!([104, 105, 0, 255]));
}

#[test]
fn an_empty_body_is_no_arguments() {
    let server = server();
    let response = server.request("POST", "/api/calc/get_time", &[], b"");
    assert_eq!(response.status, 200);
    assert!(response.json().as_str().unwrap().ends_with('Z'));
}

#[test]
fn get_without_and_with_query_arguments() {
    let server = server();
    let time = server.get("/api/calc/get_time");
    assert_eq!(time.status, 200);
    assert!(time.json().as_str().unwrap().ends_with('Z'));
    let divide = server.get("/api/calc/divide?num1=9&num2=2");
    assert_eq!(divide.json(), json!(4.5));
    let ping = server.get("/api/echo/ping?text=123");
    assert_eq!(
        ping.json(),
        json!("123"),
        "a string parameter keeps digits as text"
    );
    let spaced = server.get("/api/echo/ping?text=a+b%26c");
    assert_eq!(spaced.json(), json!("a b&c"));
}

#[test]
fn an_application_error_is_422_with_its_data() {
    let server = server();
    let response = server.post_json("/api/calc/divide", "[1, 0]");
    assert_eq!(response.status, 422);
    assert_eq!(
        response.json(),
        json!({"error": {
            "status": "application",
            "message": "division by zero",
            "data": {"message": "division by zero"},
        }})
    );
}

#[test]
fn unknown_methods_and_routes_are_json_404s() {
    let server = server();
    for path in [
        "/api/calc/nope",
        "/api/nope/add",
        "/api/calc",
        "/api/calc/add/more",
        "/nothing",
        "/",
    ] {
        let response = server.post_json(path, "[]");
        assert_eq!(response.status, 404, "{path}");
        assert_eq!(response.error_status(), "unknown_method", "{path}");
        assert_eq!(response.header("content-type"), Some("application/json"));
    }
    let message = server.get("/api/calc/nope").json()["error"]["message"].clone();
    assert!(message.as_str().unwrap().contains("calc.nope"), "{message}");
}

#[test]
fn arguments_that_do_not_fit_are_400() {
    let server = server();
    for body in [
        r#"{"a": "x", "b": 1}"#,
        r#"{"a": 1}"#,
        "[1, 2, 3]",
        "5",
        r#""text""#,
    ] {
        let response = server.post_json("/api/calc/add", body);
        assert_eq!(response.status, 400, "{body}");
        assert_eq!(response.error_status(), "invalid_args", "{body}");
    }
    let missing = server.get("/api/calc/add");
    assert_eq!(
        (missing.status, missing.error_status()),
        (400, "invalid_args".to_owned())
    );
}

#[test]
fn a_body_that_is_not_json_is_400_or_415() {
    let server = server();
    let broken = server.post_json("/api/calc/add", r#"{"a": 1,"#);
    assert_eq!(
        (broken.status, broken.error_status()),
        (400, "protocol".to_owned())
    );
    let bytes = server.request(
        "POST",
        "/api/echo/ping",
        &[("content-type", "application/json")],
        b"[\"\xff\"]",
    );
    assert_eq!(bytes.status, 400);
    let xml = server.request(
        "POST",
        "/api/calc/add",
        &[("content-type", "text/xml")],
        b"<a>1</a>",
    );
    assert_eq!(
        (xml.status, xml.error_status()),
        (415, "protocol".to_owned())
    );
    assert!(xml.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("text/xml"));
    let form = server.request(
        "POST",
        "/api/calc/add",
        &[("content-type", "application/x-www-form-urlencoded")],
        br#"{"a": 1, "b": 2}"#,
    );
    assert_eq!(
        form.json(),
        json!(3),
        "curl -d sends JSON under the form type"
    );
}

#[test]
fn a_body_over_the_limit_is_413() {
    let server = TestServer::start(HttpConfig::default().max_body_len(1024));
    let big = format!("[[{}1]]", "1,".repeat(2000));
    let response = server.post_json("/api/echo/echo", &big);
    assert_eq!(
        (response.status, response.error_status()),
        (413, "too_large".to_owned())
    );
    assert!(response.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("1024"));
    server.assert_serving();
}

#[test]
fn a_wrong_method_is_405_with_allow() {
    let server = server();
    for method in ["PUT", "DELETE", "PATCH", "HEAD"] {
        let response = server.request(method, "/api/calc/add", &[], b"");
        assert_eq!(response.status, 405, "{method}");
        assert_eq!(response.header("allow"), Some("GET, POST"), "{method}");
    }
    let openapi = server.request("POST", "/api/openapi.json", &[], b"{}");
    assert_eq!(openapi.status, 405);
    assert_eq!(openapi.header("allow"), Some("GET, HEAD"));
}

/// On tokio's paused clock: the 10 s call is cut off without waiting even its 0.2 s.
#[tokio::test(start_paused = true)]
async fn x_ferry_timeout_is_504_when_it_runs_out() {
    let server = LocalServer::start(HttpConfig::default()).await;
    let headers = [
        ("x-ferry-timeout", "0.2"),
        ("content-type", "application/json"),
    ];
    let response = server
        .request("POST", "/api/test/sleep", &headers, b"[10000]")
        .await;
    assert_eq!(
        (response.status, response.error_status()),
        (504, "deadline_exceeded".to_owned())
    );
    let in_time = server
        .request(
            "POST",
            "/api/test/sleep",
            &[("x-ferry-timeout", "20")],
            b"[1]",
        )
        .await;
    assert_eq!(in_time.json(), json!(1));
    let refused = server
        .request(
            "POST",
            "/api/test/sleep",
            &[("x-ferry-timeout", "-1")],
            b"[1]",
        )
        .await;
    assert_eq!(refused.status, 400);
    server.stop().await;
}

#[test]
fn health_is_ok() {
    let server = server();
    let response = server.get("/healthz");
    assert_eq!(
        (response.status, response.json()),
        (200, json!({"status": "ok"}))
    );
    let head = server.request("HEAD", "/healthz", &[], b"");
    assert_eq!((head.status, head.body.len()), (200, 0));
}

#[test]
fn calls_share_a_keep_alive_connection() {
    let server = server();
    let mut conn = Conn::open(&server.address);
    for n in 0..5 {
        let response = conn.send("POST", "/api/calc/add", format!("[{n}, {n}]").as_bytes());
        assert_eq!(response.json(), json!(2 * n));
    }
    assert_eq!(conn.send("GET", "/healthz", b"").status, 200);
}

#[test]
fn openapi_describes_every_route() {
    let server = server();
    let response = server.get("/api/openapi.json");
    assert_eq!(response.status, 200);
    let document = response.json();
    assert!(document["openapi"].as_str().unwrap().starts_with("3."));
    let paths = document["paths"].as_object().unwrap();
    for path in [
        "/api/calc/add",
        "/api/calc/divide",
        "/api/calc/get_time",
        "/api/echo/echo",
        "/api/echo/ping",
        "/healthz",
        "/jsonrpc",
        "/RPC2",
    ] {
        assert!(paths.contains_key(path), "{path} missing");
    }
    let add = &paths["/api/calc/add"];
    assert_eq!(add["post"]["operationId"], "calc.add");
    let body = &add["post"]["requestBody"]["content"]["application/json"]["schema"]["oneOf"];
    assert_eq!(body[0]["properties"]["a"]["type"], "integer");
    assert_eq!(body[0]["required"], json!(["a", "b"]));
    assert_eq!(body[1]["prefixItems"].as_array().unwrap().len(), 2);
    let query = &add["get"]["parameters"];
    assert_eq!(
        (&query[0]["name"], &query[0]["required"]),
        (&json!("a"), &json!(true))
    );
    let responses = &add["post"]["responses"];
    assert_eq!(
        responses["200"]["content"]["application/json"]["schema"]["type"],
        "integer"
    );
    let own = &responses["422"]["content"]["application/json"]["schema"]["allOf"][1];
    assert_eq!(
        own["properties"]["error"]["properties"]["data"]["properties"]["message"]["type"],
        "string"
    );
    for code in ["400", "404", "413"] {
        assert_eq!(
            responses[code]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/Error"
        );
    }
    let get_time = &paths["/api/calc/get_time"];
    assert!(
        get_time["get"].is_object(),
        "no required parameters: GET is described"
    );
    let divide_default = &paths["/api/calc/divide"]["post"]["requestBody"]["content"]
        ["application/json"]["schema"]["oneOf"][0]["properties"]["num2"]["default"];
    assert_eq!(divide_default, &json!(1.0));
    assert!(document["components"]["schemas"]["Error"].is_object());
    assert_no_dangling_refs(&document, &document);
}

/// Every `$ref` in the document points at something in it.
fn assert_no_dangling_refs(node: &Value, document: &Value) {
    match node {
        Value::Object(object) => {
            if let Some(Value::String(target)) = object.get("$ref") {
                let pointer = target.strip_prefix('#').expect("a local reference");
                assert!(document.pointer(pointer).is_some(), "dangling {target}");
            }
            object
                .values()
                .for_each(|value| assert_no_dangling_refs(value, document));
        }
        Value::Array(items) => items
            .iter()
            .for_each(|value| assert_no_dangling_refs(value, document)),
        _ => {}
    }
}
