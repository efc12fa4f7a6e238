//! TCP and Unix listeners behind one accept call.

use std::{io, path::PathBuf};

use tokio::net::{TcpListener, TcpStream, UnixListener, UnixStream};

use crate::Address;

pub(crate) enum Listener {
    Tcp(TcpListener),
    Unix(UnixListener, PathBuf),
}

/// An accepted connection.
pub(crate) enum Accepted {
    Tcp(TcpStream),
    Unix(UnixStream),
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
                Ok(Accepted::Tcp(stream))
            }
            Listener::Unix(listener, _) => {
                let (stream, _) = listener.accept().await?;
                Ok(Accepted::Unix(stream))
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
