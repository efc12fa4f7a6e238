//! Auth on the HTTP routes that are not calls (the pages, the OpenAPI document, files over
//! HTTP), and the `WWW-Authenticate` challenge every 401 carries.
//!
//! Calls (JSON-RPC, XML-RPC, REST) are checked by the router's [`Auth`](ferry::auth::Auth)
//! layer like calls of every other dialect; a route that is not a call asks the same layer
//! as a call of the pseudo method it stands for (`_pages.metrics`, `files.get`, ...), so one
//! token line grants both.

use ferry::{Peer, Router, Status};
use http::{header, HeaderValue, Request, Response, StatusCode};

use crate::refusal::Refusal;

/// The challenge of a 401 to a request that sent no credentials.
const CHALLENGE: &str = r#"Bearer realm="ferry""#;

/// The challenge of a 401 to a request whose token the server does not take (RFC 6750).
const INVALID_TOKEN: &str = r#"Bearer realm="ferry", error="invalid_token""#;

/// Lets `request` from `peer` through as a call of `method` would be, on a router with auth;
/// the refusal (401 or 403) otherwise.
pub(crate) fn admit<B>(
    request: &Request<B>,
    router: &Router,
    peer: &Peer,
    method: &str,
) -> Result<(), Refusal> {
    let Some(auth) = router.authorizer() else {
        return Ok(());
    };
    let authorization = match request.headers().get(header::AUTHORIZATION) {
        None => None,
        Some(value) => Some(value.to_str().map_err(|_| {
            let message = "the Authorization header is not text; send Bearer TOKEN";
            Refusal::new(Status::Unauthenticated, message)
        })?),
    };
    match auth.authorize(method, authorization, peer) {
        Ok(_) => Ok(()),
        Err(err) => Err(Refusal::new(
            err.status(),
            err.message().unwrap_or_default(),
        )),
    }
}

/// Whether `request` carries credentials, for the challenge of its answer.
pub(crate) fn sends_credentials<B>(request: &Request<B>) -> bool {
    request.headers().contains_key(header::AUTHORIZATION)
}

/// Adds `WWW-Authenticate: Bearer` to a 401 that has none (HTTP requires one), with
/// `error="invalid_token"` when the request did send credentials.
pub(crate) fn challenge<B>(response: &mut Response<B>, sent_credentials: bool) {
    if response.status() != StatusCode::UNAUTHORIZED
        || response.headers().contains_key(header::WWW_AUTHENTICATE)
    {
        return;
    }
    let value = if sent_credentials {
        INVALID_TOKEN
    } else {
        CHALLENGE
    };
    let headers = response.headers_mut();
    headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(value));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answered(status: StatusCode, sent: bool) -> Response<()> {
        let mut response = Response::new(());
        *response.status_mut() = status;
        challenge(&mut response, sent);
        response
    }

    #[test]
    fn a_401_is_challenged_and_says_invalid_token_when_one_was_sent() {
        let bare = answered(StatusCode::UNAUTHORIZED, false);
        assert_eq!(bare.headers()[header::WWW_AUTHENTICATE], CHALLENGE);
        let invalid = answered(StatusCode::UNAUTHORIZED, true);
        assert_eq!(invalid.headers()[header::WWW_AUTHENTICATE], INVALID_TOKEN);
        for status in [StatusCode::OK, StatusCode::FORBIDDEN] {
            let response = answered(status, true);
            assert!(!response.headers().contains_key(header::WWW_AUTHENTICATE));
        }
    }
}
