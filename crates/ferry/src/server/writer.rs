//! The task that owns a connection's write half: it encodes every queued frame into one buffer
//! and writes it with one call, so many answers share a syscall under load.

use tokio::{
    io::{AsyncWrite, AsyncWriteExt},
    sync::mpsc,
};

use ferry_wire::{Frame, Response};

use crate::{write_batch::WRITE_BATCH_LIMIT, write_queue::WriteQueue};

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
    fn queue(&self, out: &mut WriteQueue) {
        match self {
            Outgoing::Response(response) => {
                out.push_encoded(|dst| response.encode_head(dst));
                out.push_body(&response.body);
            }
            Outgoing::Other(frame) => out.push_encoded(|dst| frame.encode(dst)),
        }
    }
}

/// Writes the frames queued on `frames` until every sender is gone, then shuts the socket down.
pub(crate) async fn run<W: AsyncWrite + Unpin>(mut write: W, mut frames: mpsc::Receiver<Outgoing>) {
    // Allocated by the first answer, so an idle connection holds no write buffer.
    let mut out = WriteQueue::default();
    while let Some(frame) = frames.recv().await {
        frame.queue(&mut out);
        while out.len() < WRITE_BATCH_LIMIT {
            match frames.try_recv() {
                Ok(frame) => frame.queue(&mut out),
                Err(_) => break,
            }
        }
        if write.write_all_buf(&mut out).await.is_err() {
            return;
        }
        // A burst of frames grew it: let that memory go rather than keep it for every write.
        out.release_if_larger(2 * WRITE_BATCH_LIMIT);
    }
    let _ = write.shutdown().await;
}
