//! JSON-RPC 2.0 response objects, as bytes (sans-IO).

use bytes::{BufMut, Bytes, BytesMut};
use ferry::{ErrorObject, Reply, Status};
use serde_json::{json, Value};

use crate::codes::jsonrpc_code;

/// The code of a body that is not JSON.
pub(super) const PARSE_ERROR: i64 = -32700;

/// The code of an element that is not a request object.
pub(super) const INVALID_REQUEST: i64 = -32600;

/// The response to request `id` carrying a dispatched call's `reply`.
pub(crate) fn of_reply(id: &Value, reply: &Reply) -> Bytes {
    if reply.status == Status::Ok {
        return success(id, &reply.body);
    }
    let object: ErrorObject<Value> =
        serde_json::from_slice(&reply.body).unwrap_or_else(|err| ErrorObject {
            code: reply.status.name().to_owned(),
            message: format!("the error does not decode: {err}"),
            data: None,
        });
    failure(id, reply.status, &object.message, object.data)
}

/// `{"jsonrpc":"2.0","result":RESULT,"id":ID}`, `result` being JSON already.
fn success(id: &Value, result: &[u8]) -> Bytes {
    envelope(br#"{"jsonrpc":"2.0","result":"#, result, id)
}

/// `HEAD` + `member` + `,"id":ID}`: a response object with its members in the spec's order.
fn envelope(head: &[u8], member: &[u8], id: &Value) -> Bytes {
    let id = id.to_string();
    let mut out = BytesMut::with_capacity(head.len() + member.len() + id.len() + 8);
    out.put_slice(head);
    out.put_slice(member);
    out.put_slice(br#","id":"#);
    out.put_slice(id.as_bytes());
    out.put_u8(b'}');
    out.freeze()
}

/// The error response for a call that ended with `status`: the handler's own error (status
/// `application`) is `data`; any other status is named in `data.status`.
pub(crate) fn failure(id: &Value, status: Status, message: &str, data: Option<Value>) -> Bytes {
    let data = match status {
        Status::Application => data.unwrap_or(Value::Null),
        other => json!({"status": other.name()}),
    };
    error(id, jsonrpc_code(status), message, data)
}

/// An error response with an explicit code.
pub(super) fn error(id: &Value, code: i64, message: &str, data: Value) -> Bytes {
    let mut error = json!({"code": code, "message": message});
    if !data.is_null() {
        error["data"] = data;
    }
    envelope(
        br#"{"jsonrpc":"2.0","error":"#,
        error.to_string().as_bytes(),
        id,
    )
}

/// The array answering a batch; `None` when every element was a notification.
pub(super) fn batch(responses: Vec<Bytes>) -> Option<Bytes> {
    if responses.is_empty() {
        return None;
    }
    let len = responses.iter().map(|r| r.len() + 1).sum::<usize>() + 1;
    let mut out = BytesMut::with_capacity(len);
    for (i, response) in responses.iter().enumerate() {
        out.put_u8(if i == 0 { b'[' } else { b',' });
        out.put_slice(response);
    }
    out.put_u8(b']');
    Some(out.freeze())
}

#[cfg(test)]
mod tests {
    use ferry::Codec;

    use super::*;

    fn parsed(bytes: &Bytes) -> Value {
        serde_json::from_slice(bytes).unwrap()
    }

    #[test]
    fn a_result_is_copied_as_is() {
        let reply = Reply {
            status: Status::Ok,
            body: Bytes::from_static(b"[1,2]"),
        };
        let response = of_reply(&json!("a"), &reply);
        assert_eq!(
            &response[..],
            br#"{"jsonrpc":"2.0","result":[1,2],"id":"a"}"#
        );
    }

    #[test]
    fn an_application_error_carries_the_handler_error_as_data() {
        let body = br#"{"code":"application","message":"division by zero","data":{"message":"division by zero"}}"#;
        let reply = Reply {
            status: Status::Application,
            body: Bytes::from_static(body),
        };
        assert_eq!(
            parsed(&of_reply(&json!(3), &reply)),
            json!({"jsonrpc": "2.0", "id": 3, "error": {
                "code": -32000, "message": "division by zero", "data": {"message": "division by zero"}
            }})
        );
    }

    #[test]
    fn other_errors_name_their_status() {
        let reply = Reply::error(Codec::Json, Status::InvalidArgs, "bad a");
        let response = parsed(&of_reply(&Value::Null, &reply));
        assert_eq!(
            response["error"],
            json!({"code": -32602, "message": "bad a", "data": {"status": "invalid_args"}})
        );
        assert_eq!(response["id"], Value::Null);
    }

    #[test]
    fn a_batch_is_an_array_and_an_empty_one_is_nothing() {
        let parts = vec![Bytes::from_static(b"{}"), Bytes::from_static(b"[]")];
        assert_eq!(&batch(parts).unwrap()[..], b"[{},[]]");
        assert_eq!(batch(Vec::new()), None);
    }
}
