//! Parsing a JSON-RPC 2.0 body into requests, each checked against the spec (sans-IO).

use std::fmt;

use serde::{
    de::{IgnoredAny, SeqAccess, Visitor},
    Deserializer as _,
};
use serde_json::{Map, Value};

use crate::batch::TooLong;

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
    /// The arguments: an array (positional) or an object (named); `[]` when absent or null.
    pub(super) params: Value,
}

/// An element that is not a valid request: answered -32600 whether or not it has an id.
#[derive(Debug, PartialEq)]
pub(super) struct Invalid {
    /// The element's id when it has a valid one, `null` otherwise.
    pub(super) id: Value,
    pub(super) reason: String,
}

/// A body answered with one error object and no call: -32700, or -32600 for `[]` and for a
/// batch over the cap.
#[derive(Debug, PartialEq)]
pub(super) enum Unreadable {
    /// Not UTF-8 or not JSON.
    Parse(String),
    /// An empty batch.
    EmptyBatch,
    /// A batch of more elements than the cap.
    TooLong(TooLong),
}

/// Parses a body; a batch of more than `max_batch_len` elements is refused, counted without
/// keeping the elements past the cap.
pub(super) fn parse(body: &[u8], max_batch_len: usize) -> Result<Envelope, Unreadable> {
    let text = std::str::from_utf8(body)
        .map_err(|err| Unreadable::Parse(format!("Parse error: the body is not UTF-8 ({err})")))?;
    let not_json = |err: serde_json::Error| {
        Unreadable::Parse(format!("Parse error: the body is not JSON ({err})"))
    };
    if !text.trim_start().starts_with('[') {
        let single: Value = serde_json::from_str(text).map_err(not_json)?;
        return Ok(Envelope::Single(entry(single)));
    }
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let elements = deserializer
        .deserialize_seq(BatchVisitor { max: max_batch_len })
        .and_then(|elements| deserializer.end().map(|()| elements))
        .map_err(not_json)?;
    match elements {
        Elements::Kept(items) if items.is_empty() => Err(Unreadable::EmptyBatch),
        Elements::Kept(items) => Ok(Envelope::Batch(items.into_iter().map(entry).collect())),
        Elements::Counted(len) => Err(Unreadable::TooLong(TooLong {
            len,
            max: max_batch_len,
        })),
    }
}

/// A batch's elements while within the cap, or only their count past it.
enum Elements {
    Kept(Vec<Value>),
    Counted(usize),
}

/// Visits a batch: builds each element up to `max`, then skips the rest while counting them,
/// so an over-long batch costs no memory for what it holds.
struct BatchVisitor {
    max: usize,
}

impl<'de> Visitor<'de> for BatchVisitor {
    type Value = Elements;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of request objects")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Elements, A::Error> {
        let mut kept = Vec::new();
        while kept.len() < self.max {
            match seq.next_element::<Value>()? {
                Some(element) => kept.push(element),
                None => return Ok(Elements::Kept(kept)),
            }
        }
        if seq.next_element::<IgnoredAny>()?.is_none() {
            return Ok(Elements::Kept(kept));
        }
        let mut len = kept.len() + 1;
        drop(kept);
        while seq.next_element::<IgnoredAny>()?.is_some() {
            len += 1;
        }
        Ok(Elements::Counted(len))
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
        // The spec says to leave params out; many clients send null for "none" instead.
        None | Some(Value::Null) => Value::Array(Vec::new()),
        Some(params @ (Value::Array(_) | Value::Object(_))) => params.clone(),
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
        match parse(body.as_bytes(), 1000) {
            Ok(Envelope::Single(entry)) => entry,
            other => panic!("not a single request: {other:?}"),
        }
    }

    #[test]
    fn positional_named_and_absent_params() {
        let positional = single(r#"{"jsonrpc":"2.0","method":"calc.add","params":[1,2],"id":1}"#);
        let positional = positional.unwrap();
        assert_eq!(
            (positional.id, positional.params),
            (Some(json!(1)), json!([1, 2]))
        );
        let named = single(r#"{"jsonrpc":"2.0","method":"m","params":{"a":1},"id":"x"}"#).unwrap();
        assert_eq!(named.params, json!({"a": 1}));
        let absent = single(r#"{"jsonrpc":"2.0","method":"m","id":null}"#).unwrap();
        assert_eq!((absent.id, absent.params), (Some(Value::Null), json!([])));
        let null = single(r#"{"jsonrpc":"2.0","method":"m","params":null,"id":1}"#).unwrap();
        assert_eq!(null.params, json!([]));
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
        let Ok(Envelope::Batch(entries)) = parse(body.as_bytes(), 1000) else {
            panic!("not a batch");
        };
        assert_eq!(entries.len(), 3);
        assert!(entries[0].is_ok() && entries[1].is_err() && entries[2].is_ok());
    }

    #[test]
    fn a_batch_over_the_cap_is_counted_not_kept() {
        let batch = |len: usize| {
            let element = r#"{"jsonrpc":"2.0","method":"m","id":1}"#;
            format!("[{}]", vec![element; len].join(","))
        };
        let Ok(Envelope::Batch(entries)) = parse(batch(3).as_bytes(), 3) else {
            panic!("a batch at the cap is taken");
        };
        assert_eq!(entries.len(), 3);
        assert_eq!(
            parse(batch(4).as_bytes(), 3),
            Err(Unreadable::TooLong(TooLong { len: 4, max: 3 }))
        );
        let broken = format!("{},", batch(5).trim_end_matches(']'));
        assert!(matches!(
            parse(broken.as_bytes(), 3),
            Err(Unreadable::Parse(_))
        ));
    }

    #[test]
    fn unreadable_bodies() {
        assert_eq!(parse(b"[]", 1000), Err(Unreadable::EmptyBatch));
        for body in [
            &b"{\"jsonrpc\": \"2.0\", \"method\""[..],
            b"",
            b"\xff\xfe{}",
            b"[1,",
        ] {
            let Err(Unreadable::Parse(message)) = parse(body, 1000) else {
                panic!("{body:?} parsed");
            };
            assert!(message.starts_with("Parse error: "), "{message}");
        }
    }
}
