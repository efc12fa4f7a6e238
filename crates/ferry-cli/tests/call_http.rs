//! `ferry call http://...`: the real binary calling XML-RPC and JSON-RPC 2.0 servers written
//! with Python's standard library, and `ferry serve`'s own /RPC2 and /jsonrpc.

mod common;

use std::{
    io::{BufRead, BufReader},
    net::TcpListener,
    process::{Child, ChildStdout, Command, Output, Stdio},
    sync::mpsc,
    time::Duration,
};

use common::{ferry, stderr, stdout, Served};

/// How long a Python server may take to say its port.
const STARTUP: Duration = Duration::from_secs(30);

/// `SimpleXMLRPCServer` with `sum`, a function that raises, introspection and `nil`.
const XMLRPC_SERVER: &str = r#"
import socket
from xmlrpc.server import SimpleXMLRPCServer
socket.setdefaulttimeout(30)
server = SimpleXMLRPCServer(("127.0.0.1", 0), logRequests=False, allow_none=True)
server.register_introspection_functions()
server.register_function(lambda a, b: a + b, "sum")
def fail(message):
    raise ValueError(message)
server.register_function(fail, "fail")
server.register_function(lambda: None, "nothing")
server.register_function(lambda value: value, "identity")
print(server.server_address[1], flush=True)
server.serve_forever()
"#;

/// A JSON-RPC 2.0 server on `http.server`: `sum` (positional or named `a`, `b`), `fail`
/// (an application error -32000 with data), anything else -32601; only at /jsonrpc.
const JSONRPC_SERVER: &str = r#"
import json, socket
from http.server import BaseHTTPRequestHandler, HTTPServer
socket.setdefaulttimeout(30)

class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        if self.path != "/jsonrpc":
            self.send_error(404)
            return
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        params = request.get("params", [])
        if request["method"] == "sum":
            a, b = params if isinstance(params, list) else (params["a"], params["b"])
            reply = {"result": a + b}
        elif request["method"] == "fail":
            reply = {"error": {"code": -32000, "message": "it failed", "data": {"why": params[0]}}}
        else:
            reply = {"error": {"code": -32601, "message": "no method " + request["method"]}}
        reply.update(jsonrpc="2.0", id=request["id"])
        body = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass

server = HTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
"#;

/// A Python server process, killed when dropped.
struct PythonServer {
    child: Child,
    port: u16,
}

impl PythonServer {
    /// Runs `script`, which prints its port on its first line.
    fn start(script: &str) -> PythonServer {
        let mut child = Command::new("python3")
            .args(["-c", script])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|err| panic!("python3 is required: cannot run it: {err}"));
        let stdout = child.stdout.take().expect("stdout is piped");
        let port = first_line(stdout)
            .trim()
            .parse()
            .expect("the script prints its port");
        PythonServer { child, port }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

impl Drop for PythonServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The first line of `stdout`, waited for at most [`STARTUP`].
fn first_line(stdout: ChildStdout) -> String {
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = sender.send(line);
    });
    receiver
        .recv_timeout(STARTUP)
        .expect("the Python server starts")
}

/// `ferry call URL ARGS...`.
fn call(url: &str, args: &[&str]) -> Output {
    ferry(&[&["call", url], args].concat())
}

/// Asserts the call succeeded and printed exactly `expected` and a newline.
fn assert_prints(output: &Output, expected: &str) {
    assert_eq!(
        (output.status.code(), stdout(output), stderr(output)),
        (Some(0), format!("{expected}\n"), String::new())
    );
}

/// Asserts the call failed with exit `code` and printed exactly `expected` on stderr.
fn assert_fails(output: &Output, code: i32, expected: &str) {
    assert_eq!(
        (output.status.code(), stdout(output), stderr(output)),
        (Some(code), String::new(), format!("{expected}\n"))
    );
}

/// Asserts the call failed with exit 2 and a stderr line holding every one of `needles`.
fn assert_fails_saying(output: &Output, needles: &[&str]) {
    let text = stderr(output);
    assert_eq!(output.status.code(), Some(2), "stderr: {text}");
    for needle in needles {
        assert!(text.contains(needle), "{needle:?} not in stderr: {text}");
    }
}

#[test]
fn xmlrpc_to_python() {
    let server = PythonServer::start(XMLRPC_SERVER);
    let rpc2 = server.url("/RPC2");
    assert_prints(&call(&rpc2, &["sum", "2", "3"]), "5");
    assert_prints(&call(&rpc2, &["sum", "2.5", "-1"]), "1.5");
    assert_prints(&call(&rpc2, &["sum", "ab", "cd"]), "\"abcd\"");
    assert_prints(&call(&rpc2, &["sum", "[1]", "[2,3]"]), "[1,2,3]");
    assert_prints(&call(&rpc2, &["nothing"]), "null");
    let nested = r#"{"a":[true,null,{"b":"ünï ✓"}]}"#;
    assert_prints(&call(&rpc2, &["identity", nested]), nested);
    // SimpleXMLRPCServer serves / as well; only the flag can say it is XML-RPC.
    let root = server.url("/");
    assert_prints(&call(&root, &["sum", "2", "3", "--dialect", "xmlrpc"]), "5");
    let listed = call(&rpc2, &["system.listMethods"]);
    assert_eq!(listed.status.code(), Some(0));
    let methods: serde_json::Value = serde_json::from_slice(&listed.stdout).expect("JSON");
    assert!(
        methods
            .as_array()
            .is_some_and(|m| m.contains(&"sum".into())),
        "{methods}"
    );
}

#[test]
fn xmlrpc_faults_from_python_exit_1() {
    let server = PythonServer::start(XMLRPC_SERVER);
    let rpc2 = server.url("/RPC2");
    let failed = call(&rpc2, &["fail", "boom"]);
    assert_fails(&failed, 1, "error: application: <class 'ValueError'>:boom");
    // Python reports every failure, an unknown method included, as fault code 1.
    let unknown = call(&rpc2, &["nope"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(stderr(&unknown).contains("nope"), "{}", stderr(&unknown));
}

#[test]
fn xmlrpc_usage_errors_exit_2() {
    let server = PythonServer::start(XMLRPC_SERVER);
    let rpc2 = server.url("/RPC2");
    let named = call(&rpc2, &["sum", "--args", r#"{"a": 1}"#]);
    assert_fails_saying(&named, &["XML-RPC has positional parameters only"]);
    let unknown_path = call(&server.url("/api"), &["sum", "1", "2"]);
    assert_fails_saying(
        &unknown_path,
        &["cannot tell the dialect", "--dialect xmlrpc"],
    );
    let https = call(
        &format!("https://127.0.0.1:{}/RPC2", server.port),
        &["sum", "1", "2"],
    );
    assert_fails_saying(&https, &["https needs the CA to trust", "--ca FILE"]);
}

#[test]
fn jsonrpc_to_python() {
    let server = PythonServer::start(JSONRPC_SERVER);
    let jsonrpc = server.url("/jsonrpc");
    assert_prints(&call(&jsonrpc, &["sum", "2", "3"]), "5");
    assert_prints(
        &call(&jsonrpc, &["sum", "--args", r#"{"a": 2, "b": 3}"#]),
        "5",
    );
    let failed = call(&jsonrpc, &["fail", "because"]);
    assert_fails(
        &failed,
        1,
        "error: application: it failed\ndata: {\"why\":\"because\"}",
    );
    let unknown = call(&jsonrpc, &["nope"]);
    assert_fails(&unknown, 2, "error: unknown_method: no method nope");
    let elsewhere = call(
        &server.url("/other"),
        &["sum", "2", "3", "--dialect", "jsonrpc"],
    );
    assert_fails_saying(&elsewhere, &["error: unknown_method", "HTTP 404"]);
}

#[test]
fn unreachable_and_silent_servers_exit_2() {
    let closed = TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr");
    let refused = call(&format!("http://{closed}/RPC2"), &["sum", "1", "2"]);
    assert_fails_saying(&refused, &["error: unavailable: cannot connect to"]);
    // The kernel completes the connection, but nobody ever answers.
    let silent = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/jsonrpc", silent.local_addr().expect("addr"));
    let waited = call(&url, &["sum", "1", "2", "--timeout", "0.5"]);
    assert_fails_saying(
        &waited,
        &["error: deadline_exceeded: no answer from", "within 500ms"],
    );
}

#[test]
fn ferry_serve_over_xmlrpc_and_jsonrpc() {
    let served = Served::tcp();
    let rpc2 = format!("http://{}/RPC2", served.address);
    assert_prints(&call(&rpc2, &["calc.add", "2", "3"]), "5");
    assert_prints(&call(&rpc2, &["calc.divide", "200", "100"]), "2.0");
    assert_prints(&call(&rpc2, &["echo.echo", "hi"]), "[104,105]");
    assert_prints(&call(&rpc2, &["echo.echo", "[0,255]"]), "[0,255]");
    assert_fails(
        &call(&rpc2, &["calc.divide", "1", "0"]),
        1,
        "error: application: division by zero",
    );
    let unknown = call(&rpc2, &["calc.nope"]);
    assert_fails_saying(&unknown, &["error: unknown_method: no method calc.nope"]);
    let bad_args = call(&rpc2, &["calc.add", "x", "1"]);
    assert_fails_saying(&bad_args, &["error: invalid_args: arguments of calc.add"]);
    let by_flag = call(
        &served.address,
        &["calc.add", "2", "3", "--dialect", "xmlrpc"],
    );
    assert_prints(&by_flag, "5");

    let jsonrpc = format!("http://{}/jsonrpc", served.address);
    assert_prints(
        &call(&jsonrpc, &["calc.divide", "--args", r#"{"num1": 9}"#]),
        "9.0",
    );
    let zero = call(&jsonrpc, &["calc.divide", "1", "0"]);
    let expected = "error: application: division by zero\ndata: {\"message\":\"division by zero\"}";
    assert_fails(&zero, 1, expected);
    let by_flag = call(
        &served.address,
        &["echo.ping", "hi", "--dialect", "jsonrpc"],
    );
    assert_prints(&by_flag, "\"hi\"");
    let native = call(&served.address, &["echo.ping", "hi", "--dialect", "native"]);
    assert_prints(&native, "\"hi\"");
}

#[test]
fn meta_goes_over_http_as_headers_by_the_one_rule() {
    let served = Served::tcp();
    let meta = ["--meta", "user=alice", "--meta", "authorization=Bearer t"];
    for (path, dialect) in [("/RPC2", "xmlrpc"), ("/jsonrpc", "jsonrpc")] {
        let url = format!("http://{}{path}", served.address);
        let output = call(&url, &[&["echo.whoami"][..], &meta[..]].concat());
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        let seen: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
        let expected = serde_json::json!({"user": "alice", "authorization": "Bearer t"});
        assert_eq!(seen["metadata"], expected, "{dialect}");
        assert_eq!(seen["dialect"], dialect);
    }
}
