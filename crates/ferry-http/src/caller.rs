//! What every call of one HTTP request carries, read once from its head: the metadata, by the
//! one rule of every HTTP dialect, the peer and the deadline.
//!
//! ```text
//!  x-ferry-user: alice          ─▶  user = alice
//!  authorization: Bearer t      ─▶  authorization = Bearer t
//!  traceparent / tracestate     ─▶  under their own names
//!  x-ferry-timeout: 2.5         ─▶  the deadline, not metadata
//!  anything else                ─▶  not metadata
//! ```

use std::borrow::Cow;

use bytes::Bytes;
use ferry::{ByteStr, Call, Codec, Context, Dialect, Metadata, Peer, Status};
use http::{HeaderMap, Request};
use tokio::time::Instant;

use crate::{deadline, refusal::Refusal};

/// The prefix that makes a header metadata, taken off its name.
pub(crate) const METADATA_PREFIX: &str = "x-ferry-";

/// Headers that pass into metadata under their own names.
const PASSED_THROUGH: [&str; 3] = ["authorization", "traceparent", "tracestate"];

/// The caller of one request, for the context of each call it makes.
#[derive(Debug)]
pub(crate) struct Caller {
    metadata: Metadata,
    peer: Peer,
    deadline: Option<Instant>,
}

impl Caller {
    /// Reads `request`'s head; a refusal for a header value that is not text or a timeout that
    /// is not a number of seconds.
    pub(crate) fn of<B>(request: &Request<B>, peer: &Peer) -> Result<Caller, Refusal> {
        let allowed = deadline::time_allowed(request.headers())
            .map_err(|message| Refusal::new(Status::Protocol, message))?;
        Ok(Caller {
            metadata: metadata(request.headers())?,
            peer: peer.clone(),
            deadline: allowed.map(|time| Instant::now() + time),
        })
    }

    /// The call of `method` with JSON arguments `args`, as `dialect` received it.
    pub(crate) fn call(&self, dialect: Dialect, method: ByteStr, args: Bytes) -> Call {
        self.call_in(Codec::Json, dialect, method, args)
    }

    /// [`Caller::call`] with arguments encoded with `codec`.
    pub(crate) fn call_in(
        &self,
        codec: Codec,
        dialect: Dialect,
        method: ByteStr,
        args: Bytes,
    ) -> Call {
        let ctx = Context::new(method, dialect, self.peer.clone())
            .with_metadata(self.metadata.clone())
            .with_deadline(self.deadline);
        Call::new(codec, ctx, args)
    }
}

/// The metadata `headers` carry, in the order they came.
fn metadata(headers: &HeaderMap) -> Result<Metadata, Refusal> {
    let mut metadata = Metadata::new();
    for (name, value) in headers {
        let Some(key) = metadata_key(name.as_str()) else {
            continue;
        };
        let value = value.to_str().map_err(|_| {
            let message = format!("the {name} header is not text; metadata values must be");
            Refusal::new(Status::Protocol, message)
        })?;
        metadata.push((ByteStr::from(key), ByteStr::from(value)));
    }
    Ok(metadata)
}

/// The header that carries metadata `key` by the rule, for clients: the inverse of
/// [`metadata_key`].
pub(crate) fn header_name(key: &str) -> Cow<'_, str> {
    if PASSED_THROUGH.contains(&key) {
        Cow::Borrowed(key)
    } else {
        Cow::Owned(format!("{METADATA_PREFIX}{key}"))
    }
}

/// The metadata key of a header name (lowercase, as `http` keeps them), if it has one.
fn metadata_key(name: &str) -> Option<&str> {
    if name == deadline::HEADER {
        return None;
    }
    match name.strip_prefix(METADATA_PREFIX) {
        Some(key) if !key.is_empty() => Some(key),
        Some(_) => None,
        None => PASSED_THROUGH.contains(&name).then_some(name),
    }
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(*name, HeaderValue::from_static(value));
        }
        headers
    }

    fn pairs(metadata: &Metadata) -> Vec<(&str, &str)> {
        metadata.iter().map(|(k, v)| (&**k, &**v)).collect()
    }

    #[test]
    fn the_rule_maps_prefixed_and_passed_through_headers_only() {
        let headers = headers(&[
            ("x-ferry-user", "alice"),
            ("authorization", "Bearer t"),
            ("traceparent", "00-abc-def-01"),
            ("tracestate", "k=v"),
            ("x-ferry-timeout", "2"),
            ("x-ferry-", "nameless"),
            ("content-type", "application/json"),
            ("user-agent", "curl"),
        ]);
        assert_eq!(
            pairs(&metadata(&headers).unwrap()),
            [
                ("user", "alice"),
                ("authorization", "Bearer t"),
                ("traceparent", "00-abc-def-01"),
                ("tracestate", "k=v"),
            ]
        );
    }

    #[test]
    fn a_client_sends_each_key_under_the_header_the_rule_reads_it_from() {
        for key in ["user", "authorization", "traceparent", "tracestate", "x"] {
            assert_eq!(metadata_key(&header_name(key)), Some(key));
        }
    }

    #[test]
    fn a_repeated_header_gives_a_pair_for_each_value() {
        let headers = headers(&[("x-ferry-tag", "a"), ("x-ferry-tag", "b")]);
        assert_eq!(
            pairs(&metadata(&headers).unwrap()),
            [("tag", "a"), ("tag", "b")]
        );
    }

    #[test]
    fn a_value_that_is_not_text_is_refused() {
        let mut headers = HeaderMap::new();
        headers.insert("x-ferry-user", HeaderValue::from_bytes(b"caf\xe9").unwrap());
        assert!(metadata(&headers).is_err());
    }
}
