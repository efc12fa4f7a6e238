//! Who is at the other end of a call's connection.

use std::{fmt, net::SocketAddr, path::Path, sync::Arc};

/// The address a call came from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Peer {
    /// A TCP peer.
    Tcp(SocketAddr),
    /// A Unix socket peer, with its path when it bound one (most clients do not).
    Unix(Option<Arc<Path>>),
    /// A peer whose address the server was not told (a call made in-process, say).
    Unknown,
}

impl fmt::Display for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Peer::Tcp(address) => write!(f, "{address}"),
            Peer::Unix(Some(path)) => write!(f, "unix:{}", path.display()),
            Peer::Unix(None) => f.write_str("unix:(unnamed)"),
            Peer::Unknown => f.write_str("unknown"),
        }
    }
}

impl From<SocketAddr> for Peer {
    fn from(address: SocketAddr) -> Peer {
        Peer::Tcp(address)
    }
}

impl From<&tokio::net::unix::SocketAddr> for Peer {
    fn from(address: &tokio::net::unix::SocketAddr) -> Peer {
        Peer::Unix(address.as_pathname().map(Arc::from))
    }
}
