//! Where a server listens or a client connects: `HOST:PORT` or `unix:PATH`.

use std::{convert::Infallible, fmt, path::PathBuf, str::FromStr};

/// A TCP `HOST:PORT` or a Unix socket path written `unix:PATH`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Address {
    /// `HOST:PORT`, resolved when connecting or binding.
    Tcp(String),
    /// A Unix domain socket.
    Unix(PathBuf),
}

impl FromStr for Address {
    type Err = Infallible;

    fn from_str(text: &str) -> Result<Address, Infallible> {
        Ok(match text.strip_prefix("unix:") {
            Some(path) => Address::Unix(PathBuf::from(path)),
            None => Address::Tcp(text.to_owned()),
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
        }
    }
}
