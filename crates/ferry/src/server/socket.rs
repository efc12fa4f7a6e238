//! A connection handed to a dialect: the socket, with the bytes read to sniff it put back in
//! front so the dialect reads the connection from its first byte, and the peer's address.

use std::{
    io,
    pin::Pin,
    task::{Context, Poll},
};

use bytes::{Buf, BytesMut};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::context::Peer;

/// Any byte stream a server accepts.
trait ByteStream: AsyncRead + AsyncWrite + Send + Unpin + 'static {}

impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> ByteStream for T {}

/// An accepted connection whose already-read first bytes are replayed before the socket's.
pub struct Socket {
    replay: BytesMut,
    socket: Box<dyn ByteStream>,
    peer: Peer,
}

impl Socket {
    pub(crate) fn new<S>(replay: BytesMut, socket: S, peer: Peer) -> Socket
    where
        S: AsyncRead + AsyncWrite + Send + Unpin + 'static,
    {
        Socket {
            replay,
            socket: Box::new(socket),
            peer,
        }
    }

    /// Who is at the other end.
    pub fn peer(&self) -> &Peer {
        &self.peer
    }
}

impl std::fmt::Debug for Socket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Socket")
            .field("peer", &self.peer)
            .field("replay_len", &self.replay.len())
            .finish_non_exhaustive()
    }
}

impl AsyncRead for Socket {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.replay.is_empty() {
            return Pin::new(&mut self.socket).poll_read(cx, buf);
        }
        let n = self.replay.len().min(buf.remaining());
        buf.put_slice(&self.replay[..n]);
        self.replay.advance(n);
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for Socket {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.socket).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.socket).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.socket.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.socket).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.socket).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    #[tokio::test]
    async fn replays_the_sniffed_bytes_before_the_socket() {
        let (mut peer, socket) = tokio::io::duplex(64);
        let mut stream = Socket::new(BytesMut::from(&b"GET "[..]), socket, Peer::Unknown);
        peer.write_all(b"/ HTTP/1.1").await.unwrap();
        drop(peer);
        let mut everything = String::new();
        stream.read_to_string(&mut everything).await.unwrap();
        assert_eq!(everything, "GET / HTTP/1.1");
    }
}
