//! Building answers (sans-IO): JSON bodies and the `{"error": ...}` object every non-RPC route
//! fails with.

use bytes::Bytes;
use ferry::Status;
use http::{header, HeaderValue, Response, StatusCode};
use serde_json::{json, Value};

use crate::codes::http_status;

/// The media type of every JSON answer.
pub(crate) fn json_type() -> HeaderValue {
    HeaderValue::from_static("application/json")
}

/// An answer with `status`, a body and its content type.
pub(crate) fn with_type(
    status: StatusCode,
    content_type: HeaderValue,
    body: Bytes,
) -> Response<Bytes> {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, content_type);
    response
}

/// A JSON answer.
pub(crate) fn json(status: StatusCode, body: Bytes) -> Response<Bytes> {
    with_type(status, json_type(), body)
}

/// A JSON answer holding `value`.
pub(crate) fn json_value(status: StatusCode, value: &Value) -> Response<Bytes> {
    json(status, Bytes::from(value.to_string()))
}

/// `{"error": {"status", "message", "data"}}` under the HTTP status of `status`.
pub(crate) fn error(status: Status, message: &str, data: Option<Value>) -> Response<Bytes> {
    error_as(http_status(status), status, message, data)
}

/// `{"error": ...}` under an explicit HTTP status, for refusals no ferry status names exactly.
pub(crate) fn error_as(
    code: StatusCode,
    status: Status,
    message: &str,
    data: Option<Value>,
) -> Response<Bytes> {
    let body = json!({"error": {"status": status.name(), "message": message, "data": data}});
    json_value(code, &body)
}

/// A 204 with no body.
pub(crate) fn no_content() -> Response<Bytes> {
    let mut response = Response::new(Bytes::new());
    *response.status_mut() = StatusCode::NO_CONTENT;
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body_of(response: &Response<Bytes>) -> Value {
        serde_json::from_slice(response.body()).unwrap()
    }

    #[test]
    fn an_error_carries_status_message_and_data() {
        let response = error(Status::Application, "no", Some(json!({"message": "no"})));
        assert_eq!(response.status(), 422);
        assert_eq!(
            body_of(&response),
            json!({"error": {"status": "application", "message": "no", "data": {"message": "no"}}})
        );
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
    }
}
