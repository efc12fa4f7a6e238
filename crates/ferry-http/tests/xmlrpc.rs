//! XML-RPC at POST /RPC2 against a real server, driven by Python's unmodified standard library
//! (`xmlrpc.client`, `http.client`) as a subprocess, and by this crate's own clients.

mod common;

use std::{
    net::TcpListener,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::Duration,
};

use common::{local::LocalServer, TestServer};
use ferry::{Router, Status};
use ferry_http::{
    client::{ClientError, JsonRpcClient, XmlRpcClient},
    HttpConfig,
};
use serde_json::{json, Value};

/// What every script starts with: every socket operation times out, so a script always ends.
const PRELUDE: &str = r#"
import datetime, json, socket, sys, urllib.parse, xmlrpc.client
socket.setdefaulttimeout(20)
url = sys.argv[1]
proxy = xmlrpc.client.ServerProxy(url, allow_none=True)

def outcome(call):
    try:
        return {"result": call()}
    except xmlrpc.client.Fault as fault:
        return {"faultCode": fault.faultCode, "faultString": fault.faultString}
"#;

/// The demo services, plus `test.identity(value)` returning any value unchanged and
/// `test.big()` returning an integer beyond 32 bits.
fn router() -> Router {
    common::router()
        .function(
            "test.identity",
            ["value"],
            |value: Value| async move { value },
        )
        .function("test.big", [], || async { 1_i64 << 40 })
}

fn server() -> TestServer {
    TestServer::start_with(router(), HttpConfig::default())
}

fn rpc2(server: &TestServer) -> String {
    format!("http://{}/RPC2", server.address)
}

/// Runs `script` (after [`PRELUDE`]) with `url` as its argument; its stdout, parsed as JSON.
fn python(script: &str, url: &str) -> Value {
    common::python_json(&["-c", &format!("{PRELUDE}\n{script}"), url])
}

#[test]
fn python_calls_methods_and_gets_faults() {
    let server = server();
    let script = r#"
print(json.dumps({
    "add": proxy.calc.add(1, 2),
    "big_sum": proxy.calc.add(2**31 - 1, 2**31 - 1),
    "divide": proxy.calc.divide(7, 2),
    "defaulted": proxy.calc.divide(7),
    "ping": proxy.echo.ping("héllo <&> ✓"),
    "zero": outcome(lambda: proxy.calc.divide(1, 0)),
    "unknown": outcome(lambda: proxy.calc.nope()),
    "bad_args": outcome(lambda: proxy.calc.add("x", 1)),
    "too_many": outcome(lambda: proxy.calc.add(1, 2, 3)),
}))
"#;
    let seen = python(script, &rpc2(&server));
    assert_eq!(seen["add"], json!(3));
    assert_eq!(seen["big_sum"], json!(4_294_967_294_i64));
    assert_eq!(seen["divide"], json!(3.5));
    assert_eq!(seen["defaulted"], json!(7.0));
    assert_eq!(seen["ping"], json!("héllo <&> ✓"));
    assert_eq!(
        seen["zero"],
        json!({"faultCode": 1, "faultString": "division by zero"})
    );
    assert_eq!(seen["unknown"]["faultCode"], json!(-32601));
    assert!(seen["unknown"]["faultString"]
        .as_str()
        .is_some_and(|s| s.contains("calc.nope")));
    assert_eq!(seen["bad_args"]["faultCode"], json!(-32602));
    assert_eq!(seen["too_many"]["faultCode"], json!(-32602));
    let too_many = seen["too_many"]["faultString"].as_str().unwrap_or_default();
    assert!(
        too_many.contains("it takes 2 arguments, 3 were given"),
        "{too_many}"
    );
}

#[test]
fn python_introspects() {
    let server = server();
    let script = r#"
print(json.dumps({
    "methods": proxy.system.listMethods(),
    "help": proxy.system.methodHelp("calc.divide"),
    "add": proxy.system.methodSignature("calc.add"),
    "divide": proxy.system.methodSignature("calc.divide"),
    "echo": proxy.system.methodSignature("echo.echo"),
    "missing": outcome(lambda: proxy.system.methodHelp("calc.nope")),
}))
"#;
    let seen = python(script, &rpc2(&server));
    let methods: Vec<&str> = seen["methods"]
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let mut sorted = methods.clone();
    sorted.sort_unstable();
    assert_eq!(methods, sorted, "sorted");
    for name in [
        "calc.add",
        "calc.divide",
        "calc.get_time",
        "echo.echo",
        "echo.ping",
        "test.identity",
        "system.listMethods",
        "system.methodHelp",
        "system.methodSignature",
        "system.multicall",
    ] {
        assert!(methods.contains(&name), "{name} not in {methods:?}");
    }
    let help = seen["help"].as_str().expect("help text");
    assert!(help.starts_with("Divides `num1` by `num2`"), "{help}");
    assert!(help.contains("num2 (double, default 1.0)"), "{help}");
    assert_eq!(seen["add"], json!([["i8", "i8", "i8"]]));
    assert_eq!(
        seen["divide"],
        json!([["double", "double", "double"], ["double", "double"]])
    );
    assert_eq!(seen["echo"], json!([["base64", "base64"]]));
    assert_eq!(seen["missing"]["faultCode"], json!(-32601));
}

#[test]
fn python_multicall_answers_each_call_in_order() {
    let server = server();
    let script = r#"
multi = xmlrpc.client.MultiCall(proxy)
multi.calc.add(1, 2)
multi.calc.divide(1, 0)
multi.echo.ping("third")
multi.calc.nope()
results = multi()
print(json.dumps([outcome(lambda i=i: results[i]) for i in range(4)]))
"#;
    let seen = python(script, &rpc2(&server));
    assert_eq!(seen[0], json!({"result": 3}));
    assert_eq!(
        seen[1],
        json!({"faultCode": 1, "faultString": "division by zero"})
    );
    assert_eq!(seen[2], json!({"result": "third"}));
    assert_eq!(seen[3]["faultCode"], json!(-32601));
}

#[test]
fn python_binary_round_trips_through_echo() {
    let server = server();
    let script = r#"
data = bytes(range(256)) * 400
back = proxy.echo.echo(xmlrpc.client.Binary(data))
empty = proxy.echo.echo(xmlrpc.client.Binary(b""))
builtin = xmlrpc.client.ServerProxy(url, use_builtin_types=True).echo.echo(b"\x00\xff")
print(json.dumps({
    "binary": isinstance(back, xmlrpc.client.Binary),
    "same": back.data == data,
    "empty": empty.data == b"",
    "builtin": list(builtin),
}))
"#;
    let seen = python(script, &rpc2(&server));
    assert_eq!(
        seen,
        json!({"binary": true, "same": true, "empty": true, "builtin": [0, 255]})
    );
}

#[test]
fn python_round_trips_every_type() {
    let server = server();
    let script = r#"
cases = {
    "int": 42,
    "negative": -7,
    "max_int": 2**31 - 1,
    "min_int": -2**31,
    "true": True,
    "false": False,
    "string": "ünïcödé ✓ 🦀 <&> \"' ]]>",
    "empty_string": "",
    "whitespace": "  a\n\tb  ",
    "crlf": "a\r\nb\rc",
    "double": 1.5,
    "whole_double": 2.0,
    "tiny_double": 1e-300,
    "huge_double": 1.5e300,
    "nil": None,
    "array": [1, "two", [3.5, None, False]],
    "struct": {"a": {"b": [True, {"c": "d"}]}, "": "empty name", "k<&>": 1},
    "empty_array": [],
    "empty_struct": {},
}
back = {name: proxy.test.identity(value) for name, value in cases.items()}
moment = xmlrpc.client.DateTime(datetime.datetime(2024, 5, 1, 12, 34, 56))
print(json.dumps({
    "cases": cases,
    "back": back,
    "types_kept": {name: type(back[name]) is type(value) for name, value in cases.items()},
    "datetime": proxy.test.identity(moment),
    "binary": proxy.test.identity(xmlrpc.client.Binary(b"hi")),
    "i8": proxy.test.big(),
}))
"#;
    let seen = python(script, &rpc2(&server));
    let cases = seen["cases"].as_object().expect("the cases");
    for (name, sent) in cases {
        assert_eq!(&seen["back"][name], sent, "{name}");
        assert_eq!(seen["types_kept"][name], json!(true), "{name}");
    }
    // A dateTime arrives as its text and a Binary as its byte values, since the parameter is
    // any JSON value; the integer beyond 32 bits comes back as <i8>.
    assert_eq!(seen["datetime"], json!("20240501T12:34:56"));
    assert_eq!(seen["binary"], json!([104, 105]));
    assert_eq!(seen["i8"], json!(1_i64 << 40));
}

#[test]
fn malformed_bodies_get_faults_while_others_are_served() {
    let server = server();
    let url = rpc2(&server);
    let keep_calling = Arc::new(AtomicBool::new(true));
    let well_behaved = std::thread::spawn({
        let (url, keep_calling) = (url.clone(), keep_calling.clone());
        move || well_behaved_calls(&url, &keep_calling)
    });
    let script = r#"
import http.client
bomb = b'''<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<methodCall><methodName>echo.ping</methodName><params><param><value><string>&lol9;</string></value></param></params></methodCall>'''
call = xmlrpc.client.dumps((1, 2), "calc.add").encode()
bodies = {
    "truncated_tag": call[: call.index(b"<int>") + 3],
    "truncated_text": call[: call.index(b"<int>") + 5],
    "invalid_utf8": call.replace(b"calc.add", b"calc.\xff\xfe"),
    "not_xml": b"this is not XML",
    "mismatched": b"<methodCall><methodName>calc.add</methodName></methodcall>",
    "unknown_entity": call.replace(b"calc.add", b"&secret;"),
    "bomb": bomb,
    "deep": b"<methodCall><methodName>test.identity</methodName><params><param>"
        + b"<value><array><data>" * 10000 + b"</data></array></value>" * 10000
        + b"</param></params></methodCall>",
    "empty": b"",
}
parts = urllib.parse.urlsplit(url)
seen = {}
for _ in range(5):
    for name, body in bodies.items():
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=20)
        connection.request("POST", parts.path, body, {"Content-Type": "text/xml"})
        response = connection.getresponse()
        answer = response.read()
        connection.close()
        seen[name] = {"status": response.status, "type": response.getheader("Content-Type")}
        seen[name].update(outcome(lambda: xmlrpc.client.loads(answer)))
print(json.dumps(seen))
"#;
    let seen = python(script, &url);
    keep_calling.store(false, Ordering::Relaxed);
    let answered = well_behaved.join().expect("the well-behaved client ends");
    assert!(answered > 0, "the well-behaved client got no answer");
    for (name, code, says) in [
        ("truncated_tag", -32700, "end of input"),
        ("truncated_text", -32700, "truncated"),
        ("invalid_utf8", -32700, "UTF-8"),
        ("not_xml", -32700, "text before the root element"),
        ("mismatched", -32700, "methodcall"),
        ("unknown_entity", -32700, "secret"),
        ("bomb", -32700, "DTD"),
        ("deep", -32007, "deeper than 64"),
        ("empty", -32700, "no XML element"),
    ] {
        let answer = &seen[name];
        assert_eq!(answer["status"], json!(200), "{name}: {answer}");
        assert_eq!(answer["type"], json!("text/xml"), "{name}: {answer}");
        assert_eq!(answer["faultCode"], json!(code), "{name}: {answer}");
        let message = answer["faultString"].as_str().unwrap_or_default();
        assert!(
            message.contains(says) && !message.contains('\n'),
            "{name}: {answer}"
        );
    }
}

/// Calls `calc.add` until told to stop; every call must succeed. Returns how many did.
fn well_behaved_calls(url: &str, keep_calling: &AtomicBool) -> usize {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let client = XmlRpcClient::new(url).expect("a valid URL");
    runtime.block_on(async {
        let mut answered = 0;
        while keep_calling.load(Ordering::Relaxed) {
            let sum = client
                .call("calc.add", vec![json!(answered), json!(1)])
                .await;
            assert_eq!(sum.expect("an answer"), json!(answered + 1));
            answered += 1;
        }
        answered
    })
}

#[tokio::test]
async fn rust_clients_call_both_dialects() {
    let server = server();
    let xmlrpc = XmlRpcClient::new(&rpc2(&server)).expect("a valid URL");
    assert_eq!(
        xmlrpc
            .call("calc.add", vec![json!(2), json!(3)])
            .await
            .expect("5"),
        json!(5)
    );
    let bytes = xmlrpc
        .call("echo.echo", vec![json!([0, 1, 255])])
        .await
        .expect("echoed");
    assert_eq!(bytes, json!([0, 1, 255]));
    let nested = json!({"a": [1, 2.5, null, "x", {"b": true}]});
    let back = xmlrpc
        .call("test.identity", vec![nested.clone()])
        .await
        .expect("identity");
    assert_eq!(back, nested);
    let Err(ClientError::Remote(fault)) =
        xmlrpc.call("calc.divide", vec![json!(1), json!(0)]).await
    else {
        panic!("not a fault")
    };
    assert_eq!(
        (fault.code, fault.message.as_str()),
        (1, "division by zero")
    );
    assert_eq!(fault.status(), Status::Application);

    let jsonrpc_url = format!("http://{}/jsonrpc", server.address);
    let jsonrpc = JsonRpcClient::new(&jsonrpc_url).expect("a valid URL");
    assert_eq!(
        jsonrpc
            .call("calc.add", vec![json!(2), json!(3)])
            .await
            .expect("5"),
        json!(5)
    );
    let named = json!({"num1": 9}).as_object().cloned().expect("an object");
    assert_eq!(
        jsonrpc.call_named("calc.divide", named).await.expect("9.0"),
        json!(9.0)
    );
    let Err(ClientError::Remote(error)) =
        jsonrpc.call("calc.divide", vec![json!(1), json!(0)]).await
    else {
        panic!("not an error")
    };
    assert_eq!((error.code, error.status()), (-32000, Status::Application));
    assert_eq!(error.data, Some(json!({"message": "division by zero"})));
    let unknown = jsonrpc
        .call("calc.nope", vec![])
        .await
        .expect_err("no such method");
    assert_eq!(unknown.status(), Status::UnknownMethod);
}

/// On tokio's paused clock, with the server on this test's runtime: the silent listener's
/// 300 ms pass without being waited for.
#[tokio::test(start_paused = true)]
async fn rust_clients_report_transport_failures() {
    let https = XmlRpcClient::new("https://127.0.0.1/RPC2").expect("an https URL");
    let untrusting = https
        .call("calc.add", vec![])
        .await
        .expect_err("no CA given");
    assert!(
        untrusting
            .to_string()
            .contains("https needs the CA to trust"),
        "{untrusting}"
    );

    let closed_port = TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr");
    let refused = XmlRpcClient::new(&format!("http://{closed_port}/RPC2")).expect("a valid URL");
    let err = refused
        .call("calc.add", vec![])
        .await
        .expect_err("nothing listens");
    assert!(matches!(err, ClientError::Connect { .. }), "{err}");
    assert_eq!(err.status(), Status::Unavailable);

    // Connections complete in the kernel's backlog, but nobody ever answers.
    let silent = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/jsonrpc", silent.local_addr().expect("addr"));
    let waiting = JsonRpcClient::new(&url)
        .expect("a valid URL")
        .with_timeout(Duration::from_millis(300));
    let err = waiting
        .call("calc.add", vec![])
        .await
        .expect_err("no answer");
    assert!(matches!(err, ClientError::Timeout { .. }), "{err}");
    assert_eq!(err.status(), Status::DeadlineExceeded);

    let server = LocalServer::start_with(router(), HttpConfig::default()).await;
    let wrong_path = XmlRpcClient::new(&format!("http://{}/nope", server.address)).expect("valid");
    let err = wrong_path
        .call("calc.add", vec![])
        .await
        .expect_err("no such route");
    assert!(matches!(err, ClientError::Status { .. }), "{err}");
    assert!(err.to_string().contains("404"), "{err}");

    let small = XmlRpcClient::new(&format!("http://{}/RPC2", server.address))
        .expect("valid")
        .with_max_response_len(64);
    let err = small
        .call("echo.ping", vec![json!("x".repeat(1000))])
        .await
        .expect_err("too big");
    assert_eq!(err.status(), Status::TooLarge, "{err}");
    server.stop().await;
}
