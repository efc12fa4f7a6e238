//! A socket that counts the bytes it reads and writes into the server's totals: one relaxed
//! add per read or write call, which carries a whole batch of frames.

use std::{
    io,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::stats::ServerStats;

/// `S`, its bytes counted.
pub(crate) struct Metered<S> {
    socket: S,
    stats: Arc<ServerStats>,
}

impl<S> Metered<S> {
    pub(crate) fn new(socket: S, stats: Arc<ServerStats>) -> Metered<S> {
        Metered { socket, stats }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Metered<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.socket).poll_read(cx, buf);
        let read = buf.filled().len() - before;
        if read > 0 {
            self.stats.add_received(read);
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Metered<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.socket).poll_write(cx, buf);
        self.count_written(polled)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.socket).poll_write_vectored(cx, bufs);
        self.count_written(polled)
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

impl<S> Metered<S> {
    fn count_written(&self, polled: Poll<io::Result<usize>>) -> Poll<io::Result<usize>> {
        if let Poll::Ready(Ok(written)) = &polled {
            self.stats.add_sent(*written);
        }
        polled
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    #[tokio::test]
    async fn counts_what_goes_each_way() {
        let (mut peer, socket) = tokio::io::duplex(64);
        let stats = Arc::new(ServerStats::default());
        let mut metered = Metered::new(socket, stats.clone());
        peer.write_all(b"hello").await.unwrap();
        let mut five = [0; 5];
        metered.read_exact(&mut five).await.unwrap();
        metered.write_all(b"hi").await.unwrap();
        assert_eq!((stats.received_bytes(), stats.sent_bytes()), (5, 2));
    }
}
