//! Requests and answers of the length-prefixed JSON dialect, as bytes (sans-IO).

use bytes::{BufMut, Bytes, BytesMut};
use serde::Deserialize;
use serde_json::{json, Value};

use ferry_wire::{ByteStr, Metadata, Status};

use crate::{ErrorObject, Reply, Router};

/// A request as it arrives.
#[derive(Debug, Deserialize)]
struct Request {
    #[serde(rename = "in")]
    method: String,
    #[serde(default)]
    params: Value,
    #[serde(default)]
    meta: serde_json::Map<String, Value>,
}

/// A request resolved against a router: the full method name, its JSON arguments and its
/// metadata.
#[derive(Debug, PartialEq)]
pub(super) struct Resolved {
    pub(super) requested: String,
    pub(super) method: String,
    pub(super) args: Bytes,
    pub(super) metadata: Metadata,
}

/// Why a request cannot be dispatched: the status and one-line message to answer with.
pub(super) type Refusal = (Status, String);

/// Parses a request body and resolves its method.
pub(super) fn parse(body: &[u8], router: &Router) -> Result<Resolved, Refusal> {
    let request: Request = serde_json::from_slice(body).map_err(|err| {
        let message =
            format!(r#"the message is not a JSON object {{"in": METHOD, "params": VALUE}}: {err}"#);
        (Status::Protocol, message)
    })?;
    let method = resolve(&request.method, router)?;
    let metadata = metadata(request.meta)?;
    let args = match request.params {
        Value::Null => Value::Array(Vec::new()),
        params @ (Value::Object(_) | Value::Array(_)) => params,
        single => Value::Array(vec![single]),
    };
    Ok(Resolved {
        method,
        args: Bytes::from(serde_json::to_vec(&args).expect("a JSON value encodes")),
        requested: request.method,
        metadata,
    })
}

/// The `meta` object as metadata pairs; every value must be text.
fn metadata(meta: serde_json::Map<String, Value>) -> Result<Metadata, Refusal> {
    meta.into_iter()
        .map(|(key, value)| match value {
            Value::String(text) => Ok((ByteStr::from(key), ByteStr::from(text))),
            other => Err((
                Status::Protocol,
                format!(r#""meta" values must be text; "{key}" is {other}"#),
            )),
        })
        .collect()
}

/// The full method name `requested` stands for. A name no service has is dispatched as it is,
/// so that layers see the call before it is answered `unknown_method`.
fn resolve(requested: &str, router: &Router) -> Result<String, Refusal> {
    let mut candidates = router.resolve(requested);
    match candidates.len() {
        1 => Ok(candidates.remove(0)),
        0 => Ok(requested.to_owned()),
        _ => Err((
            Status::UnknownMethod,
            format!(
                "{requested} is ambiguous: name one of {}",
                candidates.join(", ")
            ),
        )),
    }
}

/// The `out` name answering a request for `requested`: its bare method name, except that
/// `ping` is answered `pong`, as small clients of this dialect expect.
pub(super) fn out_name(requested: &str) -> &str {
    match requested.rsplit('.').next().unwrap_or(requested) {
        "ping" => "pong",
        bare => bare,
    }
}

/// The answer body for a dispatched call's reply.
pub(super) fn answer(requested: &str, reply: &Reply) -> Bytes {
    if reply.status != Status::Ok {
        let object: ErrorObject<Value> =
            serde_json::from_slice(&reply.body).unwrap_or_else(|err| ErrorObject {
                code: reply.status.name().to_owned(),
                message: format!("the error does not decode: {err}"),
                data: None,
            });
        return failure(reply.status, &object.message, object.data);
    }
    let mut out = BytesMut::with_capacity(reply.body.len() + requested.len() + 24);
    out.put_slice(br#"{"out":"#);
    out.put_slice(&serde_json::to_vec(out_name(requested)).expect("a string encodes"));
    out.put_slice(br#","result":"#);
    out.put_slice(&reply.body);
    out.put_u8(b'}');
    out.freeze()
}

/// The answer body for a failure.
pub(super) fn failure(status: Status, message: &str, data: Option<Value>) -> Bytes {
    let body = json!({
        "out": "error",
        "error": {"status": status.name(), "message": message, "data": data},
    });
    Bytes::from(serde_json::to_vec(&body).expect("a JSON value encodes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn router() -> Router {
        Router::new()
            .function("echo.ping", ["text"], |text: String| async move { text })
            .function("a.twice", ["n"], |n: i64| async move { n * 2 })
            .function("b.twice", ["n"], |n: i64| async move { n * 2 })
    }

    #[test]
    fn a_bare_name_resolves_when_one_service_has_it() {
        let resolved = parse(br#"{"in": "ping", "params": "ireader 0"}"#, &router()).unwrap();
        assert_eq!(resolved.method, "echo.ping");
        assert_eq!(&resolved.args[..], br#"["ireader 0"]"#);
    }

    #[test]
    fn an_ambiguous_bare_name_names_the_candidates() {
        let (status, message) = parse(br#"{"in": "twice", "params": [1]}"#, &router()).unwrap_err();
        assert_eq!(status, Status::UnknownMethod);
        assert!(message.contains("a.twice, b.twice"), "{message}");
    }

    #[test]
    fn meta_becomes_metadata_and_must_be_text() {
        let body = br#"{"in": "ping", "params": "x", "meta": {"user": "alice", "trace": "t1"}}"#;
        let resolved = parse(body, &router()).unwrap();
        let pairs: Vec<(&str, &str)> = resolved
            .metadata
            .iter()
            .map(|(k, v)| (&**k, &**v))
            .collect();
        assert_eq!(pairs, [("trace", "t1"), ("user", "alice")]);
        let (status, message) =
            parse(br#"{"in": "ping", "meta": {"n": 1}}"#, &router()).unwrap_err();
        assert_eq!(status, Status::Protocol);
        assert!(message.contains(r#""n" is 1"#), "{message}");
    }

    #[test]
    fn an_unknown_name_is_dispatched_as_it_is() {
        let resolved = parse(br#"{"in": "nope.nothing"}"#, &router()).unwrap();
        assert_eq!(resolved.method, "nope.nothing");
    }

    #[test]
    fn named_positional_and_absent_params_pass_through() {
        let named = parse(br#"{"in": "a.twice", "params": {"n": 2}}"#, &router()).unwrap();
        assert_eq!(&named.args[..], br#"{"n":2}"#);
        let none = parse(br#"{"in": "a.twice"}"#, &router()).unwrap();
        assert_eq!(&none.args[..], b"[]");
    }

    #[test]
    fn a_body_that_is_not_a_request_is_a_protocol_refusal() {
        for body in [
            &b"[1,2]"[..],
            b"{\"params\": 1}",
            b"{\"in\": \"pi",
            b"\xff\xfe",
        ] {
            let (status, _) = parse(body, &router()).unwrap_err();
            assert_eq!(status, Status::Protocol, "{body:?}");
        }
    }

    #[test]
    fn ping_is_answered_pong_with_the_result() {
        let reply = Reply {
            status: Status::Ok,
            body: Bytes::from_static(br#""ireader 0""#),
        };
        assert_eq!(
            &answer("ping", &reply)[..],
            br#"{"out":"pong","result":"ireader 0"}"#
        );
        assert_eq!(out_name("calc.add"), "add");
    }

    #[test]
    fn an_error_reply_becomes_an_error_object() {
        let reply = Reply::error(crate::Codec::Json, Status::InvalidArgs, "bad");
        let body: Value = serde_json::from_slice(&answer("ping", &reply)).unwrap();
        assert_eq!(body["out"], "error");
        assert_eq!(body["error"]["status"], "invalid_args");
        assert_eq!(body["error"]["message"], "bad");
    }
}
