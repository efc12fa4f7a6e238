//! Parsing a JSON-RPC 2.0 body into requests, each checked against the spec (sans-IO).

use bytes::Bytes;
use serde_json::{Map, Value};

/// What a body holds.
#[derive(Debug, PartialEq)]
pub(super) enum Envelope {
    /// One request object (or one thing that should have been).
    Single(Entry),
    /// A non-empty array of them.
    Batch(Vec<Entry>),
}

/// One element of a body: a request, or why it is not one.
pub(super) type Entry = Result<Request, Invalid>;

/// A valid request.
#[derive(Debug, PartialEq)]
pub(super) struct Request {
    /// `None` for a notification, which is never answered.
    pub(super) id: Option<Value>,
    pub(super) method: String,
    /// The arguments as JSON: an array (positional) or an object (named); `[]` when absent.
    pub(super) params: Bytes,
}

/// An element that is not a valid request: answered -32600 whether or not it has an id.
#[derive(Debug, PartialEq)]
pub(super) struct Invalid {
    /// The element's id when it has a valid one, `null` otherwise.
    pub(super) id: Value,
    pub(super) reason: String,
}

/// A body answered with one error object and no call: -32700, or -32600 for `[]`.
#[derive(Debug, PartialEq)]
pub(super) enum Unreadable {
    /// Not UTF-8 or not JSON.
    Parse(String),
    /// An empty batch.
    EmptyBatch,
}

/// Parses a body.
pub(super) fn parse(body: &[u8]) -> Result<Envelope, Unreadable> {
    let text = std::str::from_utf8(body)
        .map_err(|err| Unreadable::Parse(format!("Parse error: the body is not UTF-8 ({err})")))?;
    let value: Value = serde_json::from_str(text)
        .map_err(|err| Unreadable::Parse(format!("Parse error: the body is not JSON ({err})")))?;
    match value {
        Value::Array(items) if items.is_empty() => Err(Unreadable::EmptyBatch),
        Value::Array(items) => Ok(Envelope::Batch(items.into_iter().map(entry).collect())),
        single => Ok(Envelope::Single(entry(single))),
    }
}

/// Checks one element against the spec's request object.
fn entry(value: Value) -> Entry {
    let Value::Object(object) = value else {
        return Err(invalid(Value::Null, "a request must be a JSON object"));
    };
    let id = id(&object)?;
    let refuse = |reason: &str| invalid(id.clone().unwrap_or(Value::Null), reason);
    if object.get("jsonrpc") != Some(&Value::from("2.0")) {
        return Err(refuse(r#""jsonrpc" must be exactly "2.0""#));
    }
    let Some(Value::String(method)) = object.get("method") else {
        return Err(refuse(r#""method" must be a string"#));
    };
    let params = match object.get("params") {
        None => Bytes::from_static(b"[]"),
        Some(params @ (Value::Array(_) | Value::Object(_))) => Bytes::from(params.to_string()),
        Some(_) => return Err(refuse(r#""params" must be an array or an object"#)),
    };
    Ok(Request {
        id,
        method: method.clone(),
        params,
    })
}

/// The id: absent (a notification), or a string, number or null.
fn id(object: &Map<String, Value>) -> Result<Option<Value>, Invalid> {
    match object.get("id") {
        None => Ok(None),
        Some(id @ (Value::String(_) | Value::Number(_) | Value::Null)) => Ok(Some(id.clone())),
        Some(_) => Err(invalid(
            Value::Null,
            r#""id" must be a string, a number or null"#,
        )),
    }
}

fn invalid(id: Value, reason: &str) -> Invalid {
    Invalid {
        id,
        reason: format!("Invalid Request: {reason}"),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn single(body: &str) -> Entry {
        match parse(body.as_bytes()) {
            Ok(Envelope::Single(entry)) => entry,
            other => panic!("not a single request: {other:?}"),
        }
    }

    #[test]
    fn positional_named_and_absent_params() {
        let positional = single(r#"{"jsonrpc":"2.0","method":"calc.add","params":[1,2],"id":1}"#);
        let positional = positional.unwrap();
        assert_eq!(
            (positional.id, &positional.params[..]),
            (Some(json!(1)), &b"[1,2]"[..])
        );
        let named = single(r#"{"jsonrpc":"2.0","method":"m","params":{"a":1},"id":"x"}"#).unwrap();
        assert_eq!(&named.params[..], br#"{"a":1}"#);
        let absent = single(r#"{"jsonrpc":"2.0","method":"m","id":null}"#).unwrap();
        assert_eq!(
            (absent.id, &absent.params[..]),
            (Some(Value::Null), &b"[]"[..])
        );
    }

    #[test]
    fn a_request_without_an_id_is_a_notification() {
        let notification = single(r#"{"jsonrpc":"2.0","method":"m"}"#).unwrap();
        assert_eq!(notification.id, None);
    }

    #[test]
    fn invalid_requests_keep_a_valid_id_and_say_why() {
        let cases = [
            (r#"1"#, Value::Null, "a JSON object"),
            (
                r#"{"jsonrpc":"1.0","method":"m","id":7}"#,
                json!(7),
                r#""jsonrpc""#,
            ),
            (r#"{"method":"m","id":7}"#, json!(7), r#""jsonrpc""#),
            (
                r#"{"jsonrpc":"2.0","method":1,"params":"bar"}"#,
                Value::Null,
                r#""method""#,
            ),
            (
                r#"{"jsonrpc":"2.0","method":"m","params":"bar","id":"a"}"#,
                json!("a"),
                r#""params""#,
            ),
            (
                r#"{"jsonrpc":"2.0","method":"m","id":[1]}"#,
                Value::Null,
                r#""id""#,
            ),
            (
                r#"{"jsonrpc":"2.0","method":"m","id":{}}"#,
                Value::Null,
                r#""id""#,
            ),
        ];
        for (body, id, needle) in cases {
            let invalid = single(body).unwrap_err();
            assert_eq!(invalid.id, id, "{body}");
            assert!(invalid.reason.starts_with("Invalid Request: "), "{body}");
            assert!(
                invalid.reason.contains(needle),
                "{body}: {}",
                invalid.reason
            );
        }
    }

    #[test]
    fn a_batch_holds_one_entry_per_element() {
        let body = r#"[{"jsonrpc":"2.0","method":"m","id":1}, 1, {"jsonrpc":"2.0","method":"n"}]"#;
        let Ok(Envelope::Batch(entries)) = parse(body.as_bytes()) else {
            panic!("not a batch");
        };
        assert_eq!(entries.len(), 3);
        assert!(entries[0].is_ok() && entries[1].is_err() && entries[2].is_ok());
    }

    #[test]
    fn unreadable_bodies() {
        assert_eq!(parse(b"[]"), Err(Unreadable::EmptyBatch));
        for body in [
            &b"{\"jsonrpc\": \"2.0\", \"method\""[..],
            b"",
            b"\xff\xfe{}",
            b"[1,",
        ] {
            let Err(Unreadable::Parse(message)) = parse(body) else {
                panic!("{body:?} parsed");
            };
            assert!(message.starts_with("Parse error: "), "{message}");
        }
    }
}
