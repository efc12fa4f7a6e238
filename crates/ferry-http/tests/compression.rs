//! Content-Encoding both ways, with real clients: `curl --compressed` gets compressed JSON-RPC
//! and REST answers it decodes, Python's `xmlrpc.client` gets gzip, request bodies in gzip
//! (made by Python's `gzip` module) and zstd are decoded, and a gzip or zstd bomb is refused
//! 413 within the body limit while everyone else is served.

mod common;

use std::{io::Write, path::PathBuf};

use common::{curl, curl_ok, python, TestServer};
use ferry_http::{client::JsonRpcClient, HttpConfig};
use serde_json::{json, Value};

/// A string of `len` characters, as compressible as text usually is.
fn text(len: usize) -> String {
    "the quick brown ferry carries 42 calls; "
        .chars()
        .cycle()
        .take(len)
        .collect()
}

/// A file of the test's own under the temporary directory, removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str) -> TempFile {
        let path =
            std::env::temp_dir().join(format!("ferry-compression-{}-{name}", std::process::id()));
        TempFile(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().expect("a UTF-8 temporary path")
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// curl's answer to `args`: the body, then the `Content-Encoding` it came in, on a line of its
/// own.
fn curl_with_encoding(args: &[&str]) -> (String, String) {
    let mut all = vec!["-w", "\n%header{content-encoding}"];
    all.extend_from_slice(args);
    let out = String::from_utf8(curl_ok(&all)).expect("UTF-8");
    let (body, encoding) = out.rsplit_once('\n').expect("the -w line");
    (body.to_owned(), encoding.to_owned())
}

#[test]
fn curl_compressed_gets_compressed_answers_it_decodes_from_jsonrpc_and_rest() {
    let server = TestServer::start(HttpConfig::default());
    let long = text(8192);
    let call = json!({"jsonrpc": "2.0", "id": 1, "method": "echo.ping", "params": [long]});
    let url = format!("http://{}/jsonrpc", server.address);
    let call = call.to_string();
    let (body, encoding) = curl_with_encoding(&["--compressed", "-d", &call, &url]);
    assert_eq!(
        encoding, "zstd",
        "curl offers zstd, which the server prefers"
    );
    let answer: Value = serde_json::from_str(&body).expect("curl decoded the answer");
    assert_eq!(answer["result"], json!(long));
    // Without --compressed curl asks for nothing and gets the same answer as it is.
    let (plain, encoding) = curl_with_encoding(&["-d", &call, &url]);
    assert_eq!((plain, encoding.as_str()), (body, ""));

    let url = format!("http://{}/api/echo/ping", server.address);
    let args = json!([long]).to_string();
    let headers = [
        "-H",
        "content-type: application/json",
        "-H",
        "accept-encoding: gzip",
    ];
    let mut gzip_args = vec!["--compressed"];
    gzip_args.extend_from_slice(&headers);
    gzip_args.extend_from_slice(&["-d", &args, &url]);
    let (body, encoding) = curl_with_encoding(&gzip_args);
    assert_eq!(encoding, "gzip");
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap(), json!(long));
    // A short answer is not worth compressing.
    let (short, encoding) = curl_with_encoding(&[
        "--compressed",
        "-d",
        "[1, 2]",
        &format!("http://{}/api/calc/add", server.address),
    ]);
    assert_eq!((short.as_str(), encoding.as_str()), ("3", ""));
}

const XMLRPC_LONG: &str = r#"
import sys, xmlrpc.client
proxy = xmlrpc.client.ServerProxy("http://" + sys.argv[1] + "/RPC2")
text = "x" * 5000 + "y" * 5000
print(proxy.echo.ping(text) == text)
"#;

#[test]
fn python_xmlrpc_client_reads_a_gzip_answer() {
    let server = TestServer::start(HttpConfig::default());
    assert_eq!(python(XMLRPC_LONG, &server.address).trim(), "True");
}

const GZIP_REQUEST: &str = r#"
import gzip, json, sys
call = {"jsonrpc": "2.0", "id": 7, "method": "echo.ping", "params": ["gz" * 4000]}
open(sys.argv[1], "wb").write(gzip.compress(json.dumps(call).encode()))
"#;

#[test]
fn gzip_and_zstd_request_bodies_are_decoded() {
    let server = TestServer::start(HttpConfig::default());
    let file = TempFile::new("request.gz");
    python(GZIP_REQUEST, file.path());
    let url = format!("http://{}/jsonrpc", server.address);
    let data = format!("@{}", file.path());
    let (body, _) =
        curl_with_encoding(&["-H", "content-encoding: gzip", "--data-binary", &data, &url]);
    let answer: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(answer["result"], json!("gz".repeat(4000)));

    let rest = json!(["zs".repeat(3000)]).to_string();
    let zstd = zstd::bulk::compress(rest.as_bytes(), 3).unwrap();
    let headers = [
        ("content-type", "application/json"),
        ("content-encoding", "zstd"),
    ];
    let answer = server.request("POST", "/api/echo/ping", &headers, &zstd);
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert_eq!(answer.json(), json!("zs".repeat(3000)));

    let headers = [
        ("content-type", "application/json"),
        ("content-encoding", "br"),
    ];
    let refused = server.request("POST", "/api/calc/add", &headers, b"[1, 2]");
    assert_eq!(refused.status, 415, "{}", refused.text());
    assert!(refused.text().contains("\\\"br\\\""), "{}", refused.text());
    let headers = [
        ("content-type", "application/json"),
        ("content-encoding", "gzip"),
    ];
    let corrupt = server.request("POST", "/api/calc/add", &headers, b"[1, 2]");
    assert_eq!(corrupt.status, 400, "{}", corrupt.text());
    server.assert_serving();
}

/// 1 GiB of zeros gzipped in 1 MiB steps, about 1 MiB on disk.
const GZIP_BOMB: &str = r#"
import sys, zlib
packer = zlib.compressobj(9, zlib.DEFLATED, 31)
zeros = bytes(1 << 20)
with open(sys.argv[1], "wb") as out:
    for _ in range(1024):
        out.write(packer.compress(zeros))
    out.write(packer.flush())
"#;

/// The most memory this process has held at once, from /proc.
fn peak_memory() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let line = status
        .lines()
        .find(|line| line.starts_with("VmHWM:"))
        .expect("a VmHWM line");
    let kib: u64 = line
        .split_whitespace()
        .nth(1)
        .and_then(|kib| kib.parse().ok())
        .expect("VmHWM in kB");
    kib * 1024
}

#[test]
fn a_gzip_or_zstd_bomb_is_refused_413_and_others_are_served() {
    let server = TestServer::start(HttpConfig::default().max_body_len(4 << 20));
    let bomb = TempFile::new("bomb.gz");
    python(GZIP_BOMB, bomb.path());
    let size = std::fs::metadata(&bomb.0).unwrap().len();
    assert!(size < 2 << 20, "the bomb is {size} bytes");
    let before = peak_memory();
    let url = format!("http://{}/jsonrpc", server.address);
    let data = format!("@{}", bomb.path());
    let output = curl(&[
        "-H",
        "content-encoding: gzip",
        "--data-binary",
        &data,
        "-w",
        "\n%{http_code}",
        &url,
    ]);
    let out = String::from_utf8_lossy(&output.stdout);
    let (body, code) = out.rsplit_once('\n').expect("the -w line");
    assert_eq!(code, "413", "{body}");
    assert!(body.contains("4194304-byte limit"), "{body}");

    // A zstd bomb: 64 MiB of zeros in a few kilobytes, with no content size in its header.
    let mut encoder = zstd::stream::write::Encoder::new(Vec::new(), 3).unwrap();
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..64 {
        encoder.write_all(&zeros).unwrap();
    }
    let bomb = encoder.finish().unwrap();
    assert!(bomb.len() < 64 * 1024, "{}", bomb.len());
    let headers = [
        ("content-type", "application/json"),
        ("content-encoding", "zstd"),
    ];
    let refused = server.request("POST", "/api/echo/ping", &headers, &bomb);
    assert_eq!(refused.status, 413, "{}", refused.text());

    // Decoding stopped at the limit: the server grew by nowhere near what the bombs hold.
    let grown = peak_memory().saturating_sub(before);
    assert!(grown < 256 << 20, "peak memory grew {grown} bytes");
    server.assert_serving();
}

#[tokio::test]
async fn the_ferry_jsonrpc_client_decodes_a_compressed_answer_within_its_limit() {
    let server = TestServer::start(HttpConfig::default());
    let url = format!("http://{}/jsonrpc", server.address);
    let long = text(64 * 1024);
    let client = JsonRpcClient::new(&url).unwrap();
    let answer = client.call("echo.ping", vec![json!(long)]).await.unwrap();
    assert_eq!(answer, json!(long));
    // The limit holds for the decoded answer, not only for the bytes that came.
    let small = JsonRpcClient::new(&url)
        .unwrap()
        .with_max_response_len(16 * 1024);
    let refused = small
        .call("echo.ping", vec![json!(long)])
        .await
        .unwrap_err();
    assert_eq!(refused.status(), ferry::Status::TooLarge, "{refused}");
}
