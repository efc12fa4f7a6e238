//! `GET /healthz`: whether the server takes calls, for load balancers and orchestrators.

use bytes::Bytes;
use http::{Response, StatusCode};

use crate::respond;

/// The route's path.
pub(crate) const PATH: &str = "/healthz";

/// 200 `{"status":"ok"}`, or 503 `{"status":"closing"}` once the server is shutting down.
pub(crate) fn answer(closing: bool) -> Response<Bytes> {
    if closing {
        let body = Bytes::from_static(br#"{"status":"closing"}"#);
        return respond::json(StatusCode::SERVICE_UNAVAILABLE, body);
    }
    respond::json(StatusCode::OK, Bytes::from_static(br#"{"status":"ok"}"#))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ok_until_closing() {
        let ok = answer(false);
        assert_eq!(
            (ok.status(), &ok.body()[..]),
            (StatusCode::OK, &br#"{"status":"ok"}"#[..])
        );
        assert_eq!(answer(true).status(), StatusCode::SERVICE_UNAVAILABLE);
    }
}
