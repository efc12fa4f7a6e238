//! The HTTP side's parsers: JSON-RPC, XML-RPC, REST arguments, `Range`, Trace Context.

use std::sync::LazyLock;

use ferry::{trace::TraceContext, MethodDescriptor, ParamDescriptor};
use http::HeaderValue;
use serde_json::Value as Json;

use crate::{
    files::range::{none_match, wanted, Wanted},
    jsonrpc,
    rest::{args_from_body, args_from_query},
    xmlrpc::{parse, value::Value, write},
};

/// The JSON-RPC 2.0 request parser over arbitrary bodies: a body is refused exactly when it is
/// not UTF-8 JSON, or is an empty batch.
pub fn jsonrpc_request(data: &[u8]) {
    let json = serde_json::from_slice::<Json>(data).ok();
    let readable = json.is_some_and(|json| json != Json::Array(Vec::new()));
    assert_eq!(jsonrpc::parses(data), readable);
}

/// The XML-RPC parser over arbitrary bodies, as a call and as a response: whatever parses
/// stays within the depth and count bounds, and writes back to a document that parses to the
/// same call or response.
pub fn xmlrpc_parse(data: &[u8]) {
    if let Ok(call) = parse::method_call(data) {
        let values: usize = call
            .params
            .iter()
            .map(|param| within_bounds(param, 1))
            .sum();
        assert!(values <= parse::MAX_VALUES);
        let written = write::call(&call.name, &call.params);
        assert_eq!(
            parse::method_call(&written).as_ref(),
            Ok(&call),
            "{written:?}"
        );
    }
    if let Ok(response) = parse::method_response(data) {
        let written = match &response {
            Ok(result) => {
                assert!(within_bounds(result, 1) <= parse::MAX_VALUES);
                write::response(result)
            }
            Err(fault) => write::fault(fault),
        };
        assert_eq!(
            parse::method_response(&written),
            Ok(response),
            "{written:?}"
        );
    }
}

/// How many values `value` holds; panics past the nesting bound.
fn within_bounds(value: &Value, depth: usize) -> usize {
    assert!(depth <= parse::MAX_DEPTH, "nested {depth} deep");
    match value {
        Value::Struct(members) => {
            1 + members
                .iter()
                .map(|(_, member)| within_bounds(member, depth + 1))
                .sum::<usize>()
        }
        Value::Array(items) => {
            1 + items
                .iter()
                .map(|item| within_bounds(item, depth + 1))
                .sum::<usize>()
        }
        Value::Double(double) => {
            assert!(double.is_finite());
            1
        }
        _ => 1,
    }
}

/// The content types the REST target tries a body with.
const CONTENT_TYPES: [Option<&str>; 4] = [
    None,
    Some("application/json"),
    Some("application/x-www-form-urlencoded"),
    Some("text/plain; charset=utf-8"),
];

/// REST argument decoding. The first byte picks the query string or the body (and the body's
/// content type): query arguments are a JSON object with a string wherever the parameter's
/// schema says string; a body is taken as it is when it is a JSON object or array, and as no
/// arguments when it is blank.
pub fn rest_args(data: &[u8]) {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    if first & 1 == 0 {
        let content_type = CONTENT_TYPES[usize::from(first >> 1) % CONTENT_TYPES.len()];
        let content_type = content_type.map(HeaderValue::from_static);
        let Ok(args) = args_from_body(rest, content_type.as_ref()) else {
            assert!(!rest.iter().all(u8::is_ascii_whitespace));
            return;
        };
        if rest.iter().all(u8::is_ascii_whitespace) {
            assert_eq!(args, Json::Array(Vec::new()));
        } else {
            let sent: Json = serde_json::from_slice(rest).expect("taken only when it is JSON");
            assert_eq!(args, sent, "the body's arguments are as sent");
            assert!(args.is_object() || args.is_array());
        }
        return;
    }
    let Ok(query) = std::str::from_utf8(rest) else {
        return;
    };
    let Ok(args) = args_from_query(Some(query), Some(&REST_METHOD)) else {
        return;
    };
    let Json::Object(args) = args else {
        panic!("query arguments are not an object");
    };
    if let Some(text) = args.get("text") {
        assert!(text.is_string(), "a string parameter got {text}");
    }
    let pairs = query.split('&').filter(|pair| !pair.is_empty()).count();
    assert_eq!(args.len(), pairs, "one argument per pair");
}

/// A method with a string parameter and an integer one.
static REST_METHOD: LazyLock<MethodDescriptor> = LazyLock::new(|| MethodDescriptor {
    name: "mixed".to_owned(),
    doc: String::new(),
    params: vec![
        ParamDescriptor::required::<String>("text"),
        ParamDescriptor::required::<i64>("n"),
    ],
    result: Json::Null,
    error: None,
    idempotent: false,
    client_stream: None,
    server_stream: None,
});

/// The file's etag in the range target.
const ETAG: &str = "\"v1\"";

/// `Range`, `If-Range` and `If-None-Match` over arbitrary text: the first 8 bytes are the file
/// size, then the `Range` header, and an `If-Range` after a newline. A part is always within
/// the file, `bytes=N-` and the same with an `If-Range` of the file's etag agree, any other
/// `If-Range` means the whole file, and an etag always matches itself.
pub fn range(data: &[u8]) {
    let Some((size, text)) = data.split_first_chunk::<8>() else {
        return;
    };
    let size = u64::from_be_bytes(*size);
    let Ok(text) = std::str::from_utf8(text) else {
        return;
    };
    let (header, if_range) = match text.split_once('\n') {
        Some((header, if_range)) => (header, Some(if_range)),
        None => (text, None),
    };
    let asked = wanted(Some(header), if_range, ETAG, size);
    match asked {
        Wanted::Part { start, end } => assert!(start <= end && end < size, "{asked:?} of {size}"),
        Wanted::Unsatisfiable | Wanted::Whole => {}
    }
    let unconditional = wanted(Some(header), None, ETAG, size);
    match if_range {
        Some(tag) if tag.trim() != ETAG => assert_eq!(asked, Wanted::Whole),
        _ => assert_eq!(asked, unconditional),
    }
    assert!(none_match(ETAG, ETAG));
    let _ = none_match(text, ETAG);
}

/// The Trace Context parser over arbitrary text, its first line as `traceparent` and the rest
/// as `tracestate`: whatever parses renders to headers that parse back to the same context.
pub fn traceparent(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (traceparent, tracestate) = match text.split_once('\n') {
        Some((traceparent, tracestate)) => (traceparent, Some(tracestate)),
        None => (text, None),
    };
    let Some(context) = TraceContext::parse(traceparent, tracestate) else {
        return;
    };
    let again = TraceContext::parse(&context.traceparent(), context.tracestate());
    assert_eq!(again.as_ref(), Some(&context));
}
