//! A request refused before (or instead of) a call, and its two spellings: the `{"error": ...}`
//! object of REST, static files and XML-RPC transport failures, and the JSON-RPC error object.

use bytes::Bytes;
use ferry::Status;
use http::{header, HeaderName, HeaderValue, Method, Response, StatusCode};
use serde_json::Value;

use crate::{body::BodyError, codes::http_status, jsonrpc, respond};

/// Why a request gets no call: the HTTP status, the ferry status and a one-line message.
#[derive(Debug)]
pub(crate) struct Refusal {
    code: StatusCode,
    status: Status,
    message: String,
    /// Headers the refusal needs: the `allow` of a 405, the `content-range` of a 416.
    headers: Vec<(HeaderName, HeaderValue)>,
    /// Whether the connection closes after the answer (a body left unread).
    close: bool,
}

impl Refusal {
    /// A refusal under the HTTP status of `status`.
    pub(crate) fn new(status: Status, message: impl Into<String>) -> Refusal {
        Refusal::with_code(http_status(status), status, message)
    }

    /// A refusal under an explicit HTTP status, for what no ferry status names exactly.
    pub(crate) fn with_code(
        code: StatusCode,
        status: Status,
        message: impl Into<String>,
    ) -> Refusal {
        Refusal {
            code,
            status,
            message: message.into(),
            headers: Vec::new(),
            close: false,
        }
    }

    /// The same refusal with one more header.
    pub(crate) fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Refusal {
        self.headers.push((name, value));
        self
    }

    /// The same refusal, closing the connection after it: for an answer sent while the
    /// request's body may be left unread.
    pub(crate) fn closing(self) -> Refusal {
        Refusal {
            close: true,
            ..self
        }
    }

    /// The 404 of a path no route takes.
    pub(crate) fn no_route(path: &str) -> Refusal {
        let message = format!(
            "nothing at {path}: the routes are POST /jsonrpc, POST /RPC2, /api/SERVICE/METHOD, \
             GET /api/openapi.json and GET /healthz"
        );
        Refusal::new(Status::UnknownMethod, message)
    }

    /// The 404 of a file that is not there.
    pub(crate) fn no_file(path: &str) -> Refusal {
        let message = format!("no file at {path}");
        Refusal::with_code(StatusCode::NOT_FOUND, Status::UnknownMethod, message)
    }

    /// 405, naming the methods `path` takes in an `allow` header and in the message.
    pub(crate) fn wrong_method(method: &Method, path: &str, allowed: &[Method]) -> Refusal {
        let allow = allowed
            .iter()
            .map(Method::as_str)
            .collect::<Vec<_>>()
            .join(", ");
        let message = format!("{path} does not take {method}; use {allow}");
        let value = HeaderValue::from_str(&allow).expect("method names are header-safe");
        Refusal::with_code(StatusCode::METHOD_NOT_ALLOWED, Status::Protocol, message)
            .with_header(header::ALLOW, value)
    }

    /// `{"error": {"status", "message", "data": null}}`.
    pub(crate) fn into_response(self) -> Response<Bytes> {
        let answer = respond::error_as(self.code, self.status, &self.message, None);
        self.finish(answer)
    }

    /// A JSON-RPC error object with a null id.
    pub(crate) fn into_jsonrpc(self) -> Response<Bytes> {
        let body = jsonrpc::failure(&Value::Null, self.status, &self.message, None);
        let answer = respond::json(self.code, body);
        self.finish(answer)
    }

    fn finish(self, mut response: Response<Bytes>) -> Response<Bytes> {
        let headers = response.headers_mut();
        for (name, value) in self.headers {
            headers.insert(name, value);
        }
        if self.close {
            headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        response
    }
}

impl From<BodyError> for Refusal {
    fn from(err: BodyError) -> Refusal {
        Refusal {
            close: true,
            ..Refusal::with_code(err.http_status(), err.status(), err.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body_of(response: &Response<Bytes>) -> Value {
        serde_json::from_slice(response.body()).unwrap()
    }

    #[test]
    fn a_wrong_method_names_the_allowed_ones() {
        let response = Refusal::wrong_method(&Method::PUT, "/jsonrpc", &[Method::POST]);
        let response = response.into_response();
        assert_eq!(response.status(), 405);
        assert_eq!(response.headers()[header::ALLOW], "POST");
        let message = body_of(&response)["error"]["message"].clone();
        assert_eq!(message, "/jsonrpc does not take PUT; use POST");
    }

    #[test]
    fn an_unread_body_closes_the_connection_in_either_spelling() {
        let too_large = || Refusal::from(BodyError::TooLarge { max: 10 });
        let rest = too_large().into_response();
        assert_eq!(rest.status(), 413);
        assert_eq!(rest.headers()[header::CONNECTION], "close");
        assert_eq!(body_of(&rest)["error"]["status"], "too_large");
        let rpc = too_large().into_jsonrpc();
        assert_eq!(rpc.status(), 413);
        assert_eq!(body_of(&rpc)["error"]["code"], -32007);
        assert_eq!(body_of(&rpc)["id"], Value::Null);
    }
}
