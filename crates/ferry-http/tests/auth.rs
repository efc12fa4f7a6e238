//! Auth on every HTTP dialect of the one port, driven by real clients: curl for REST, JSON-RPC,
//! the pages and files, Python's `xmlrpc.client` for XML-RPC, a Python socket for the
//! length-prefixed JSON dialect. Each outcome (no token, an unknown one, a known one outside
//! its patterns, an allowed one) on each, and the identity the handler sees.

mod common;

use std::fs;

use ferry::{
    auth::{Auth, Tokens},
    with_context, Context, Router,
};
use ferry_files::{Root, RootConfig};
use ferry_http::HttpConfig;
use serde_json::{json, Value};

use common::{curl_ok, Response, TestServer};

const TOKENS: &str = "\
t-ops      ops
t-alice    alice    calc.* util.*
t-watcher  watcher  _pages.*
";

/// The demo services, `util.whoami` (the caller's identity and metadata keys), and auth.
fn router() -> Router {
    common::router()
        .function(
            "util.whoami",
            [],
            with_context(|ctx: Context| async move {
                let keys: Vec<&str> = ctx.metadata_pairs().map(|(key, _)| key).collect();
                let identity = ctx.identity().map(|identity| identity.name().to_owned());
                json!({"identity": identity, "metadata": keys})
            }),
        )
        .auth(Auth::new(
            Tokens::parse(TOKENS).expect("the test's tokens parse"),
        ))
}

fn start(config: HttpConfig) -> TestServer {
    TestServer::start_with(router(), config)
}

/// The credentials of each case: none, an unknown token, alice's (outside `echo.*`).
const NONE: Option<&str> = None;
const UNKNOWN: Option<&str> = Some("t-guessed");
const ALICE: Option<&str> = Some("t-alice");

/// curl `args` with `token` as a bearer token; the response, headers and all.
fn curl(token: Option<&str>, args: &[&str]) -> Response {
    let header = token.map(|token| format!("Authorization: Bearer {token}"));
    let mut all: Vec<&str> = vec!["-i"];
    if let Some(header) = &header {
        all.extend(["-H", header.as_str()]);
    }
    all.extend_from_slice(args);
    common::parse(&curl_ok(&all))
}

fn challenge(response: &Response) -> Option<&str> {
    response.header("www-authenticate")
}

#[test]
fn rest_answers_401_with_a_challenge_403_and_the_identity() {
    let server = start(HttpConfig::default());
    let url = |path: &str| format!("http://{}/api/{path}", server.address);
    let none = curl(NONE, &[&url("calc/add?a=1&b=2")]);
    assert_eq!(none.status, 401, "{}", none.text());
    assert_eq!(challenge(&none), Some(r#"Bearer realm="ferry""#));
    assert_eq!(none.json()["error"]["status"], "unauthenticated");
    let unknown = curl(UNKNOWN, &["-d", "[1, 2]", &url("calc/add")]);
    assert_eq!(unknown.status, 401);
    let invalid = r#"Bearer realm="ferry", error="invalid_token""#;
    assert_eq!(challenge(&unknown), Some(invalid));
    let outside = curl(ALICE, &["-d", r#"["hi"]"#, &url("echo/ping")]);
    assert_eq!(outside.status, 403);
    assert_eq!(challenge(&outside), None);
    assert_eq!(outside.json()["error"]["status"], "permission_denied");
    assert_eq!(curl(ALICE, &["-d", "[1, 2]", &url("calc/add")]).text(), "3");
    let seen = curl(ALICE, &["-H", "x-ferry-user: a", &url("util/whoami")]);
    assert_eq!(
        seen.json(),
        json!({"identity": "alice", "metadata": ["user"]})
    );
    // A streaming method is refused before it streams.
    let stream = curl(NONE, &[&url("echo/count?n=3")]);
    assert_eq!(
        (stream.status, challenge(&stream)),
        (401, Some(r#"Bearer realm="ferry""#))
    );
}

#[test]
fn jsonrpc_answers_200_with_the_auth_codes_and_guards_rpc_discover() {
    let server = start(HttpConfig::default());
    let url = format!("http://{}/jsonrpc", server.address);
    let call = |token: Option<&str>, method: &str| -> (u16, Value) {
        let body = json!({"jsonrpc": "2.0", "method": method, "params": [], "id": 1});
        let response = curl(token, &["-d", &body.to_string(), &url]);
        (response.status, response.json())
    };
    for (token, method, code) in [
        (NONE, "util.whoami", -32008),
        (UNKNOWN, "util.whoami", -32008),
        (ALICE, "echo.whoami", -32009),
        (NONE, "rpc.discover", -32008),
    ] {
        let (status, answer) = call(token, method);
        assert_eq!(status, 200, "{answer}");
        assert_eq!(
            answer["error"]["code"], code,
            "{token:?} {method}: {answer}"
        );
    }
    let (_, seen) = call(ALICE, "util.whoami");
    assert_eq!(seen["result"], json!({"identity": "alice", "metadata": []}));
    let (_, document) = call(ALICE, "rpc.discover");
    assert!(document["result"]["methods"].is_array(), "{document}");
}

const XMLRPC: &str = r#"
import sys, xmlrpc.client
address, token, method = sys.argv[1:4]
headers = [] if token == "-" else [("Authorization", "Bearer " + token)]
proxy = xmlrpc.client.ServerProxy("http://" + address + "/RPC2", headers=headers)
try:
    print(repr(getattr(proxy, method)()))
except xmlrpc.client.Fault as fault:
    print(fault.faultCode)
"#;

fn xmlrpc(server: &TestServer, token: Option<&str>, method: &str) -> String {
    let output = std::process::Command::new("python3")
        .args(["-c", XMLRPC, &server.address, token.unwrap_or("-"), method])
        .output()
        .unwrap_or_else(|err| panic!("python3 is required: cannot run python3 ({err})"));
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

#[test]
fn xmlrpc_faults_with_the_auth_codes_and_guards_introspection() {
    let server = start(HttpConfig::default());
    assert_eq!(xmlrpc(&server, NONE, "util.whoami"), "-32008");
    assert_eq!(xmlrpc(&server, UNKNOWN, "util.whoami"), "-32008");
    assert_eq!(xmlrpc(&server, ALICE, "echo.whoami"), "-32009");
    assert_eq!(xmlrpc(&server, NONE, "system.listMethods"), "-32008");
    assert_eq!(
        xmlrpc(&server, ALICE, "util.whoami"),
        "{'identity': 'alice', 'metadata': []}"
    );
    assert!(xmlrpc(&server, ALICE, "system.listMethods").contains("'calc.add'"));
}

const LPJSON: &str = r#"
import json, socket, struct, sys
host, port = sys.argv[1].rsplit(":", 1)
with socket.create_connection((host, int(port)), timeout=20) as s:
    answers = s.makefile("rb")
    for line in sys.stdin:
        token, method = line.split()
        meta = {} if token == "-" else {"authorization": "Bearer " + token}
        body = json.dumps({"in": method, "meta": meta}).encode()
        s.sendall(struct.pack("<I", len(body)) + body)
        (n,) = struct.unpack("<I", answers.read(4))
        print(answers.read(n).decode())
"#;

#[test]
fn the_length_prefixed_dialect_reads_the_token_from_meta() {
    let server = start(HttpConfig::default());
    let mut child = std::process::Command::new("python3")
        .args(["-c", LPJSON, &server.address])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|err| panic!("python3 is required: cannot run python3 ({err})"));
    let lines = "- util.whoami\nt-guessed util.whoami\nt-alice echo.whoami\nt-alice util.whoami\n";
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), lines.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{output:?}");
    let answers: Vec<Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let statuses: Vec<&Value> = answers[..3].iter().map(|a| &a["error"]["status"]).collect();
    assert_eq!(
        statuses,
        ["unauthenticated", "unauthenticated", "permission_denied"]
    );
    assert_eq!(
        answers[3]["result"],
        json!({"identity": "alice", "metadata": []})
    );
    assert_eq!(answers.len(), 4, "one connection served every case");
}

const PAGES: [&str; 5] = ["/metrics", "/status", "/status.json", "/rpcz", "/rpcz.json"];

/// Each page: 401 without a token, 403 for alice, 200 for `_pages.*` and for everything.
fn pages_follow_the_tokens(address: &str) {
    for page in PAGES {
        let url = format!("http://{address}{page}");
        let none = curl(NONE, &[&url]);
        assert_eq!(
            (none.status, challenge(&none)),
            (401, Some(r#"Bearer realm="ferry""#))
        );
        assert_eq!(curl(UNKNOWN, &[&url]).status, 401, "{page}");
        assert_eq!(curl(ALICE, &[&url]).status, 403, "{page}");
        assert_eq!(curl(Some("t-watcher"), &[&url]).status, 200, "{page}");
        assert_eq!(curl(Some("t-ops"), &[&url]).status, 200, "{page}");
    }
    let health = curl(NONE, &[&format!("http://{address}/healthz")]);
    assert_eq!(health.status, 200, "/healthz needs no token");
    let health = curl(UNKNOWN, &[&format!("http://{address}/healthz")]);
    assert_eq!(health.status, 200, "/healthz looks at no token");
}

#[test]
fn pages_need_a_token_and_healthz_none_on_the_main_port() {
    let server = start(HttpConfig::default());
    pages_follow_the_tokens(&server.address);
    let openapi = format!("http://{}/api/openapi.json", server.address);
    assert_eq!(curl(NONE, &[&openapi]).status, 401);
    let document = curl(Some("t-watcher"), &[&openapi]);
    assert_eq!(document.status, 200, "the listing is every identity's");
    assert!(document.json()["paths"].is_object());
}

#[test]
fn pages_on_their_own_listener_follow_the_same_tokens() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let address = runtime.block_on(async {
        let server = common::bind(router(), HttpConfig::default().pages(false)).await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let pages = ferry_http::serve_pages(listener, server.dispatcher(), HttpConfig::default());
        tokio::spawn(pages);
        tokio::spawn(server.run());
        address
    });
    pages_follow_the_tokens(&address);
    drop(runtime);
}

#[test]
fn files_over_http_are_granted_as_the_files_service() {
    let base = std::env::temp_dir().join(format!("ferry-http-auth-{}", std::process::id()));
    let _ = fs::remove_dir_all(&base);
    fs::create_dir_all(&base).unwrap();
    let root = Root::open(&base.join("root"), RootConfig::default()).expect("open the store");
    let source = base.join("source.txt");
    fs::write(&source, b"granted bytes").unwrap();
    let server = start(HttpConfig::default().files(root));
    let url = format!("http://{}/files/a.txt", server.address);
    // Without Expect: 100-continue, so the one response read is the answer.
    let upload = ["-H", "Expect:", "-T", source.to_str().unwrap(), &url];
    let put = |token| curl(token, &upload).status;
    assert_eq!(put(NONE), 401);
    assert_eq!(put(ALICE), 403);
    assert!(!base.join("root/a.txt").exists(), "a refused PUT landed");
    assert_eq!(put(Some("t-ops")), 201);
    assert_eq!(curl(NONE, &[&url]).status, 401);
    assert_eq!(curl(ALICE, &[&url]).status, 403);
    assert_eq!(curl(Some("t-ops"), &[&url]).text(), "granted bytes");
    fs::remove_dir_all(&base).unwrap();
}
