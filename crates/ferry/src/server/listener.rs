//! TCP and Unix listeners behind one accept call.

use std::{io, net::SocketAddr, path::PathBuf};

use socket2::{Domain, Protocol, Socket, Type};
use tokio::net::{TcpListener, TcpStream, UnixListener, UnixStream};

use crate::{context::Peer, Address};

/// Connections the kernel queues before `accept`, as tokio's own `bind` asks for.
const LISTEN_BACKLOG: i32 = 1024;

#[derive(Debug)]
pub(crate) enum Listener {
    Tcp(TcpListener),
    Unix(UnixListener, PathBuf),
}

/// An accepted connection and who is at its other end.
pub(crate) enum Accepted {
    Tcp(TcpStream, Peer),
    Unix(UnixStream, Peer),
}

impl Listener {
    /// Binds `address`; with `reuse_port`, a TCP port other listeners may share.
    pub(crate) async fn bind(address: &Address, reuse_port: bool) -> io::Result<Listener> {
        match address {
            Address::Tcp(host_port) if reuse_port => {
                Ok(Listener::Tcp(bind_shared(host_port).await?))
            }
            Address::Tcp(host_port) => {
                Ok(Listener::Tcp(TcpListener::bind(host_port.as_str()).await?))
            }
            Address::Unix(path) => {
                remove_stale_socket(path).await;
                Ok(Listener::Unix(UnixListener::bind(path)?, path.clone()))
            }
            Address::Tls(_) => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{address}: a server listens on HOST:PORT and takes its TLS certificate apart (Server::with_tls, --tls-cert)"),
            )),
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
                let (stream, peer) = listener.accept().await?;
                stream.set_nodelay(true)?;
                Ok(Accepted::Tcp(stream, Peer::from(peer)))
            }
            Listener::Unix(listener, _) => {
                let (stream, peer) = listener.accept().await?;
                Ok(Accepted::Unix(stream, Peer::from(&peer)))
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

/// Binds the first address `host_port` resolves to that takes it, with `SO_REUSEPORT`.
async fn bind_shared(host_port: &str) -> io::Result<TcpListener> {
    let mut last_error = None;
    for address in tokio::net::lookup_host(host_port).await? {
        match bind_reusable(address) {
            Ok(listener) => return Ok(listener),
            Err(err) => last_error = Some(err),
        }
    }
    Err(last_error.unwrap_or_else(|| {
        let message = format!("{host_port} resolves to no address");
        io::Error::new(io::ErrorKind::InvalidInput, message)
    }))
}

fn bind_reusable(address: SocketAddr) -> io::Result<TcpListener> {
    let socket = Socket::new(
        Domain::for_address(address),
        Type::STREAM,
        Some(Protocol::TCP),
    )?;
    socket.set_reuse_address(true)?;
    socket.set_reuse_port(true)?;
    socket.set_nonblocking(true)?;
    socket.bind(&address.into())?;
    socket.listen(LISTEN_BACKLOG)?;
    TcpListener::from_std(socket.into())
}

/// A socket file left by a server that is gone would make bind fail; one that answers is kept.
async fn remove_stale_socket(path: &PathBuf) {
    if path.exists() && UnixStream::connect(path).await.is_err() {
        let _ = std::fs::remove_file(path);
    }
}
