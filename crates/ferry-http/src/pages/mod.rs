//! The pages that show what a server is doing: `/metrics` (Prometheus), `/status` (the live
//! dashboard) and `/status.json` (its figures), `/rpcz` and `/rpcz.json` (recent calls).
//!
//! They are served on the main port unless [`HttpConfig::pages`](crate::HttpConfig::pages)
//! is off; [`serve_pages`] serves them (and `/healthz`) on a listener of their own, such as
//! one bound to loopback only. Every asset is in the binary: the pages need no network.

mod listener;
mod rpcz;
mod status;

use bytes::Bytes;
use ferry::{metrics::prometheus, server::Dispatcher};
use http::{HeaderValue, Method, StatusCode};
use serde_json::{json, Map, Value};

use crate::{respond, HttpConfig};

pub use listener::serve_pages;

/// The Prometheus exposition.
pub(crate) const METRICS: &str = "/metrics";
/// The dashboard.
pub(crate) const STATUS: &str = "/status";
/// The dashboard's figures.
pub(crate) const STATUS_JSON: &str = "/status.json";
/// The recent calls, as a page.
pub(crate) const RPCZ: &str = "/rpcz";
/// The recent calls, as JSON.
pub(crate) const RPCZ_JSON: &str = "/rpcz.json";

/// The methods every page answers.
pub(crate) const ALLOWED: [Method; 2] = [Method::GET, Method::HEAD];

/// Whether `path` is one of the pages.
pub(crate) fn is_page(path: &str) -> bool {
    [METRICS, STATUS, STATUS_JSON, RPCZ, RPCZ_JSON].contains(&path)
}

/// The pseudo method a page is granted as (a token line's `_pages.*` grants them all):
/// `_pages.metrics`, `_pages.status` (the dashboard and its figures) or `_pages.rpcz` (the
/// recent calls, either page).
pub(crate) fn method_of(path: &str) -> &'static str {
    match path {
        METRICS => "_pages.metrics",
        STATUS | STATUS_JSON => "_pages.status",
        _ => "_pages.rpcz",
    }
}

/// The answer to a `GET` of the page at `path`, one of [`is_page`]'s.
pub(crate) fn answer(
    path: &str,
    dispatcher: &Dispatcher,
    config: &HttpConfig,
) -> http::Response<Bytes> {
    match path {
        METRICS => metrics(dispatcher),
        STATUS => html(status::PAGE),
        STATUS_JSON => status_json(dispatcher, config),
        RPCZ => html(&rpcz::page(dispatcher.telemetry())),
        _ => respond::json_value(StatusCode::OK, &rpcz::json(dispatcher.telemetry())),
    }
}

fn metrics(dispatcher: &Dispatcher) -> http::Response<Bytes> {
    let mut text = String::with_capacity(64 * 1024);
    prometheus::render_server(dispatcher.telemetry(), dispatcher.stats(), &mut text);
    let content_type = HeaderValue::from_static(prometheus::CONTENT_TYPE);
    respond::with_type(StatusCode::OK, content_type, Bytes::from(text))
}

fn status_json(dispatcher: &Dispatcher, config: &HttpConfig) -> http::Response<Bytes> {
    let limits = limits(dispatcher, config);
    let services = dispatcher.router().services();
    let report = ferry::metrics::status::report(
        dispatcher.telemetry(),
        dispatcher.stats(),
        services,
        limits,
    );
    let value = serde_json::to_value(&report).unwrap_or(Value::Null);
    respond::json_value(StatusCode::OK, &value)
}

/// The limits in force on this port, by name, as `/status.json` lists them.
fn limits(dispatcher: &Dispatcher, config: &HttpConfig) -> Map<String, Value> {
    let server = dispatcher.config();
    let seconds = |d: std::time::Duration| d.as_secs_f64();
    let limits = json!({
        "max_frame_len": server.max_frame_len,
        "max_in_flight_per_connection": server.max_in_flight,
        "max_metadata_entries": server.max_metadata_entries,
        "max_metadata_len": server.max_metadata_len,
        "idle_timeout_seconds": server.idle_timeout.map(seconds),
        "drain_timeout_seconds": seconds(server.drain_timeout),
        "handshake_timeout_seconds": seconds(server.handshake_timeout),
        "max_connections": server.max_connections,
        "keepalive_seconds": server.keepalive.map(seconds),
        "tls_handshake_timeout_seconds": seconds(server.tls_handshake_timeout),
        "max_tls_handshakes": server.max_tls_handshakes,
        "tls_only": server.tls_only,
        "max_body_len": config.max_body_len,
        "max_header_len": config.max_header_len,
        "header_read_timeout_seconds": seconds(config.header_read_timeout),
        "body_read_timeout_seconds": seconds(config.body_read_timeout),
        "max_batch_len": config.max_batch_len,
        "http2_max_concurrent_streams": config.max_concurrent_streams,
    });
    match limits {
        Value::Object(limits) => limits,
        _ => Map::new(),
    }
}

fn html(page: &str) -> http::Response<Bytes> {
    let content_type = HeaderValue::from_static("text/html; charset=utf-8");
    respond::with_type(StatusCode::OK, content_type, Bytes::from(page.to_owned()))
}
