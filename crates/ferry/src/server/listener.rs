//! TCP and Unix listeners behind one accept call.

use std::{io, path::PathBuf};

use tokio::net::{TcpListener, UnixListener, UnixStream};

use crate::Address;

pub(crate) enum Listener {
    Tcp(TcpListener),
    Unix(UnixListener, PathBuf),
}

/// An accepted connection, already split into halves a driver can own.
pub(crate) enum Accepted {
    Tcp(
        tokio::net::tcp::OwnedReadHalf,
        tokio::net::tcp::OwnedWriteHalf,
    ),
    Unix(
        tokio::net::unix::OwnedReadHalf,
        tokio::net::unix::OwnedWriteHalf,
    ),
}

impl Listener {
    pub(crate) async fn bind(address: &Address) -> io::Result<Listener> {
        match address {
            Address::Tcp(host_port) => {
                Ok(Listener::Tcp(TcpListener::bind(host_port.as_str()).await?))
            }
            Address::Unix(path) => {
                remove_stale_socket(path).await;
                Ok(Listener::Unix(UnixListener::bind(path)?, path.clone()))
            }
        }
    }

    /// The bound address, with the real port when port 0 was asked for.
    pub(crate) fn local_address(&self) -> io::Result<Address> {
        match self {
            Listener::Tcp(listener) => Ok(Address::from(listener.local_addr()?)),
            Listener::Unix(_, path) => Ok(Address::Unix(path.clone())),
        }
    }

    pub(crate) async fn accept(&self) -> io::Result<Accepted> {
        match self {
            Listener::Tcp(listener) => {
                let (stream, _) = listener.accept().await?;
                stream.set_nodelay(true)?;
                let (read, write) = stream.into_split();
                Ok(Accepted::Tcp(read, write))
            }
            Listener::Unix(listener, _) => {
                let (stream, _) = listener.accept().await?;
                let (read, write) = stream.into_split();
                Ok(Accepted::Unix(read, write))
            }
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        if let Listener::Unix(_, path) = self {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// A socket file left by a server that is gone would make bind fail; one that answers is kept.
async fn remove_stale_socket(path: &PathBuf) {
    if path.exists() && UnixStream::connect(path).await.is_err() {
        let _ = std::fs::remove_file(path);
    }
}
