//! Who a call's credentials say its caller is.

use std::{fmt, sync::Arc};

/// The identity the [`Auth`](super::Auth) layer found for a call, as its token line names it;
/// a handler reads it with [`Context::identity`](crate::Context::identity).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// Shared: every call of the identity carries a copy.
    name: Arc<str>,
    credential: Credential,
}

/// What proved the identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Credential {
    /// A bearer token (`authorization: Bearer TOKEN`).
    Token,
    /// A client certificate the TLS handshake verified (a `cert:NAME` line).
    Certificate,
}

impl Identity {
    /// The identity `name`, proved by `credential`.
    pub fn new(name: impl Into<Arc<str>>, credential: Credential) -> Identity {
        Identity {
            name: name.into(),
            credential,
        }
    }

    /// The name the token line gives (its second field).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// What proved it.
    pub fn credential(&self) -> Credential {
        self.credential
    }
}

impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}
