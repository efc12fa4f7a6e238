//! TLS on the one port, with certificates the test makes: every dialect inside TLS and beside
//! it in plaintext, HTTP/2 by ALPN and by prior knowledge, Python's `xmlrpc.client` and curl
//! over https, mTLS refusals (no, expired and wrong-CA client certificates), a TLS-only port,
//! and the handshake's slot and deadline.

mod common;

use std::{
    io::{Read, Write},
    net::TcpStream,
    time::Duration,
};

use common::{certs::Certs, curl, curl_ok, python, TestServer, PATIENCE};
use ferry::{with_context, CallOptions, Client, ClientConfig, Context, Router};
use ferry_http::HttpConfig;
use serde_json::Value;

/// The demo services and `test.whoami`: the caller's verified certificate identity.
fn router() -> Router {
    common::router().function(
        "test.whoami",
        [],
        with_context(|ctx: Context| async move {
            ctx.peer().tls_identity().unwrap_or("nobody").to_owned()
        }),
    )
}

fn start(tls: rustls::ServerConfig, limits: ferry::ServerConfig) -> TestServer {
    TestServer::start_full(router(), HttpConfig::default(), limits, Some(tls))
}

fn port(server: &TestServer) -> &str {
    server.address.rsplit_once(':').expect("HOST:PORT").1
}

/// curl over https to `localhost`, resolved to the test server, trusting the test CA.
fn https(certs: &Certs, server: &TestServer, extra: &[&str], path: &str) -> std::process::Output {
    let port = port(server);
    let resolve = format!("localhost:{port}:127.0.0.1");
    let url = format!("https://localhost:{port}{path}");
    let ca = certs.ca.cert_file.to_str().expect("a UTF-8 path");
    let mut args = vec!["--cacert", ca, "--resolve", &resolve];
    args.extend_from_slice(extra);
    args.push(&url);
    curl(&args)
}

fn text(output: &std::process::Output) -> String {
    assert!(output.status.success(), "curl failed: {output:?}");
    String::from_utf8(output.stdout.clone()).expect("UTF-8")
}

async fn native_call(address: &str, config: ClientConfig) -> Result<i64, String> {
    let client = Client::connect_with(address, config)
        .await
        .map_err(|err| err.to_string())?;
    client
        .call("calc.add", &(2, 3), &CallOptions::default())
        .await
        .map_err(|err| err.to_string())
}

async fn whoami(address: &str, config: ClientConfig) -> Result<String, String> {
    let client = Client::connect_with(address, config)
        .await
        .map_err(|err| err.to_string())?;
    let no_args: [(); 0] = [];
    client
        .call("test.whoami", &no_args, &CallOptions::default())
        .await
        .map_err(|err| err.to_string())
}

const JSONRPC_ADD: &str = r#"{"jsonrpc":"2.0","method":"calc.add","params":[2,3],"id":1}"#;

#[tokio::test]
async fn every_dialect_answers_inside_tls_and_in_plaintext_on_one_port() {
    let certs = Certs::new("tls-dialects");
    let server = start(certs.server_tls(), ferry::ServerConfig::default());
    let tls_address = format!("tls://localhost:{}", port(&server));
    let tls = ClientConfig::default().tls(certs.client_tls(None));
    assert_eq!(native_call(&tls_address, tls.clone()).await, Ok(5));
    assert_eq!(
        native_call(&server.address, ClientConfig::default()).await,
        Ok(5)
    );
    assert_eq!(whoami(&tls_address, tls).await.as_deref(), Ok("nobody"));

    let jsonrpc = text(&https(&certs, &server, &["-d", JSONRPC_ADD], "/jsonrpc"));
    assert_eq!(
        serde_json::from_str::<Value>(&jsonrpc).unwrap()["result"],
        5
    );
    let rest = text(&https(&certs, &server, &["-d", "[2,3]"], "/api/calc/add"));
    assert_eq!(rest, "5");
    let plain = curl_ok(&[
        "-d",
        "[2,3]",
        &format!("http://{}/api/calc/add", server.address),
    ]);
    assert_eq!(plain, b"5");

    let ca = certs.ca.cert_file.to_str().unwrap();
    let xmlrpc = python(
        XMLRPC_OVER_HTTPS,
        &format!("localhost:{} {ca}", port(&server)),
    );
    assert_eq!(xmlrpc.trim(), "5 5");
    let lpjson = python(
        LPJSON_OVER_TLS,
        &format!("localhost:{} {ca}", port(&server)),
    );
    assert_eq!(serde_json::from_str::<Value>(&lpjson).unwrap()["result"], 5);
    let lpjson_plain = python(LPJSON_OVER_TLS, &format!("{} -", server.address));
    assert_eq!(
        serde_json::from_str::<Value>(&lpjson_plain).unwrap()["result"],
        5
    );
}

/// Python's standard library, over https with a context trusting the test CA, and over plain
/// http on the same port. argv[1]: `HOST:PORT CAFILE`.
const XMLRPC_OVER_HTTPS: &str = r#"
import ssl, sys, xmlrpc.client
address, cafile = sys.argv[1].split(" ")
context = ssl.create_default_context(cafile=cafile)
secure = xmlrpc.client.ServerProxy(f"https://{address}/RPC2", context=context)
port = address.rsplit(":", 1)[1]
plain = xmlrpc.client.ServerProxy(f"http://127.0.0.1:{port}/RPC2")
print(secure.calc.add(2, 3), plain.calc.add(2, 3))
"#;

/// One length-prefixed JSON call, inside TLS unless CAFILE is `-`. argv[1]: `HOST:PORT CAFILE`.
const LPJSON_OVER_TLS: &str = r#"
import json, socket, ssl, struct, sys
address, cafile = sys.argv[1].split(" ")
host, port = address.rsplit(":", 1)
raw = socket.create_connection((host, int(port)), timeout=20)
s = raw if cafile == "-" else ssl.create_default_context(cafile=cafile).wrap_socket(raw, server_hostname=host)
body = json.dumps({"in": "calc.add", "params": [2, 3]}).encode()
s.sendall(struct.pack("<I", len(body)) + body)
def exactly(n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            raise SystemExit("the server closed the connection")
        data += chunk
    return data
(n,) = struct.unpack("<I", exactly(4))
print(exactly(n).decode())
"#;

#[test]
fn http2_is_spoken_by_alpn_inside_tls_and_by_prior_knowledge_in_plaintext() {
    let certs = Certs::new("tls-h2");
    let server = start(certs.server_tls(), ferry::ServerConfig::default());
    let version = ["-w", " %{http_version}", "-d", "[2,3]"];
    let by_alpn = text(&https(
        &certs,
        &server,
        &[&["--http2"], &version[..]].concat(),
        "/api/calc/add",
    ));
    assert_eq!(by_alpn, "5 2");
    let http11 = text(&https(
        &certs,
        &server,
        &[&["--http1.1"], &version[..]].concat(),
        "/api/calc/add",
    ));
    assert_eq!(http11, "5 1.1");
    let url = format!("http://{}/jsonrpc", server.address);
    let prior = curl_ok(&[
        "--http2-prior-knowledge",
        "-w",
        " %{http_version}",
        "-d",
        JSONRPC_ADD,
        &url,
    ]);
    let prior = String::from_utf8(prior).unwrap();
    let (body, version) = prior.rsplit_once(' ').unwrap();
    assert_eq!(
        (
            serde_json::from_str::<Value>(body).unwrap()["result"].clone(),
            version
        ),
        (Value::from(5), "2")
    );
    server.assert_serving();
}

#[tokio::test]
async fn mtls_refuses_every_handshake_without_a_valid_client_certificate() {
    let certs = Certs::new("mtls");
    let server = start(certs.mtls(), ferry::ServerConfig::default());
    let address = format!("tls://localhost:{}", port(&server));
    let with = |identity| ClientConfig::default().tls(certs.client_tls(identity));

    assert_eq!(
        whoami(&address, with(Some(&certs.client))).await.as_deref(),
        Ok("billing-worker")
    );
    for refused in [
        None,
        Some(&certs.expired_client),
        Some(&certs.stranger_client),
    ] {
        let outcome = native_call(&address, with(refused)).await;
        assert!(
            outcome.is_err(),
            "a native client with {:?} was let in",
            refused.map(|c| &c.cert_file)
        );
    }

    let good = [
        "--cert",
        certs.client.cert_file.to_str().unwrap(),
        "--key",
        certs.client.key_file.to_str().unwrap(),
    ];
    let healthy = text(&https(&certs, &server, &good, "/healthz"));
    assert_eq!(healthy, r#"{"status":"ok"}"#);
    for issued in [&certs.expired_client, &certs.stranger_client] {
        let args = [
            "--cert",
            issued.cert_file.to_str().unwrap(),
            "--key",
            issued.key_file.to_str().unwrap(),
        ];
        let refused = https(&certs, &server, &args, "/healthz");
        assert!(
            !refused.status.success(),
            "{:?} reached /healthz: {refused:?}",
            issued.cert_file
        );
    }
    let without = https(&certs, &server, &[], "/healthz");
    assert!(
        !without.status.success(),
        "no certificate reached /healthz: {without:?}"
    );

    let ca = certs.ca.cert_file.to_str().unwrap();
    let client = format!(
        "{} {}",
        certs.client.cert_file.display(),
        certs.client.key_file.display()
    );
    let xmlrpc = python(
        XMLRPC_WITH_CERTIFICATE,
        &format!("localhost:{} {ca} {client}", port(&server)),
    );
    assert_eq!(xmlrpc.trim(), "billing-worker");
    assert!(
        server.stats.protocol_errors() >= 6,
        "each refused handshake is counted"
    );
}

/// xmlrpc.client showing a client certificate. argv[1]: `HOST:PORT CAFILE CERT KEY`.
const XMLRPC_WITH_CERTIFICATE: &str = r#"
import ssl, sys, xmlrpc.client
address, cafile, cert, key = sys.argv[1].split(" ")
context = ssl.create_default_context(cafile=cafile)
context.load_cert_chain(cert, key)
print(xmlrpc.client.ServerProxy(f"https://{address}/RPC2", context=context).test.whoami())
"#;

#[tokio::test]
async fn a_tls_only_port_refuses_plaintext_and_tells_http_to_use_https() {
    let certs = Certs::new("tls-only");
    let server = start(
        certs.server_tls(),
        ferry::ServerConfig::default().tls_only(true),
    );
    let refused = server.request("POST", "/api/calc/add", &[], b"[2,3]");
    assert_eq!(refused.status, 400);
    assert!(refused.text().contains("TLS only"), "{}", refused.text());
    let native = native_call(&server.address, ClientConfig::default()).await;
    assert!(
        native.as_ref().is_err_and(|err| err.contains("TLS only")),
        "{native:?}"
    );
    let lpjson = python(LPJSON_OVER_TLS, &format!("{} -", server.address));
    assert!(lpjson.contains("TLS only"), "{lpjson}");
    let tls = ClientConfig::default().tls(certs.client_tls(None));
    assert_eq!(
        native_call(&format!("tls://localhost:{}", port(&server)), tls).await,
        Ok(5)
    );
}

#[tokio::test]
async fn a_client_hello_still_arriving_holds_no_handshake_slot_and_a_stalled_handshake_is_cut_off()
{
    let certs = Certs::new("tls-slots");
    let limits = ferry::ServerConfig::default().tls_handshakes(Duration::from_secs(1), 1);
    let server = start(certs.server_tls(), limits);
    let hello = certs.client_hello();

    let mut trickling = TcpStream::connect(&server.address).unwrap();
    trickling.write_all(&hello[..hello.len() / 2]).unwrap();
    let tls = ClientConfig::default().tls(certs.client_tls(None));
    let address = format!("tls://localhost:{}", port(&server));
    assert_eq!(
        native_call(&address, tls.clone()).await,
        Ok(5),
        "the one slot was free"
    );

    let mut stalled = TcpStream::connect(&server.address).unwrap();
    stalled.set_read_timeout(Some(PATIENCE)).unwrap();
    stalled.write_all(&hello).unwrap();
    let mut answer = Vec::new();
    let ended = stalled.read_to_end(&mut answer);
    assert!(
        ended.is_ok(),
        "the server ends a handshake that stops: {ended:?}"
    );
    assert!(
        !answer.is_empty(),
        "the server answered the ClientHello before giving up"
    );
    assert_eq!(
        native_call(&address, tls).await,
        Ok(5),
        "the slot is free again"
    );
    drop(trickling);
}

#[test]
fn an_http_method_the_server_does_not_serve_is_answered_not_dropped() {
    let certs = Certs::new("tls-query");
    let server = start(certs.server_tls(), ferry::ServerConfig::default());
    for path in ["/api/calc/add", "/jsonrpc", "/RPC2"] {
        let json = [("content-type", "application/json")];
        let answer = server.request("QUERY", path, &json, b"[2,3]");
        assert!(
            matches!(answer.status, 405 | 501),
            "QUERY {path}: {}",
            answer.status
        );
    }
    let elsewhere = server.request("QUERY", "/nowhere", &[], b"");
    assert_eq!(elsewhere.status, 404, "no route, whatever the method");
    server.assert_serving();
}

#[tokio::test]
async fn a_verified_certificate_is_an_identity_the_token_file_grants_by_name() {
    let certs = Certs::new("mtls-auth");
    let tokens = ferry::auth::Tokens::parse("cert:billing-worker billing calc.*\n").unwrap();
    let router = router()
        .function(
            "test.caller",
            [],
            with_context(|ctx: Context| async move {
                ctx.identity()
                    .map_or("nobody".to_owned(), |id| id.name().to_owned())
            }),
        )
        .auth(ferry::auth::Auth::new(tokens));
    let server = TestServer::start_full(
        router,
        HttpConfig::default(),
        ferry::ServerConfig::default(),
        Some(certs.mtls()),
    );
    let address = format!("tls://localhost:{}", port(&server));
    let config = ClientConfig::default().tls(certs.client_tls(Some(&certs.client)));
    assert_eq!(
        native_call(&address, config.clone()).await,
        Ok(5),
        "calc.* is granted"
    );
    let client = Client::connect_with(address.as_str(), config)
        .await
        .unwrap();
    let no_args: [(); 0] = [];
    let refused = client
        .call::<_, String>("test.caller", &no_args, &CallOptions::default())
        .await
        .expect_err("test.* is not granted");
    assert_eq!(
        refused.status(),
        ferry::Status::PermissionDenied,
        "{refused}"
    );
    let plaintext = native_call(&server.address, ClientConfig::default()).await;
    assert!(
        plaintext
            .as_ref()
            .is_err_and(|err| err.contains("unauthenticated")),
        "plaintext has no certificate: {plaintext:?}"
    );
}
