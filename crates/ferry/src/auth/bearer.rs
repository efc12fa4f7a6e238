//! The `authorization: Bearer TOKEN` metadata: read on the server, sent by the client.

use std::fmt;

use ferry_wire::{ByteStr, Metadata};

use crate::layer::ClientLayer;

/// The metadata key (and, over HTTP, the header) a token travels in.
pub const AUTHORIZATION: &str = "authorization";

/// The token of an `authorization` value `Bearer TOKEN`; the scheme in any case, as RFC 9110
/// reads it. `None` for any other scheme or an empty token.
pub fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim_start();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// A client layer sending `authorization: Bearer TOKEN` with every call.
///
/// ```
/// use ferry::{auth::BearerToken, ClientConfig};
///
/// let config = ClientConfig::default().layer(BearerToken::new("6f1c9e0d8a7b"));
/// # let _ = config;
/// ```
#[derive(Clone)]
pub struct BearerToken {
    /// The whole value, `Bearer TOKEN`, made once.
    value: ByteStr,
}

impl BearerToken {
    /// The layer sending `token`.
    pub fn new(token: &str) -> BearerToken {
        BearerToken {
            value: ByteStr::from(format!("Bearer {token}")),
        }
    }
}

impl ClientLayer for BearerToken {
    fn before(&self, _method: &str, metadata: &mut Metadata) {
        metadata.push((ByteStr::from_static(AUTHORIZATION), self.value.clone()));
    }
}

impl fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the token: a Debug print ends up in logs.
        f.debug_struct("BearerToken").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scheme_is_read_in_any_case_and_the_token_after_it() {
        assert_eq!(bearer_token("Bearer abc"), Some("abc"));
        assert_eq!(bearer_token("bearer abc"), Some("abc"));
        assert_eq!(bearer_token("BEARER  abc "), Some("abc"));
        assert_eq!(bearer_token("Basic abc"), None);
        assert_eq!(bearer_token("Bearer"), None);
        assert_eq!(bearer_token("Bearer "), None);
        assert_eq!(bearer_token("abc"), None);
    }

    #[test]
    fn the_layer_sends_the_token_and_never_prints_it() {
        let layer = BearerToken::new("s3cr3t");
        let mut metadata = Metadata::new();
        layer.before("calc.add", &mut metadata);
        assert_eq!(metadata.len(), 1);
        assert_eq!(
            (&*metadata[0].0, &*metadata[0].1),
            ("authorization", "Bearer s3cr3t")
        );
        assert!(!format!("{layer:?}").contains("s3cr3t"));
    }
}
