//! OpenTelemetry export (the `otel` feature): `ferry serve --otlp-endpoint` posts each call's
//! span, in the caller's trace, to a collector over OTLP/HTTP and sends the last ones when it
//! stops; and a server's span is the parent of the spans of the servers its handler calls.
#![cfg(feature = "otel")]

mod common;

use std::{
    collections::HashMap,
    io::{BufRead, BufReader, Read, Write},
    net::{TcpListener, TcpStream},
    sync::{Arc, Mutex},
};

use common::{stderr, stdout, Served};
use ferry::{
    trace, with_context, Address, CallOptions, Client, Context, Router, Server, ShutdownHandle,
};
use opentelemetry::trace::{SpanId, TraceId, TracerProvider as _};
use opentelemetry_proto::tonic::{
    collector::trace::v1::ExportTraceServiceRequest,
    common::v1::{any_value, KeyValue},
    trace::v1::span::SpanKind,
};
use opentelemetry_sdk::{
    error::OTelSdkResult,
    trace::{SdkTracerProvider, SpanData, SpanExporter},
};
use prost::Message as _;
use tracing_subscriber::{filter::Targets, prelude::*};

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT_ID: &str = "00f067aa0ba902b7";

/// One request a collector was sent.
#[derive(Debug)]
struct Post {
    request_line: String,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

/// A collector's OTLP/HTTP receiver on a free port of loopback: it keeps every request and
/// answers each with 200 and an empty `ExportTraceServiceResponse` (zero bytes of protobuf).
struct Collector {
    url: String,
    posts: Arc<Mutex<Vec<Post>>>,
}

impl Collector {
    fn start() -> Collector {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let posts = Arc::new(Mutex::new(Vec::new()));
        let kept = posts.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let kept = kept.clone();
                std::thread::spawn(move || receive(stream.unwrap(), &kept));
            }
        });
        Collector { url, posts }
    }

    /// The spans of every request, with the resource attributes they came under.
    fn spans(&self) -> Vec<(Vec<KeyValue>, opentelemetry_proto::tonic::trace::v1::Span)> {
        let posts = self.posts.lock().unwrap();
        let mut spans = Vec::new();
        for post in posts.iter() {
            assert_eq!(post.request_line, "POST /v1/traces HTTP/1.1");
            assert_eq!(
                post.headers.get("content-type").map(String::as_str),
                Some("application/x-protobuf")
            );
            let request = ExportTraceServiceRequest::decode(post.body.as_slice()).unwrap();
            for resource_spans in request.resource_spans {
                let resource = resource_spans.resource.unwrap_or_default().attributes;
                for scope_spans in resource_spans.scope_spans {
                    for span in scope_spans.spans {
                        spans.push((resource.clone(), span));
                    }
                }
            }
        }
        spans
    }
}

/// Reads HTTP/1.1 requests off `stream` until it closes, keeping and answering each.
fn receive(stream: TcpStream, posts: &Mutex<Vec<Post>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let mut headers = HashMap::new();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            let (name, value) = line.split_once(':').expect("a header is NAME: VALUE");
            headers.insert(name.to_ascii_lowercase(), value.trim().to_owned());
        }
        let length: usize = headers["content-length"].parse().unwrap();
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        posts.lock().unwrap().push(Post {
            request_line: request_line.trim_end().to_owned(),
            headers,
            body,
        });
        let answer = "HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\n\
                      content-length: 0\r\n\r\n";
        writer.write_all(answer.as_bytes()).unwrap();
    }
}

/// The value of attribute `key`, as text.
fn attribute(attributes: &[KeyValue], key: &str) -> Option<String> {
    let value = attributes.iter().find(|kv| kv.key == key)?.value.as_ref()?;
    match value.value.as_ref()? {
        any_value::Value::StringValue(text) => Some(text.clone()),
        any_value::Value::IntValue(int) => Some(int.to_string()),
        other => Some(format!("{other:?}")),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[test]
fn serve_exports_call_spans_in_the_callers_trace_and_flushes_when_stopped() {
    let collector = Collector::start();
    let served = Served::tcp_with(&["--threads", "1", "--otlp-endpoint", &collector.url]);
    let traceparent = format!("traceparent=00-{TRACE_ID}-{PARENT_ID}-01");
    let call = served.call(&[
        "calc.add",
        "2",
        "3",
        "--meta",
        &traceparent,
        "--meta",
        "tracestate=congo=t61rcWkgMzE",
    ]);
    assert_eq!(
        (stdout(&call).as_str(), stderr(&call).as_str()),
        ("5\n", "")
    );
    // The batch processor sends every 5 s: the span reaches the collector now only because
    // the server sends what it holds when it stops.
    let (status, stderr) = served.stop();
    assert!(status.success(), "{status:?}: {stderr}");
    assert_eq!(stderr, "");

    let spans = collector.spans();
    let names: Vec<&str> = spans.iter().map(|(_, span)| span.name.as_str()).collect();
    let (resource, add) = spans
        .iter()
        .find(|(_, span)| span.name == "calc.add")
        .unwrap_or_else(|| panic!("no calc.add span among {names:?}"));
    assert_eq!(
        attribute(resource, "service.name").as_deref(),
        Some("ferry")
    );
    assert_eq!(hex(&add.trace_id), TRACE_ID);
    assert_eq!(hex(&add.parent_span_id), PARENT_ID);
    assert_eq!(add.trace_state, "congo=t61rcWkgMzE");
    assert_eq!(add.kind, SpanKind::Server as i32);
    let span_id = hex(&add.span_id);
    assert!(span_id.len() == 16 && span_id != "0".repeat(16) && span_id != PARENT_ID);
    let attributes = &add.attributes;
    let attr = |key| attribute(attributes, key);
    assert_eq!(attr("rpc.method").as_deref(), Some("calc.add"));
    assert_eq!(attr("rpc.status").as_deref(), Some("ok"));
    assert_eq!(attr("dialect").as_deref(), Some("native"));
    assert!(attr("peer").is_some_and(|peer| peer.starts_with("127.0.0.1:")));
    assert!(attr("duration_us").is_some());
    // The ids ferry shows (and would send on) are the exported span's own.
    assert_eq!(attr("trace_id").as_deref(), Some(TRACE_ID));
    assert_eq!(attr("span_id"), Some(span_id));
    assert_eq!(attr("parent_id").as_deref(), Some(PARENT_ID));
    // Whatever else `ferry call` asked (its look at the method's shape) came in the same trace.
    for (_, span) in &spans {
        assert_eq!(
            (hex(&span.trace_id), hex(&span.parent_span_id)),
            (TRACE_ID.to_owned(), PARENT_ID.to_owned()),
            "{}",
            span.name
        );
    }
}

/// Keeps every span the SDK ends.
#[derive(Debug, Clone, Default)]
struct Kept(Arc<Mutex<Vec<SpanData>>>);

impl SpanExporter for Kept {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        self.0.lock().unwrap().extend(batch);
        Ok(())
    }
}

impl Kept {
    /// The one span named `name` in `trace`.
    fn only(&self, name: &str, trace: TraceId) -> SpanData {
        let spans = self.0.lock().unwrap();
        let mut found = spans
            .iter()
            .filter(|span| span.name == name && span.span_context.trace_id() == trace);
        let span = found
            .next()
            .unwrap_or_else(|| panic!("no {name} in {trace}"));
        assert!(found.next().is_none(), "two {name} in {trace}");
        span.clone()
    }
}

/// What server A's handler saw: the `traceparent` its calls send, the one its context holds
/// ([`Context::trace`]) and the one server B received from it.
type Seen = (String, String, String);

/// Server B answers with the `traceparent` it received; server A, traced, calls B and answers
/// with what it saw.
async fn two_servers() -> (Address, Vec<ShutdownHandle>) {
    let b = Router::new().function(
        "hop.b",
        [],
        with_context(|ctx: Context| async move {
            ctx.metadata(trace::TRACEPARENT).unwrap_or("").to_owned()
        }),
    );
    let b = Server::bind("127.0.0.1:0", b).await.unwrap();
    let b_address = b.local_address();
    let a = Router::new().function(
        "hop.a",
        [],
        with_context(move |ctx: Context| {
            let b_address = b_address.clone();
            async move {
                let sends = trace::current().expect("a traced call").traceparent();
                let holds = ctx.trace().expect("a traced call").traceparent();
                let b = Client::connect(b_address).await.unwrap();
                let options = CallOptions::default();
                let received: String = b.call("hop.b", &(), &options).await.unwrap();
                (sends, holds, received)
            }
        }),
    );
    let a = Server::bind("127.0.0.1:0", a).await.unwrap();
    let a_address = a.local_address();
    let handles = vec![a.shutdown_handle(), b.shutdown_handle()];
    tokio::spawn(a.run());
    tokio::spawn(b.run());
    (a_address, handles)
}

/// The trace id and parent id of a `traceparent` value.
fn ids(traceparent: &str) -> (TraceId, SpanId) {
    let fields: Vec<&str> = traceparent.split('-').collect();
    assert_eq!((fields.len(), fields[0], fields[3]), (4, "00", "01"));
    (
        TraceId::from_hex(fields[1]).unwrap(),
        SpanId::from_hex(fields[2]).unwrap(),
    )
}

/// Calls A with the caller's trace, then with none, under an OpenTelemetry layer over
/// `provider`; what A saw each time.
fn call_through_two_servers(provider: &SdkTracerProvider) -> (Seen, Seen) {
    let calls = Targets::new().with_target(trace::CALL_TARGET, tracing::Level::DEBUG);
    let layer = tracing_opentelemetry::layer().with_tracer(provider.tracer("test"));
    let subscriber = tracing_subscriber::registry().with(layer.with_filter(calls));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    tracing::subscriber::with_default(subscriber, || {
        runtime.block_on(async {
            let (a, handles) = two_servers().await;
            let client = Client::connect(a).await.unwrap();
            let parent = format!("00-{TRACE_ID}-{PARENT_ID}-01");
            let options = CallOptions::default();
            let traced = client.with_metadata(trace::TRACEPARENT, &parent);
            let continued: Seen = traced.call("hop.a", &(), &options).await.unwrap();
            let begun: Seen = client.call("hop.a", &(), &options).await.unwrap();
            for handle in handles {
                handle.shutdown();
            }
            (continued, begun)
        })
    })
}

/// Asserts caller -> A -> B made one tree in each trace, and that what A's calls sent names
/// A's exported span; the spans of A (continued, then begun) for more checks.
fn assert_two_hops(kept: &Kept, continued: &Seen, begun: &Seen) -> (SpanData, SpanData) {
    let (sends, _, received) = continued;
    assert_eq!(sends, received);
    let trace = TraceId::from_hex(TRACE_ID).unwrap();
    let a = kept.only("hop.a", trace);
    let b = kept.only("hop.b", trace);
    assert_eq!(a.parent_span_id, SpanId::from_hex(PARENT_ID).unwrap());
    assert!(a.parent_span_is_remote);
    assert_eq!(ids(received), (trace, a.span_context.span_id()));
    assert_eq!(b.parent_span_id, a.span_context.span_id());
    let continued = a;

    let (sends, _, received) = begun;
    assert_eq!(sends, received);
    let (trace, parent) = ids(received);
    assert_ne!(trace, TraceId::from_hex(TRACE_ID).unwrap());
    let a = kept.only("hop.a", trace);
    let b = kept.only("hop.b", trace);
    assert_eq!(a.parent_span_id, SpanId::INVALID);
    assert_eq!(parent, a.span_context.span_id());
    assert_eq!(b.parent_span_id, a.span_context.span_id());
    (continued, a)
}

#[test]
fn a_handlers_calls_are_children_of_its_span_whether_the_trace_came_in_or_began_here() {
    // The SDK's own ids: ferry takes them for what it sends on.
    let kept = Kept::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(kept.clone())
        .build();
    let (continued, begun) = call_through_two_servers(&provider);
    provider.shutdown().unwrap();
    assert_two_hops(&kept, &continued, &begun);
}

#[test]
fn with_call_ids_the_context_names_the_exported_span_too() {
    let kept = Kept::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(kept.clone())
        .with_id_generator(trace::CallIds)
        .build();
    let (continued, begun) = call_through_two_servers(&provider);
    provider.shutdown().unwrap();
    assert_two_hops(&kept, &continued, &begun);
    for (sends, holds, _) in [&continued, &begun] {
        assert_eq!(holds, sends);
    }
}

/// The `/rpcz.json` page of the server at `address`.
fn rpcz(address: &str) -> serde_json::Value {
    let mut stream = TcpStream::connect(address).unwrap();
    let request = "GET /rpcz.json HTTP/1.1\r\nhost: ferry\r\nconnection: close\r\n\r\n";
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    serde_json::from_str(body).unwrap()
}

#[test]
fn a_trace_serve_begins_is_exported_under_the_trace_id_rpcz_shows() {
    let collector = Collector::start();
    let served = Served::tcp_with(&["--threads", "1", "--otlp-endpoint", &collector.url]);
    let call = served.call(&["calc.add", "1", "1"]);
    assert_eq!(stdout(&call), "2\n");
    let page = rpcz(&served.address);
    let (status, stderr) = served.stop();
    assert!(status.success(), "{status:?}: {stderr}");

    let kept: Vec<&serde_json::Value> = page["recent"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|call| call["method"] == "calc.add")
        .collect();
    assert_eq!(kept.len(), 1, "{page}");
    let shown = kept[0]["trace_id"].as_str().unwrap();
    let spans = collector.spans();
    let (_, add) = spans
        .iter()
        .find(|(_, span)| span.name == "calc.add")
        .expect("a calc.add span");
    assert_eq!(hex(&add.trace_id), shown);
    assert!(add.parent_span_id.is_empty());
    assert_eq!(
        attribute(&add.attributes, "span_id"),
        Some(hex(&add.span_id))
    );
}
