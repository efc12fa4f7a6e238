//! Static files under `www`: content types, index.html, and every way out of the root refused.
//! Requests go over raw sockets so no client library normalises the paths.

mod common;

use std::{
    fs,
    os::unix::fs::symlink,
    path::{Path, PathBuf},
};

use common::{exchange, TestServer};
use ferry_http::HttpConfig;

/// What the file outside the root holds; no answer may contain it.
const SECRET: &str = "TOP-SECRET";

/// A directory tree for one test, removed when dropped:
///
/// ```text
/// DIR/www/        index.html style.css app.js data.json logo.png "with space.txt"
///                 sub/index.html sub/page.html empty/
///                 link-in -> style.css          (inside: served as the file it names)
///                 link-out -> ../secret/secret.txt, dir-out -> ../secret,
///                 link-evil -> ../www-evil/secret.txt   (outside: refused)
/// DIR/secret/secret.txt, DIR/www-evil/secret.txt
/// ```
struct Site {
    dir: PathBuf,
}

impl Site {
    fn new(name: &str) -> Site {
        let dir = std::env::temp_dir().join(format!("ferry-http-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let www = dir.join("www");
        for sub in ["www/sub", "www/empty", "secret", "www-evil"] {
            fs::create_dir_all(dir.join(sub)).expect("create the test tree");
        }
        let files: [(&str, &[u8]); 10] = [
            ("www/index.html", b"<h1>home</h1>"),
            ("www/style.css", b"body { margin: 0 }"),
            ("www/app.js", b"console.log(1)"),
            ("www/data.json", b"{\"a\": 1}"),
            ("www/logo.png", b"\x89PNG\r\n\x1a\n"),
            ("www/with space.txt", b"spaced"),
            ("www/sub/index.html", b"<h1>sub</h1>"),
            ("www/sub/page.html", b"<p>page</p>"),
            ("secret/secret.txt", SECRET.as_bytes()),
            ("www-evil/secret.txt", SECRET.as_bytes()),
        ];
        for (path, content) in files {
            fs::write(dir.join(path), content).expect("write a test file");
        }
        symlink("style.css", www.join("link-in")).expect("symlink");
        symlink("../secret/secret.txt", www.join("link-out")).expect("symlink");
        symlink("../secret", www.join("dir-out")).expect("symlink");
        symlink("../www-evil/secret.txt", www.join("link-evil")).expect("symlink");
        Site { dir }
    }

    fn www(&self) -> PathBuf {
        self.dir.join("www")
    }

    fn serve(&self) -> TestServer {
        TestServer::start(HttpConfig::default().www(self.www()))
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// `GET target` exactly as written.
fn get_raw(server: &TestServer, target: &str) -> common::Response {
    let raw = format!("GET {target} HTTP/1.1\r\nhost: ferry.test\r\nconnection: close\r\n\r\n");
    exchange(&server.address, raw.as_bytes())
}

#[test]
fn files_are_served_with_their_content_types() {
    let site = Site::new("types");
    let server = site.serve();
    let cases = [
        (
            "/index.html",
            "text/html; charset=utf-8",
            &b"<h1>home</h1>"[..],
        ),
        (
            "/style.css",
            "text/css; charset=utf-8",
            b"body { margin: 0 }",
        ),
        (
            "/app.js",
            "text/javascript; charset=utf-8",
            b"console.log(1)",
        ),
        (
            "/data.json",
            "application/json; charset=utf-8",
            b"{\"a\": 1}",
        ),
        ("/logo.png", "image/png", b"\x89PNG\r\n\x1a\n"),
        ("/with%20space.txt", "text/plain; charset=utf-8", b"spaced"),
        ("/sub/page.html", "text/html; charset=utf-8", b"<p>page</p>"),
        ("/link-in", "text/css; charset=utf-8", b"body { margin: 0 }"),
    ];
    for (path, content_type, body) in cases {
        let response = get_raw(&server, path);
        assert_eq!(response.status, 200, "{path}");
        assert_eq!(
            response.header("content-type"),
            Some(content_type),
            "{path}"
        );
        assert_eq!(response.body, body, "{path}");
        assert_eq!(
            response.header("content-length"),
            Some(body.len().to_string().as_str())
        );
    }
}

#[test]
fn directories_serve_their_index() {
    let site = Site::new("index");
    let server = site.serve();
    for (path, body) in [
        ("/", "<h1>home</h1>"),
        ("/sub/", "<h1>sub</h1>"),
        ("/sub", "<h1>sub</h1>"),
    ] {
        let response = get_raw(&server, path);
        assert_eq!(
            (response.status, response.text()),
            (200, body.to_owned()),
            "{path}"
        );
        assert_eq!(
            response.header("content-type"),
            Some("text/html; charset=utf-8")
        );
    }
    let empty = get_raw(&server, "/empty/");
    assert_eq!(
        (empty.status, empty.error_status()),
        (404, "unknown_method".to_owned())
    );
}

#[test]
fn head_has_the_headers_and_no_body() {
    let site = Site::new("head");
    let server = site.serve();
    let raw = b"HEAD /style.css HTTP/1.1\r\nhost: ferry.test\r\nconnection: close\r\n\r\n";
    let response = exchange(&server.address, raw);
    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-length"), Some("18"));
    assert!(response.body.is_empty());
}

#[test]
fn missing_files_are_json_404s_and_other_methods_405() {
    let site = Site::new("missing");
    let server = site.serve();
    let missing = get_raw(&server, "/nope.html");
    assert_eq!(missing.status, 404);
    assert_eq!(missing.header("content-type"), Some("application/json"));
    assert!(missing.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("/nope.html"));
    let post = server.request("POST", "/index.html", &[], b"x");
    assert_eq!(
        (post.status, post.header("allow")),
        (405, Some("GET, HEAD"))
    );
    let routes_first = server.get("/healthz");
    assert_eq!(
        routes_first.json()["status"],
        "ok",
        "the fixed routes win over files"
    );
}

#[test]
fn without_www_unknown_paths_are_json_404s() {
    let server = TestServer::start(HttpConfig::default());
    for path in ["/", "/index.html", "/../etc/passwd"] {
        let response = get_raw(&server, path);
        assert_eq!(response.status, 404, "{path}");
        assert_eq!(response.error_status(), "unknown_method");
    }
}

#[test]
fn every_traversal_attempt_is_refused() {
    let site = Site::new("traversal");
    let server = site.serve();
    let secret = site.dir.join("secret/secret.txt");
    let absolute = secret.to_str().expect("a UTF-8 temp path");
    let encoded_absolute = absolute.replace('/', "%2F");
    let attempts = [
        "/../secret/secret.txt".to_owned(),
        "/sub/../../secret/secret.txt".to_owned(),
        "/..%2fsecret%2fsecret.txt".to_owned(),
        "/%2e%2e/secret/secret.txt".to_owned(),
        "/%2E%2E%2Fsecret%2Fsecret.txt".to_owned(),
        "/.%2e/secret/secret.txt".to_owned(),
        "/%2e./secret/secret.txt".to_owned(),
        "/%252e%252e/secret/secret.txt".to_owned(),
        "/%252E%252E%252Fsecret%252Fsecret.txt".to_owned(),
        "/..\\secret\\secret.txt".to_owned(),
        "/%5c..%5csecret%5csecret.txt".to_owned(),
        "/..%5csecret%5csecret.txt".to_owned(),
        "/index.html%00.txt".to_owned(),
        "/%00/../secret/secret.txt".to_owned(),
        "//..//secret/secret.txt".to_owned(),
        format!("/{absolute}"),
        format!("/{encoded_absolute}"),
        absolute.to_owned(),
        "http://ferry.test/../secret/secret.txt".to_owned(),
        "/link-out".to_owned(),
        "/dir-out/secret.txt".to_owned(),
        "/dir-out/".to_owned(),
        "/link-evil".to_owned(),
        "/%ff%fe".to_owned(),
    ];
    for attempt in &attempts {
        let response = get_raw(&server, attempt);
        assert!(
            [400, 403, 404].contains(&response.status),
            "{attempt} answered {}",
            response.status
        );
        let body = String::from_utf8_lossy(&response.body);
        assert!(!body.contains(SECRET), "{attempt} leaked the secret");
    }
    server.assert_serving();
}

#[test]
fn refusals_say_why() {
    let site = Site::new("why");
    let server = site.serve();
    let climb = get_raw(&server, "/%2e%2e/secret/secret.txt");
    assert_eq!(
        (climb.status, climb.error_status()),
        (403, "permission_denied".to_owned())
    );
    let double = get_raw(&server, "/%252e%252e/secret/secret.txt");
    assert!(double.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("more than once"));
    let symlink_out = get_raw(&server, "/link-out");
    assert_eq!(symlink_out.status, 403);
    assert!(symlink_out.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("outside"));
}

#[test]
fn the_root_may_itself_be_reached_through_a_symlink() {
    let site = Site::new("linked-root");
    let linked = site.dir.join("linked-www");
    symlink(site.www(), &linked).expect("symlink the root");
    let server = TestServer::start(HttpConfig::default().www(&linked));
    assert_eq!(get_raw(&server, "/sub/page.html").text(), "<p>page</p>");
    assert_eq!(get_raw(&server, "/link-out").status, 403);
    assert!(Path::new(&linked).exists());
}
