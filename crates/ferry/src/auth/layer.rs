//! The server side: the layer that finds each call's identity and checks its patterns.

use std::sync::Arc;

use ferry_wire::Status;

use super::{
    bearer::{bearer_token, AUTHORIZATION},
    tokens::{Grant, Tokens},
    Identity, LISTING,
};
use crate::{layer::Layer, CallError, Context, Peer};

/// Refuses every call whose credentials the token table does not grant it: `unauthenticated`
/// with no credential or one it does not know, `permission_denied` for a known one outside its
/// patterns. A call let through carries its [`Identity`] (see [`Context::identity`]) and no
/// longer carries the `authorization` metadata: the token goes no further than this layer.
///
/// Install it with [`Router::auth`](crate::Router::auth), so that the HTTP routes that are not
/// calls (the pages, the OpenAPI document, files over HTTP) ask it too. Cloning is cheap.
#[derive(Debug, Clone)]
pub struct Auth {
    tokens: Arc<Tokens>,
}

impl Auth {
    /// The layer granting what `tokens` grants.
    pub fn new(tokens: Tokens) -> Auth {
        Auth {
            tokens: Arc::new(tokens),
        }
    }

    /// The identity that may call `method` with the `authorization` value `authorization`
    /// (`Bearer TOKEN`) from `peer`, or the refusal. A token, when sent, decides alone; without
    /// one, the peer's verified client certificate is looked up as a `cert:NAME` line.
    /// [`LISTING`] is granted to every identity, whatever its patterns.
    pub fn authorize(
        &self,
        method: &str,
        authorization: Option<&str>,
        peer: &Peer,
    ) -> Result<Identity, CallError> {
        let grant = self.grant(authorization, peer).inspect_err(|refusal| {
            tracing::debug!(method, %peer, %refusal, "refused a call it could not authenticate");
        })?;
        let identity = &grant.identity;
        if method == LISTING || grant.allows(method) {
            tracing::trace!(method, %identity, "authorized a call");
            return Ok(identity.clone());
        }
        tracing::debug!(method, %peer, %identity, "refused a call outside its patterns");
        let message = format!("{identity} may not call {method} on this server");
        Err(CallError::new(Status::PermissionDenied, message))
    }

    /// The line the credentials match.
    fn grant(&self, authorization: Option<&str>, peer: &Peer) -> Result<&Grant, CallError> {
        let refused = |message: String| CallError::new(Status::Unauthenticated, message);
        if let Some(value) = authorization {
            let token = bearer_token(value).ok_or_else(|| {
                refused("the authorization metadata is not `Bearer TOKEN`; send that".to_owned())
            })?;
            return self.tokens.token(token).ok_or_else(|| {
                refused("the bearer token is not one this server knows; check it".to_owned())
            });
        }
        match peer.tls_identity() {
            Some(name) => self.tokens.certificate(name).ok_or_else(|| {
                refused(format!(
                    "the client certificate {name} is granted nothing here; send \
                     authorization: Bearer TOKEN"
                ))
            }),
            None => Err(refused(format!(
                "this server needs a token: send {AUTHORIZATION}: Bearer TOKEN (over HTTP, the \
                 Authorization header)"
            ))),
        }
    }
}

impl Layer for Auth {
    fn before(&self, ctx: &mut Context) -> Result<(), CallError> {
        let identity = self.authorize(ctx.method(), ctx.metadata(AUTHORIZATION), ctx.peer())?;
        ctx.metadata_mut()
            .retain(|(key, _)| key.as_bytes() != AUTHORIZATION.as_bytes());
        ctx.extensions_mut().insert(identity);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use ferry_wire::ByteStr;

    use super::*;
    use crate::{auth::Credential, Dialect, TlsPeer};

    const FILE: &str = "t-ops ops\nt-alice alice calc.*\ncert:bot.example ci echo.*\n";

    fn auth() -> Auth {
        Auth::new(Tokens::parse(FILE).unwrap())
    }

    fn address() -> SocketAddr {
        "127.0.0.1:4000".parse().unwrap()
    }

    /// A TLS peer whose client certificate was verified as `identity`.
    fn tls(identity: Option<&str>) -> Peer {
        Peer::Tls(Arc::new(TlsPeer {
            address: address(),
            identity: identity.map(str::to_owned),
            alpn: None,
        }))
    }

    fn context(method: &str, authorization: Option<&str>, peer: Peer) -> Context {
        let metadata = authorization
            .map(|value| (ByteStr::from(AUTHORIZATION), ByteStr::from(value)))
            .into_iter()
            .chain([(ByteStr::from("user"), ByteStr::from("kept"))])
            .collect();
        Context::new(ByteStr::from(method), Dialect::Native, peer).with_metadata(metadata)
    }

    fn status(result: Result<(), CallError>) -> Option<Status> {
        result.err().map(|err| err.status())
    }

    #[test]
    fn a_known_token_inside_its_patterns_passes_with_its_identity_and_no_token() {
        let mut ctx = context("calc.add", Some("bearer t-alice"), Peer::from(address()));
        assert_eq!(status(auth().before(&mut ctx)), None);
        let identity = ctx.identity().expect("an identity");
        assert_eq!(identity, &Identity::new("alice", Credential::Token));
        assert_eq!(ctx.metadata(AUTHORIZATION), None, "the token is dropped");
        assert_eq!(ctx.metadata("user"), Some("kept"));
    }

    #[test]
    fn each_refusal_has_its_status() {
        let auth = auth();
        let tcp = || Peer::from(address());
        let cases = [
            (context("calc.add", None, tcp()), Status::Unauthenticated),
            (
                context("calc.add", Some("Bearer nope"), tcp()),
                Status::Unauthenticated,
            ),
            (
                context("calc.add", Some("Basic t-alice"), tcp()),
                Status::Unauthenticated,
            ),
            (
                context("echo.ping", Some("Bearer t-alice"), tcp()),
                Status::PermissionDenied,
            ),
            (
                context("_pages.metrics", Some("Bearer t-alice"), tcp()),
                Status::PermissionDenied,
            ),
        ];
        for (mut ctx, expected) in cases {
            let refused = auth.before(&mut ctx);
            assert_eq!(status(refused), Some(expected), "{}", ctx.method());
            assert!(ctx.identity().is_none());
        }
    }

    #[test]
    fn a_token_with_no_patterns_grants_everything_and_listing_is_for_every_identity() {
        let auth = auth();
        let peer = Peer::from(address());
        for method in ["calc.add", "echo.ping", "_pages.metrics", "no.such"] {
            let ops = auth.authorize(method, Some("Bearer t-ops"), &peer);
            assert_eq!(ops.unwrap().name(), "ops");
        }
        let listing = auth.authorize(LISTING, Some("Bearer t-alice"), &peer);
        assert_eq!(listing.unwrap().name(), "alice");
        let anonymous = auth.authorize(LISTING, None, &peer);
        assert_eq!(anonymous.unwrap_err().status(), Status::Unauthenticated);
    }

    #[test]
    fn a_verified_certificate_maps_to_its_cert_line_unless_a_token_is_sent() {
        let auth = auth();
        let mut ctx = context("echo.ping", None, tls(Some("bot.example")));
        assert_eq!(status(auth.before(&mut ctx)), None);
        let identity = ctx.identity().unwrap();
        assert_eq!(identity, &Identity::new("ci", Credential::Certificate));
        let mut outside = context("calc.add", None, tls(Some("bot.example")));
        assert_eq!(
            status(auth.before(&mut outside)),
            Some(Status::PermissionDenied)
        );
        // A token decides alone: the certificate is not consulted.
        let mut token = context("calc.add", Some("Bearer t-alice"), tls(Some("bot.example")));
        assert_eq!(status(auth.before(&mut token)), None);
        assert_eq!(token.identity().unwrap().name(), "alice");
        let mut bad = context("echo.ping", Some("Bearer nope"), tls(Some("bot.example")));
        assert_eq!(status(auth.before(&mut bad)), Some(Status::Unauthenticated));
        for peer in [tls(Some("stranger")), tls(None)] {
            let mut ctx = context("echo.ping", None, peer);
            assert_eq!(status(auth.before(&mut ctx)), Some(Status::Unauthenticated));
        }
    }

    #[test]
    fn no_refusal_message_repeats_the_token() {
        let auth = auth();
        let peer = Peer::from(address());
        for value in ["Bearer s3cr3t-guess", "Bearer t-alice"] {
            let refused = auth.authorize("echo.ping", Some(value), &peer).unwrap_err();
            let message = refused.to_string();
            assert!(
                !message.contains("s3cr3t") && !message.contains("t-alice"),
                "{message}"
            );
        }
    }
}
