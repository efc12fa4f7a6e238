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
    /// A TCP peer that spoke TLS, with what its handshake settled.
    Tls(Arc<TlsPeer>),
}

/// What a TLS handshake told the server about its peer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TlsPeer {
    /// The peer's TCP address.
    pub address: SocketAddr,
    /// The identity of the client certificate the server verified (mTLS): its subject's
    /// common name, or its first DNS name when it has none. `None` without a certificate.
    pub identity: Option<String>,
    /// The protocol ALPN settled on (`h2`, `http/1.1`), if any.
    pub alpn: Option<Vec<u8>>,
}

impl Peer {
    /// The verified client certificate's identity, on a TLS connection with mTLS.
    pub fn tls_identity(&self) -> Option<&str> {
        match self {
            Peer::Tls(tls) => tls.identity.as_deref(),
            _ => None,
        }
    }

    /// The TLS session's details, when the connection spoke TLS.
    pub fn tls(&self) -> Option<&TlsPeer> {
        match self {
            Peer::Tls(tls) => Some(tls),
            _ => None,
        }
    }

    /// The peer's IP address and port, for TCP peers with or without TLS.
    pub fn socket_address(&self) -> Option<SocketAddr> {
        match self {
            Peer::Tcp(address) => Some(*address),
            Peer::Tls(tls) => Some(tls.address),
            _ => None,
        }
    }
}

impl fmt::Display for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Peer::Tcp(address) => write!(f, "{address}"),
            Peer::Unix(Some(path)) => write!(f, "unix:{}", path.display()),
            Peer::Unix(None) => f.write_str("unix:(unnamed)"),
            Peer::Unknown => f.write_str("unknown"),
            Peer::Tls(tls) => write!(f, "{} (tls)", tls.address),
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
