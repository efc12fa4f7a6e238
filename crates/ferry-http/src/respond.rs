//! Building answers (sans-IO): JSON bodies and the `{"error": ...}` object every non-RPC route
//! fails with.

use bytes::Bytes;
use ferry::{Compression, Status};
use http::{header, HeaderValue, Response, StatusCode};
use http_body_util::BodyExt;
use hyper::body::Body;
use serde_json::{json, Value};

use crate::{
    body::{self, ResponseBody},
    codes::http_status,
    encoding::{self, Encoding},
};

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

/// `response` compressed in `accepted`, the coding the request accepts, when its body is
/// whole (not a stream or a file), at least the threshold of `compression`, and shrinks.
/// Every answer over the threshold says `Vary: Accept-Encoding`, compressed or not: which it
/// is depends on that header.
pub(crate) async fn compress(
    response: Response<ResponseBody>,
    accepted: Option<Encoding>,
    compression: Compression,
) -> Response<ResponseBody> {
    let Some(threshold) = compression.threshold() else {
        return response;
    };
    let whole = response.body().size_hint().exact();
    let eligible = whole.is_some_and(|len| len >= threshold as u64)
        && response.status() != StatusCode::PARTIAL_CONTENT
        && !response.headers().contains_key(header::CONTENT_ENCODING);
    if !eligible {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    parts
        .headers
        .append(header::VARY, HeaderValue::from_static("accept-encoding"));
    let Some(encoding) = accepted else {
        return Response::from_parts(parts, body);
    };
    let bytes = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(err) => return Response::from_parts(parts, body::failed(err)),
    };
    let level = match compression {
        Compression::Zstd { level, .. } => level,
        _ => Compression::DEFAULT_LEVEL,
    };
    let Some(encoded) = encoding::encode(encoding, &bytes, level) else {
        return Response::from_parts(parts, body::full(bytes));
    };
    parts
        .headers
        .insert(header::CONTENT_ENCODING, encoding.header_value());
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, body::full(encoded))
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

    async fn compressed(
        len: usize,
        accepted: Option<Encoding>,
        compression: Compression,
    ) -> Response<Bytes> {
        let body = Bytes::from("{\"a\": 1}".repeat(len / 8));
        let response = json(StatusCode::OK, body).map(body::full);
        let (parts, body) = compress(response, accepted, compression).await.into_parts();
        let bytes = body.collect().await.unwrap().to_bytes();
        Response::from_parts(parts, bytes)
    }

    #[tokio::test]
    async fn answers_over_the_threshold_are_compressed_as_accepted() {
        let on = Compression::zstd();
        let answer = compressed(4096, Some(Encoding::Gzip), on).await;
        assert_eq!(answer.headers()[header::CONTENT_ENCODING], "gzip");
        assert_eq!(answer.headers()[header::VARY], "accept-encoding");
        let decoded = encoding::decode(Encoding::Gzip, answer.body(), 1 << 20).unwrap();
        assert_eq!(decoded.len(), 4096);
        let zstd = compressed(4096, Some(Encoding::Zstd), on).await;
        assert_eq!(zstd.headers()[header::CONTENT_ENCODING], "zstd");
        let plain = compressed(4096, None, on).await;
        assert!(!plain.headers().contains_key(header::CONTENT_ENCODING));
        assert_eq!(plain.headers()[header::VARY], "accept-encoding");
        assert_eq!(plain.body().len(), 4096);
        let small = compressed(512, Some(Encoding::Gzip), on).await;
        assert!(!small.headers().contains_key(header::VARY));
        let off = compressed(4096, Some(Encoding::Gzip), Compression::Off).await;
        assert!(!off.headers().contains_key(header::CONTENT_ENCODING));
    }
}
