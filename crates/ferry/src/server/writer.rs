//! The task that owns a connection's write half: it encodes every queued frame into one buffer
//! and writes it with one call, so many answers share a syscall under load.

use bytes::BytesMut;
use tokio::{
    io::{AsyncWrite, AsyncWriteExt},
    sync::mpsc,
};

use ferry_wire::{Frame, Response};

/// A frame on its way to the writer. Responses, sent for every call, travel inline; the other
/// kinds are rare and boxed, which keeps the queue's slots small: an idle connection's queue
/// holds a block of 32 of them from the start.
pub(crate) enum Outgoing {
    Response(Response),
    Other(Box<Frame>),
}

impl From<Frame> for Outgoing {
    fn from(frame: Frame) -> Outgoing {
        match frame {
            Frame::Response(response) => Outgoing::Response(response),
            other => Outgoing::Other(Box::new(other)),
        }
    }
}

impl Outgoing {
    fn encode(&self, out: &mut BytesMut) {
        match self {
            Outgoing::Response(response) => response.encode(out),
            Outgoing::Other(frame) => frame.encode(out),
        }
    }
}

/// Stop gathering and write once this much is buffered.
const COALESCE_LIMIT: usize = 256 * 1024;

/// Writes the frames queued on `frames` until every sender is gone, then shuts the socket down.
pub(crate) async fn run<W: AsyncWrite + Unpin>(mut write: W, mut frames: mpsc::Receiver<Outgoing>) {
    // Allocated by the first answer, so an idle connection holds no write buffer.
    let mut out = BytesMut::new();
    while let Some(frame) = frames.recv().await {
        frame.encode(&mut out);
        while out.len() < COALESCE_LIMIT {
            match frames.try_recv() {
                Ok(frame) => frame.encode(&mut out),
                Err(_) => break,
            }
        }
        if write.write_all(&out).await.is_err() {
            return;
        }
        out.clear();
        if out.capacity() > 2 * COALESCE_LIMIT {
            // A large frame grew it: let that memory go rather than keep it for every write.
            out = BytesMut::new();
        }
    }
    let _ = write.shutdown().await;
}
