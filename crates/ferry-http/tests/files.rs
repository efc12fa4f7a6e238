//! The file store over HTTP, driven by real curl and Python clients and by raw sockets (for
//! paths no client library would send as written): uploads, resumed and ranged downloads,
//! conditional requests, escapes and the size limit.

mod common;

use std::{
    fs,
    os::unix::fs::symlink,
    path::{Path, PathBuf},
};

use common::{curl_ok, exchange, python, TestServer};
use ferry_files::{Root, RootConfig};
use ferry_http::HttpConfig;
use serde_json::Value;

/// `BASE/root/` served under `/files/`, and `BASE/outside/`, which must stay as made.
struct Store {
    base: PathBuf,
    server: TestServer,
}

impl Store {
    fn start(name: &str, config: RootConfig) -> Store {
        let base =
            std::env::temp_dir().join(format!("ferry-http-files-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&base);
        fs::create_dir_all(base.join("outside")).unwrap();
        fs::write(base.join("outside/secret.txt"), b"TOP-SECRET").unwrap();
        let root = Root::open(&base.join("root"), config).expect("open the store");
        let server = TestServer::start(HttpConfig::default().files(root));
        Store { base, server }
    }

    fn root(&self) -> PathBuf {
        self.base.join("root")
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}/files/{path}", self.server.address)
    }

    fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.base.join(name);
        fs::write(&path, bytes).unwrap();
        path
    }

    fn outside_is_untouched(&self) {
        assert_eq!(names(&self.base.join("outside")), ["secret.txt"]);
        assert_eq!(
            fs::read(self.base.join("outside/secret.txt")).unwrap(),
            b"TOP-SECRET"
        );
    }

    fn partial_is_empty(&self) {
        let left = names(&self.root().join(".partial"));
        assert!(left.is_empty(), "partial files left: {left:?}");
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.base);
    }
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

/// `-w '%{http_code}'` appended: the HTTP status and the body before it.
fn curl_status(args: &[&str]) -> (u16, Value) {
    let mut args = args.to_vec();
    args.extend(["-w", "\n%{http_code}"]);
    let stdout = String::from_utf8(curl_ok(&args)).unwrap();
    let (body, code) = stdout.rsplit_once('\n').unwrap();
    let body = serde_json::from_str(body).unwrap_or(Value::Null);
    (code.parse().unwrap(), body)
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len)
        .map(|at| (at % 251) as u8 ^ (at >> 12) as u8)
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}

#[test]
fn curl_uploads_a_multi_megabyte_file_that_lands_whole_with_its_hash() {
    let store = Store::start("put", RootConfig::default());
    let bytes = pattern(5 * 1024 * 1024 + 3);
    let local = store.file("local.bin", &bytes);
    let local = local.to_str().unwrap();
    let (status, answer) = curl_status(&["-T", local, &store.url("in/big.bin")]);
    assert_eq!(status, 201, "{answer}");
    assert_eq!(answer["path"], "in/big.bin");
    assert_eq!(answer["bytes"], bytes.len());
    assert_eq!(answer["blake3"], hex(&bytes));
    assert_eq!(fs::read(store.root().join("in/big.bin")).unwrap(), bytes);

    let smaller = store.file("small.bin", b"replaced");
    let (status, answer) =
        curl_status(&["-T", smaller.to_str().unwrap(), &store.url("in/big.bin")]);
    assert_eq!((status, answer["bytes"].as_u64()), (200, Some(8)));
    assert_eq!(
        fs::read(store.root().join("in/big.bin")).unwrap(),
        b"replaced"
    );
    store.partial_is_empty();
}

#[test]
fn an_upload_checked_against_a_wrong_hash_lands_nothing() {
    let store = Store::start("put-hash", RootConfig::default());
    let local = store.file("local.bin", &pattern(100_000));
    let local = local.to_str().unwrap();
    let wrong = format!("x-ferry-blake3: {}", hex(b"another file"));
    let (status, answer) = curl_status(&["-T", local, "-H", &wrong, &store.url("h.bin")]);
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["error"]["status"], "invalid_args");
    assert!(answer["error"]["message"]
        .as_str()
        .unwrap()
        .contains(&hex(b"another file")));
    assert!(!store.root().join("h.bin").exists());
    store.partial_is_empty();

    let right = format!("x-ferry-blake3: {}", hex(&pattern(100_000)).to_uppercase());
    let (status, _) = curl_status(&["-T", local, "-H", &right, &store.url("h.bin")]);
    assert_eq!(status, 201);
}

#[test]
fn a_put_over_the_size_limit_is_413_and_lands_nothing() {
    let store = Store::start(
        "put-limit",
        RootConfig::default().max_file_size(1024 * 1024),
    );
    let local = store.file("local.bin", &pattern(1024 * 1024 + 1));
    let local = local.to_str().unwrap();
    let (status, answer) = curl_status(&["-T", local, &store.url("big.bin")]);
    assert_eq!(status, 413, "{answer}");
    assert_eq!(answer["error"]["status"], "too_large");
    // Chunked: no length announced, so the limit is met while streaming.
    let (status, answer) = curl_status(&[
        "-T",
        local,
        "-H",
        "transfer-encoding: chunked",
        &store.url("big.bin"),
    ]);
    assert_eq!(status, 413, "{answer}");
    assert!(!store.root().join("big.bin").exists());
    store.partial_is_empty();
    let fits = store.file("fits.bin", &pattern(1024 * 1024));
    let (status, _) = curl_status(&["-T", fits.to_str().unwrap(), &store.url("big.bin")]);
    assert_eq!(status, 201);
}

#[test]
fn curl_resumes_a_download_from_the_prefix_it_holds() {
    let store = Store::start("resume", RootConfig::default());
    let bytes = pattern(3 * 1024 * 1024 + 11);
    fs::write(store.root().join("dl.bin"), &bytes).unwrap();
    let out = store.file("out.bin", &bytes[..1_000_000]);
    let out = out.to_str().unwrap();
    let head = curl_ok(&["-C", "-", "-o", out, "-D", "-", &store.url("dl.bin")]);
    let head = String::from_utf8(head).unwrap();
    assert!(head.starts_with("HTTP/1.1 206"), "{head}");
    let range = format!(
        "content-range: bytes 1000000-{}/{}",
        bytes.len() - 1,
        bytes.len()
    );
    assert!(head.to_ascii_lowercase().contains(&range), "{head}");
    assert_eq!(fs::read(out).unwrap(), bytes);
}

#[test]
fn ranges_heads_and_etags_follow_the_file() {
    let store = Store::start("ranges", RootConfig::default());
    let bytes = pattern(1000);
    fs::write(store.root().join("r.bin"), &bytes).unwrap();
    let server = &store.server;
    let tag = format!("\"{}\"", hex(&bytes));

    let whole = server.get("/files/r.bin");
    assert_eq!(
        (whole.status, whole.body.as_slice()),
        (200, bytes.as_slice())
    );
    assert_eq!(whole.header("etag"), Some(tag.as_str()));
    assert_eq!(whole.header("accept-ranges"), Some("bytes"));
    assert_eq!(
        whole.header("content-type"),
        Some("application/octet-stream")
    );
    assert!(whole
        .header("last-modified")
        .is_some_and(|date| date.ends_with(" GMT")));

    let part = server.request("GET", "/files/r.bin", &[("range", "bytes=10-19")], b"");
    assert_eq!((part.status, part.body.as_slice()), (206, &bytes[10..20]));
    assert_eq!(part.header("content-range"), Some("bytes 10-19/1000"));
    let tail = server.request("GET", "/files/r.bin", &[("range", "bytes=990-")], b"");
    assert_eq!((tail.status, tail.body.as_slice()), (206, &bytes[990..]));
    let suffix = server.request("GET", "/files/r.bin", &[("range", "bytes=-5")], b"");
    assert_eq!(suffix.body, &bytes[995..]);

    let past = server.request("GET", "/files/r.bin", &[("range", "bytes=1000-")], b"");
    assert_eq!(past.status, 416);
    assert_eq!(past.header("content-range"), Some("bytes */1000"));
    assert_eq!(past.error_status(), "invalid_args");

    let stale = [("range", "bytes=10-19"), ("if-range", "\"old\"")];
    let full = server.request("GET", "/files/r.bin", &stale, b"");
    assert_eq!((full.status, full.body.len()), (200, 1000));

    let head = server.request("HEAD", "/files/r.bin", &[], b"");
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-length"), Some("1000"));
    assert_eq!(head.header("etag"), Some(tag.as_str()));
    assert!(head.body.is_empty());

    let unchanged = server.request("GET", "/files/r.bin", &[("if-none-match", &tag)], b"");
    assert_eq!((unchanged.status, unchanged.body.len()), (304, 0));
}

#[test]
fn missing_files_directories_and_other_methods_get_json_answers() {
    let store = Store::start("answers", RootConfig::default());
    fs::create_dir_all(store.root().join("d/e")).unwrap();
    fs::write(store.root().join("d/f.txt"), b"f").unwrap();
    let server = &store.server;

    let missing = server.get("/files/nope.txt");
    assert_eq!(
        (missing.status, missing.error_status()),
        (404, "not_found".to_owned())
    );
    let listing = server.get("/files/d/").json();
    assert_eq!(listing["path"], "d");
    let names: Vec<&str> = listing["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["e", "f.txt"]);
    let root = server.get("/files/").json();
    assert_eq!(
        root["entries"].as_array().unwrap().len(),
        1,
        "no .partial: {root}"
    );

    let delete = server.request("DELETE", "/files/d/f.txt", &[], b"");
    assert_eq!(delete.status, 405);
    assert_eq!(delete.header("allow"), Some("GET, HEAD, PUT"));
    let onto_dir = server.request("PUT", "/files/d/e", &[], b"x");
    assert_eq!(
        (onto_dir.status, onto_dir.error_status()),
        (400, "invalid_args".to_owned())
    );
}

#[test]
fn every_way_out_of_the_root_is_403_and_nothing_is_written_outside() {
    let store = Store::start("escapes", RootConfig::default());
    symlink(store.base.join("outside"), store.root().join("dir-out")).unwrap();
    symlink(
        store.base.join("outside/secret.txt"),
        store.root().join("file-out"),
    )
    .unwrap();
    let server = &store.server;
    let escapes = [
        "/files/../outside/secret.txt",
        "/files/%2e%2e/outside/secret.txt",
        "/files/%2E%2E%2Foutside%2Fsecret.txt",
        "/files/a/%2e%2e/%2e%2e/outside/secret.txt",
        "/files//etc/passwd",
        "/files/dir-out/secret.txt",
        "/files/file-out",
        "/files/.partial/",
        "/files/a%00b",
    ];
    for path in escapes {
        let read = server.get(path);
        assert_eq!(
            (read.status, read.error_status()),
            (403, "permission_denied".to_owned()),
            "GET {path}"
        );
        assert!(!read.text().contains("TOP-SECRET"), "GET {path}");
        let write = server.request("PUT", &path.replace("secret.txt", "new.txt"), &[], b"pwned");
        assert_eq!(write.status, 403, "PUT {path}");
    }
    let (status, answer) = curl_status(&["--path-as-is", &store.url("../outside/secret.txt")]);
    assert_eq!(status, 403, "{answer}");
    let local = store.file("up.txt", b"pwned");
    let up = [
        "--path-as-is",
        "-T",
        local.to_str().unwrap(),
        &store.url("../outside/up.txt"),
    ];
    assert_eq!(curl_status(&up).0, 403);
    let through_link = store.url("dir-out/up.txt");
    assert_eq!(
        curl_status(&["-T", local.to_str().unwrap(), &through_link]).0,
        403
    );
    store.outside_is_untouched();
    store.partial_is_empty();
}

#[test]
fn a_body_cut_short_lands_nothing() {
    let store = Store::start("cut", RootConfig::default());
    let mut socket = common::connect(&store.server.address);
    let head = "PUT /files/cut.bin HTTP/1.1\r\nhost: t\r\ncontent-length: 100000\r\n\r\n";
    std::io::Write::write_all(&mut socket, head.as_bytes()).unwrap();
    std::io::Write::write_all(&mut socket, &pattern(50_000)).unwrap();
    common::finish_sending(&socket);
    let answer = common::parse(&common::await_close(&mut socket));
    assert_eq!(
        (answer.status, answer.error_status()),
        (400, "protocol".to_owned())
    );
    assert!(!store.root().join("cut.bin").exists());
    store.partial_is_empty();
}

#[test]
fn python_urllib_reads_and_writes_files() {
    let store = Store::start("python", RootConfig::default());
    let script = r#"
import hashlib, json, sys, urllib.request
base = sys.argv[1]
body = bytes(range(256)) * 4096
put = urllib.request.Request(base + "/files/py/data.bin", data=body, method="PUT")
answer = json.load(urllib.request.urlopen(put))
with urllib.request.urlopen(base + "/files/py/data.bin") as got:
    print(answer["bytes"], got.read() == body, got.headers["ETag"] == '"%s"' % answer["blake3"])
"#;
    let printed = python(script, &format!("http://{}", store.server.address));
    assert_eq!(printed.trim(), "1048576 True True");
    let landed = fs::read(store.root().join("py/data.bin")).unwrap();
    assert_eq!(landed.len(), 1_048_576);
}

#[test]
fn without_a_store_the_files_routes_do_not_exist() {
    let server = TestServer::start(HttpConfig::default());
    let answer = server.get("/files/x");
    assert_eq!(
        (answer.status, answer.error_status()),
        (404, "unknown_method".to_owned())
    );
    let raw =
        b"PUT /files/x HTTP/1.1\r\nhost: t\r\nconnection: close\r\ncontent-length: 1\r\n\r\nx";
    assert_eq!(exchange(&server.address, raw).status, 404);
}
