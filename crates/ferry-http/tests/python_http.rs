//! Python's standard library (`urllib.request`, no install) calling JSON-RPC and REST.

mod common;

use common::{python, TestServer};
use ferry_http::HttpConfig;

const JSONRPC: &str = r#"
import json, sys, urllib.request

base = sys.argv[1]

def rpc(payload):
    request = urllib.request.Request(
        base + "/jsonrpc",
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=20) as response:
        body = response.read()
        return response.status, (json.loads(body) if body else None)

print(rpc({"jsonrpc": "2.0", "method": "calc.add", "params": [2, 3], "id": 1}))
status, answer = rpc({"jsonrpc": "2.0", "method": "calc.divide", "params": {"num1": 1, "num2": 0}, "id": 2})
print(status, answer["error"]["code"], answer["error"]["message"], answer["error"]["data"])
print(rpc({"jsonrpc": "2.0", "method": "echo.ping", "params": ["quiet"]}))
batch = rpc([
    {"jsonrpc": "2.0", "method": "echo.ping", "params": {"text": "a"}, "id": "a"},
    {"jsonrpc": "2.0", "method": "nope", "id": "b"},
])[1]
print([(reply["id"], reply.get("result"), reply.get("error", {}).get("code")) for reply in batch])
"#;

#[test]
fn urllib_calls_jsonrpc() {
    let server = TestServer::start(HttpConfig::default());
    let output = python(JSONRPC, &format!("http://{}", server.address));
    assert_eq!(
        output,
        "(200, {'jsonrpc': '2.0', 'result': 5, 'id': 1})\n\
         200 -32000 division by zero {'message': 'division by zero'}\n\
         (204, None)\n\
         [('a', 'a', None), ('b', None, -32601)]\n"
    );
}

const REST: &str = r#"
import json, sys, urllib.error, urllib.request

base = sys.argv[1]

def call(path, payload=None):
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(base + path, data=data)
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())

print(call("/api/calc/add", {"a": 40, "b": 2}))
print(call("/api/calc/divide", [1, 4]))
print(call("/api/echo/ping?text=hi%20there"))
print(call("/api/calc/divide", {"num1": 1, "num2": 0}))
status, body = call("/api/calc/nope", {})
print(status, body["error"]["status"])
status, body = call("/api/calc/add", {"a": "x", "b": 1})
print(status, body["error"]["status"])
status, body = call("/healthz")
print(status, body)
"#;

#[test]
fn urllib_calls_rest() {
    let server = TestServer::start(HttpConfig::default());
    let output = python(REST, &format!("http://{}", server.address));
    assert_eq!(
        output,
        "(200, 42)\n\
         (200, 0.25)\n\
         (200, 'hi there')\n\
         (422, {'error': {'data': {'message': 'division by zero'}, 'message': 'division by zero', 'status': 'application'}})\n\
         404 unknown_method\n\
         400 invalid_args\n\
         200 {'status': 'ok'}\n"
    );
}
