//! The OpenAPI document against the live server it describes (the demo services): every route
//! answers the HTTP methods the document lists for it and no others, and for every operation,
//! arguments generated from its schemas (integers, integral floats, strings, booleans, base64
//! bytes, optional parameters left out) are answered with a status the operation lists and a
//! body of the type it describes, and never refused as not fitting the parameters.

mod common;

mod generate;

use std::{cell::Cell, collections::BTreeSet};

use common::TestServer;
use ferry_http::HttpConfig;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::Value;

use generate::{matches, Request};

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

/// Cases per operation: enough to meet every kind of argument, few enough to run in seconds.
const CASES: u32 = 64;

#[test]
fn every_operation_answers_generated_arguments_as_documented() {
    let server = TestServer::start_with(ferry_demo::router(), HttpConfig::default());
    let document = document(&server);
    let mut checked = 0;
    for (path, item) in document["paths"].as_object().expect("paths") {
        if !path.starts_with("/api/") || path == "/api/openapi.json" {
            continue;
        }
        for (method, operation) in item.as_object().expect("a path item") {
            let strategy = generate::request(&document, path, method, operation);
            let config = Config {
                cases: CASES,
                failure_persistence: None,
                ..Config::default()
            };
            let mut runner = TestRunner::new(config);
            let answered = Cell::new(0);
            let outcome = runner.run(&strategy, |request| {
                let status = answer(&server, &document, operation, &request)?;
                answered.set(answered.get() + u32::from(status == 200));
                Ok(())
            });
            if let Err(failure) = outcome {
                panic!("{} {path}: {failure}", method.to_ascii_uppercase());
            }
            let method = method.to_ascii_uppercase();
            assert!(
                answered.get() > 0,
                "{method} {path}: no generated call was answered 200"
            );
            checked += 1;
        }
    }
    assert!(checked > 15, "only {checked} operations were checked");
}

/// Sends `request` and checks its answer against `operation`'s responses; the status.
fn answer(
    server: &TestServer,
    document: &Value,
    operation: &Value,
    request: &Request,
) -> Result<u16, TestCaseError> {
    let headers = [
        ("content-type", request.content_type),
        ("x-ferry-timeout", "20"),
    ];
    let response = server.request(&request.method, &request.target, &headers, &request.body);
    let body = match response.header("transfer-encoding") {
        Some("chunked") => generate::dechunk(&response.body),
        _ => response.body.clone(),
    };
    let text = String::from_utf8_lossy(&body).into_owned();
    let status = response.status.to_string();
    let described = &operation["responses"][&status];
    proptest::prop_assert!(
        described.is_object(),
        "{} {} answered {status}, which the document does not list: {text}",
        request.method,
        request.target
    );
    proptest::prop_assert!(
        !text.contains("do not fit its parameters"),
        "arguments the schema allows were refused: {} {} {:?}: {text}",
        request.method,
        request.target,
        String::from_utf8_lossy(&request.body)
    );
    let content = &described["content"];
    if let Some(items) = content
        .get("application/x-ndjson")
        .filter(|_| status == "200")
    {
        let lines: Vec<&str> = text.lines().collect();
        for (at, line) in lines.iter().enumerate() {
            let item: Value = serde_json::from_str(line).map_err(|err| {
                TestCaseError::fail(format!("line {at} is not JSON ({err}): {text}"))
            })?;
            let last_error = at + 1 == lines.len() && item.get("error").is_some();
            let fits = last_error || matches(document, &items["schema"], &item);
            proptest::prop_assert!(fits, "line {at} is not an item of the stream: {text}");
        }
    } else if let Some(json) = content.get("application/json") {
        let value: Value = serde_json::from_str(&text)
            .map_err(|err| TestCaseError::fail(format!("{status} is not JSON ({err}): {text}")))?;
        proptest::prop_assert!(
            matches(document, &json["schema"], &value),
            "{status} does not match {}: {text}",
            json["schema"]
        );
    }
    Ok(response.status)
}
