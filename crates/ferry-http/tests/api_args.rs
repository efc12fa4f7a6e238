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

/// A service with optional parameters, integers of several widths and bytes.
#[ferry::service]
trait Shapes {
    /// `a`, then `b` and `c` when given.
    async fn opt(&self, a: i64, b: Option<String>, c: Option<u32>) -> String;
    /// The sum of three integers of three widths.
    async fn ints(&self, a: i64, b: u32, c: i8) -> i64;
    /// The length of `data` and the data.
    async fn bytes(&self, data: ferry::Bytes, more: Option<Vec<u8>>) -> (usize, Vec<u8>);
}

struct Shaper;

impl Shapes for Shaper {
    async fn opt(&self, a: i64, b: Option<String>, c: Option<u32>) -> String {
        format!("{a} {b:?} {c:?}")
    }

    async fn ints(&self, a: i64, b: u32, c: i8) -> i64 {
        a + i64::from(b) + i64::from(c)
    }

    async fn bytes(&self, data: ferry::Bytes, more: Option<Vec<u8>>) -> (usize, Vec<u8>) {
        let mut all = data.to_vec();
        all.extend(more.unwrap_or_default());
        (data.len(), all)
    }
}

/// The demo services, `shapes`, and `fn.opt` registered as a function.
fn start() -> TestServer {
    let router = common::router()
        .service(ShapesServer::new(Shaper))
        .function("fn.opt", ["a", "b"], |a: i64, b: Option<i64>| async move {
            format!("{a} {b:?}")
        })
        .function("fn.int", ["n"], |n: u64| async move { n });
    TestServer::start_with(router, HttpConfig::default())
}

/// The REST answer to `POST /api/{service}/{method}` with `body`: status and JSON.
fn post(server: &TestServer, method: &str, body: Value) -> (u16, Value) {
    let path = format!("/api/{}", method.replace('.', "/"));
    let response = server.post_json(&path, &body.to_string());
    (response.status, response.json())
}

/// The REST answer to `GET /api/{service}/{method}?{query}`.
fn get(server: &TestServer, method: &str, query: &str) -> (u16, Value) {
    let response = server.get(&format!("/api/{}?{query}", method.replace('.', "/")));
    (response.status, response.json())
}

/// The JSON-RPC result of `method` with `params`, or its error.
fn rpc(server: &TestServer, method: &str, params: Value) -> Value {
    let answer = jsonrpc(server, method, Some(params));
    match answer.get("result") {
        Some(result) => result.clone(),
        None => answer["error"].clone(),
    }
}

#[test]
fn integral_floats_are_integers_on_rest_and_jsonrpc() {
    let server = start();
    for args in [json!([0.0, 1.0]), json!({"a": 0.0, "b": 1.0})] {
        assert_eq!(
            post(&server, "calc.add", args.clone()),
            (200, json!(1)),
            "{args}"
        );
        assert_eq!(rpc(&server, "calc.add", args.clone()), json!(1), "{args}");
    }
    assert_eq!(get(&server, "calc.add", "a=-3.0&b=1e1"), (200, json!(7)));
    assert_eq!(
        rpc(&server, "shapes.ints", json!([-3.0, 4.0, -128.0])),
        json!(-127)
    );
    assert_eq!(
        rpc(&server, "fn.int", json!([1.844_674_407_370_955e19])),
        json!(18446744073709549568u64)
    );
    let (status, refused) = post(&server, "calc.add", json!([1.5, 1]));
    assert_eq!(status, 400);
    assert_eq!(refused["error"]["status"], "invalid_args");
    assert_eq!(
        refused["error"]["message"],
        "arguments of calc.add do not fit its parameters: `a`: 1.5 is not an integer"
    );
    let refused = rpc(&server, "calc.add", json!({"a": 1, "b": 0.5}));
    assert_eq!(refused["code"], -32602, "{refused}");
    assert!(refused["message"]
        .as_str()
        .unwrap_or_default()
        .ends_with("`b`: 0.5 is not an integer"));
    let narrow = rpc(&server, "shapes.ints", json!([1, 2, 300.0]));
    assert_eq!(
        narrow["code"], -32602,
        "a float out of i8's range is refused like an integer: {narrow}"
    );
    server.assert_serving();
}

#[test]
fn bytes_are_base64_or_an_array_on_rest_and_jsonrpc() {
    let server = start();
    let hello = json!([104, 101, 108, 108, 111]);
    for data in [json!("aGVsbG8="), json!("aGVsbG8"), hello.clone()] {
        assert_eq!(
            post(&server, "echo.echo", json!([data])),
            (200, hello.clone()),
            "{data}"
        );
        assert_eq!(
            post(&server, "echo.echo", json!({"data": data})),
            (200, hello.clone())
        );
        assert_eq!(rpc(&server, "echo.echo", json!([data])), hello, "{data}");
        assert_eq!(
            rpc(&server, "echo.echo", json!({"data": data})),
            hello,
            "{data}"
        );
    }
    assert_eq!(
        get(&server, "echo.echo", "data=aGVsbG8%3D"),
        (200, hello.clone())
    );
    assert_eq!(
        get(&server, "echo.echo", "data=-_8"),
        (200, json!([251, 255]))
    );
    assert_eq!(
        get(&server, "echo.echo", "data=[1,2]"),
        (200, json!([1, 2]))
    );
    assert_eq!(post(&server, "echo.echo", json!([""])), (200, json!([])));
    let both = rpc(
        &server,
        "shapes.bytes",
        json!({"data": "AAE=", "more": "/w=="}),
    );
    assert_eq!(both, json!([2, [0, 1, 255]]));
    let (status, refused) = post(&server, "echo.echo", json!(["hi!"]));
    assert_eq!(
        (status, &refused["error"]["status"]),
        (400, &json!("invalid_args"))
    );
    let message = refused["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("`data`: bytes are base64"), "{message}");
    let refused = rpc(&server, "echo.echo", json!(["@@@@"]));
    assert_eq!(refused["code"], -32602, "{refused}");
}

#[test]
fn bytes_and_optional_parameters_are_described_as_taken() {
    let server = start();
    let document = server.get("/api/openapi.json").json();
    let echo = &document["paths"]["/api/echo/echo"]["post"]["requestBody"]["content"]
        ["application/json"]["schema"]["oneOf"][0]["properties"]["data"];
    assert_eq!(
        echo["anyOf"][0],
        json!({"type": "string", "contentEncoding": "base64"}),
        "{echo}"
    );
    assert_eq!(
        echo["anyOf"][1]["items"],
        json!({"type": "integer", "minimum": 0, "maximum": 255})
    );
    let opt = &document["paths"]["/api/shapes/opt"];
    let body = &opt["post"]["requestBody"]["content"]["application/json"]["schema"]["oneOf"];
    assert_eq!(body[0]["required"], json!(["a"]));
    assert_eq!(
        (&body[1]["minItems"], &body[1]["maxItems"]),
        (&json!(1), &json!(3))
    );
    let query: Vec<(&Value, &Value)> = opt["get"]["parameters"]
        .as_array()
        .expect("query parameters")
        .iter()
        .map(|param| (&param["name"], &param["required"]))
        .collect();
    assert_eq!(
        query,
        [
            (&json!("a"), &json!(true)),
            (&json!("b"), &json!(false)),
            (&json!("c"), &json!(false))
        ]
    );
    let (_, discover) = server.jsonrpc(r#"{"jsonrpc":"2.0","method":"rpc.discover","id":1}"#);
    let methods = discover["result"]["methods"].as_array().expect("methods");
    let opt = methods
        .iter()
        .find(|m| m["name"] == "shapes.opt")
        .expect("shapes.opt");
    let required: Vec<&Value> = opt["params"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| &p["required"])
        .collect();
    assert_eq!(required, [&json!(true), &json!(false), &json!(false)]);
    let echo = methods
        .iter()
        .find(|m| m["name"] == "echo.echo")
        .expect("echo.echo");
    assert_eq!(
        echo["params"][0]["schema"]["anyOf"][0]["contentEncoding"],
        "base64"
    );
}

#[test]
fn optional_parameters_may_be_left_out_on_rest_and_jsonrpc() {
    let server = start();
    for method in ["shapes.opt", "fn.opt"] {
        let none = if method == "fn.opt" {
            "1 None"
        } else {
            "1 None None"
        };
        assert_eq!(
            post(&server, method, json!([1])),
            (200, json!(none)),
            "{method}"
        );
        assert_eq!(
            post(&server, method, json!({"a": 1})),
            (200, json!(none)),
            "{method}"
        );
        assert_eq!(get(&server, method, "a=1"), (200, json!(none)), "{method}");
        assert_eq!(rpc(&server, method, json!([1])), json!(none), "{method}");
        assert_eq!(
            rpc(&server, method, json!({"a": 1})),
            json!(none),
            "{method}"
        );
    }
    assert_eq!(
        rpc(&server, "shapes.opt", json!([1, "x"])),
        json!("1 Some(\"x\") None")
    );
    assert_eq!(
        get(&server, "shapes.opt", "a=1&c=7"),
        (200, json!("1 None Some(7)"))
    );
    assert_eq!(
        post(&server, "shapes.opt", json!([1, null, 2])),
        (200, json!("1 None Some(2)"))
    );
    let missing = rpc(&server, "shapes.opt", json!([]));
    assert_eq!(missing["code"], -32602, "{missing}");
    let message = missing["message"].as_str().unwrap_or_default();
    assert!(message.ends_with("missing parameter `a`"), "{message}");
}
