//! The OpenAPI document against the live server it describes: every route answers the HTTP
//! methods the document lists for it and no others.

mod common;

use std::collections::BTreeSet;

use common::TestServer;
use ferry_http::HttpConfig;
use serde_json::Value;

/// Every method a caller might try on a path.
const PROBED: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"];

/// The OpenAPI document the server serves.
fn document(server: &TestServer) -> Value {
    let response = server.get("/api/openapi.json");
    assert_eq!(response.status, 200, "{}", response.text());
    response.json()
}

/// The HTTP methods the document lists for each path, uppercased.
fn documented(document: &Value) -> Vec<(String, BTreeSet<String>)> {
    let paths = document["paths"].as_object().expect("paths");
    paths
        .iter()
        .map(|(path, item)| {
            let item = item.as_object().expect("a path item");
            let methods = item.keys().map(|m| m.to_ascii_uppercase()).collect();
            (path.clone(), methods)
        })
        .collect()
}

#[test]
fn every_path_answers_exactly_the_methods_the_document_lists() {
    let server = TestServer::start(HttpConfig::default());
    let document = document(&server);
    let paths = documented(&document);
    assert!(paths.len() > 10, "{paths:?}");
    for (path, listed) in paths {
        let answered: BTreeSet<String> = PROBED
            .iter()
            .filter(|method| server.request(method, &path, &[], b"").status != 405)
            .map(|method| (*method).to_owned())
            .collect();
        assert_eq!(answered, listed, "{path}: answered against documented");
        let refused = server.request("PUT", &path, &[], b"");
        let allow: BTreeSet<String> = refused
            .header("allow")
            .unwrap_or_else(|| panic!("{path}: a 405 names what it allows"))
            .split(',')
            .map(|method| method.trim().to_owned())
            .collect();
        assert_eq!(allow, listed, "{path}: Allow against documented");
    }
}
