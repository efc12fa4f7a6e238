//! Where a server listens or a client connects: `HOST:PORT`, `tls://HOST:PORT` (clients) or
//! `unix:PATH`.

use std::{convert::Infallible, fmt, path::PathBuf, str::FromStr};

/// A TCP `HOST:PORT`, the same over TLS written `tls://HOST:PORT`, or a Unix socket path
/// written `unix:PATH`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Address {
    /// `HOST:PORT`, resolved when connecting or binding.
    Tcp(String),
    /// A Unix domain socket.
    Unix(PathBuf),
    /// `HOST:PORT` spoken to over TLS, the server's certificate checked against `HOST` and the
    /// CAs of [`ClientConfig::tls`](crate::ClientConfig::tls). Clients only: a server's TLS
    /// is set with [`Server::with_tls`](crate::Server::with_tls).
    Tls(String),
}

impl FromStr for Address {
    type Err = Infallible;

    fn from_str(text: &str) -> Result<Address, Infallible> {
        Ok(if let Some(path) = text.strip_prefix("unix:") {
            Address::Unix(PathBuf::from(path))
        } else if let Some(host_port) = text.strip_prefix("tls://") {
            Address::Tls(host_port.to_owned())
        } else {
            Address::Tcp(text.to_owned())
        })
    }
}

impl From<&str> for Address {
    fn from(text: &str) -> Address {
        let Ok(address) = text.parse();
        address
    }
}

impl From<String> for Address {
    fn from(text: String) -> Address {
        Address::from(text.as_str())
    }
}

impl From<std::net::SocketAddr> for Address {
    fn from(addr: std::net::SocketAddr) -> Address {
        Address::Tcp(addr.to_string())
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Address::Tcp(host_port) => f.write_str(host_port),
            Address::Unix(path) => write!(f, "unix:{}", path.display()),
            Address::Tls(host_port) => write!(f, "tls://{host_port}"),
        }
    }
}
