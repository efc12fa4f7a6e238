//! The task that owns a connection's write half: it encodes every queued frame into one buffer
//! and writes it with one call, so many answers share a syscall under load.

use bytes::BytesMut;
use tokio::{
    io::{AsyncWrite, AsyncWriteExt},
    sync::mpsc,
};

use ferry_wire::Frame;

/// Stop gathering and write once this much is buffered.
const COALESCE_LIMIT: usize = 256 * 1024;

pub(crate) async fn run<W: AsyncWrite + Unpin>(
    mut write: W,
    mut frames: mpsc::Receiver<Frame>,
    mut out: BytesMut,
) {
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
    }
    let _ = write.shutdown().await;
}
