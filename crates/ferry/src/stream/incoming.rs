//! The receiving end of a stream, before its items are decoded.

use std::{
    fmt,
    sync::Arc,
    task::{Context, Poll},
};

use bytes::Bytes;
use tokio::sync::mpsc;

use ferry_wire::{stream::DEFAULT_WINDOW, Status};

use super::Port;
use crate::{CallError, Reply};

/// What a connection hands a stream's consumer, in order.
#[derive(Debug)]
pub(crate) enum Incoming {
    /// A whole item, and the credit it cost.
    Item { body: Bytes, cost: u64 },
    /// The peer ended the stream (or the call) with this status.
    End(Reply),
    /// The stream ended on this side: the deadline passed, the connection broke.
    Failed(CallError),
}

/// A stream's next item or its end, undecoded (see
/// [`ItemStream::recv_raw`](super::ItemStream::recv_raw)).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RawItem {
    /// One item, encoded with the connection's codec.
    Item(Bytes),
    /// The peer's end, with its status and body: the call's answer, on a caller's stream.
    End(Reply),
}

/// The consumer's end of a stream: items in the order they came, the credit they cost
/// reported back to the connection as they are taken.
pub(crate) struct RawSource {
    call_id: u32,
    items: mpsc::UnboundedReceiver<Incoming>,
    port: Arc<dyn Port>,
    /// Credit taken and not yet reported.
    untold: u64,
    ended: bool,
}

impl fmt::Debug for RawSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawSource")
            .field("call_id", &self.call_id)
            .field("ended", &self.ended)
            .finish_non_exhaustive()
    }
}

/// Taken items are reported in batches of this much credit, or whenever the consumer has to
/// wait: a report per small item would cost a message each.
const REPORT_EVERY: u64 = DEFAULT_WINDOW / 8;

impl RawSource {
    pub(crate) fn new(
        call_id: u32,
        items: mpsc::UnboundedReceiver<Incoming>,
        port: Arc<dyn Port>,
    ) -> RawSource {
        RawSource {
            call_id,
            items,
            port,
            untold: 0,
            ended: false,
        }
    }

    /// The next item, or how the stream ended (once; then `None`): the peer's end, or an end
    /// this side decided (`Err`).
    pub(crate) fn poll_next(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<RawItem, CallError>>> {
        if self.ended {
            return Poll::Ready(None);
        }
        let incoming = match self.items.poll_recv(cx) {
            Poll::Pending => {
                self.report();
                return Poll::Pending;
            }
            Poll::Ready(incoming) => incoming,
        };
        let end = match incoming {
            Some(Incoming::Item { body, cost }) => {
                self.untold += cost;
                if self.untold >= REPORT_EVERY {
                    self.report();
                }
                return Poll::Ready(Some(Ok(RawItem::Item(body))));
            }
            Some(Incoming::End(reply)) => Ok(RawItem::End(reply)),
            Some(Incoming::Failed(err)) => Err(err),
            None => Err(CallError::new(
                Status::Unavailable,
                "the connection closed in the middle of the stream",
            )),
        };
        self.ended = true;
        Poll::Ready(Some(end))
    }

    /// Gives up on the stream now: the peer is told to stop.
    pub(crate) fn abandon(&mut self) {
        if !self.ended {
            self.ended = true;
            self.port.stop_reading(self.call_id);
        }
    }

    fn report(&mut self) {
        if self.untold > 0 {
            self.port
                .taken(self.call_id, std::mem::take(&mut self.untold));
        }
    }
}

impl Drop for RawSource {
    fn drop(&mut self) {
        if !self.ended {
            self.port.stop_reading(self.call_id);
        }
    }
}
