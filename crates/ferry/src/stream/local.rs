//! A call's streams carried by the dialect itself, in the same process: REST feeds a handler's
//! source from an NDJSON request body and writes its sink to the response. The same credit
//! rules hold as on the native protocol: a feed waits for the handler to take items, and a tap
//! grants the handler credit only as its items are taken.
//!
//! ```text
//!  request body ─▶ ItemFeed ─(credit)─▶ handler's Source
//!  response     ◀─ ItemTap  ◀(credit)── handler's Sink
//! ```

use std::{
    fmt,
    future::poll_fn,
    sync::Arc,
    task::{Context, Poll},
};

use bytes::Bytes;
use tokio::sync::mpsc;

use ferry_wire::{stream::cost, Status};

use super::{
    Incoming, Port, RawSink, RawSource, SendWindow, StreamEnds, StreamError, StreamLimits,
};
use crate::{Call, Codec, MethodDescriptor, Reply};

/// The dialect's ends of a call's streams (see [`Call::with_local_streams`]).
#[derive(Debug)]
#[non_exhaustive]
pub struct LocalStreams {
    /// Where the caller's items go, for a method that takes a stream.
    pub feed: Option<ItemFeed>,
    /// Where the handler's items come out, for a method that sends one.
    pub tap: Option<ItemTap>,
}

/// The connection side of in-process streams.
struct LocalPort {
    /// The handler's items, to the tap.
    items: mpsc::UnboundedSender<Bytes>,
    /// The feed's credit: the handler's source grants it as it takes items.
    feed_window: Arc<SendWindow>,
}

impl Port for LocalPort {
    fn item(&self, _call_id: u32, head: Bytes, body: Bytes, _more: bool) {
        // Never cut: in-process items have no frame to fit.
        let item = if head.is_empty() {
            body
        } else {
            [head, body].concat().into()
        };
        let _ = self.items.send(item);
    }

    fn taken(&self, _call_id: u32, cost: u64) {
        self.feed_window.grant(cost);
    }

    fn stop_reading(&self, _call_id: u32) {
        let reason = StreamError::new(Status::Cancelled, "the handler stopped reading the stream");
        self.feed_window.close(reason.into());
    }
}

impl Call {
    /// Opens the streams a call of `described` carries, in this process, for a dialect that
    /// moves the items itself; the call to dispatch and the dialect's ends. A method that
    /// streams neither way gets none.
    pub fn with_local_streams(
        self,
        described: &MethodDescriptor,
        limits: &StreamLimits,
    ) -> (Call, LocalStreams) {
        let (items, tapped) = mpsc::unbounded_channel();
        let feed_window = Arc::new(SendWindow::new());
        let port: Arc<dyn Port> = Arc::new(LocalPort {
            items,
            feed_window: feed_window.clone(),
        });
        let window = limits.window.max(ferry_wire::stream::INITIAL_CREDIT);
        let opening = window - ferry_wire::stream::INITIAL_CREDIT;
        let (feed, source) = match described.client_stream {
            Some(_) => {
                feed_window.grant(opening);
                let (tx, rx) = mpsc::unbounded_channel();
                let feed = ItemFeed {
                    window: feed_window,
                    items: Some(tx),
                    max_item: limits.max_item_len,
                };
                (Some(feed), Some(RawSource::new(0, rx, port.clone())))
            }
            None => (None, None),
        };
        let (tap, sink) = match described.server_stream {
            Some(_) => {
                let sink_window = Arc::new(SendWindow::new());
                sink_window.grant(opening);
                let tap = ItemTap {
                    items: tapped,
                    window: sink_window.clone(),
                };
                let sink = RawSink::new(0, sink_window, port, usize::MAX);
                (Some(tap), Some(sink))
            }
            None => (None, None),
        };
        let call = self.with_streams(StreamEnds { source, sink });
        (call, LocalStreams { feed, tap })
    }
}

/// Feeds a handler's source with the caller's items, as the handler takes them.
pub struct ItemFeed {
    window: Arc<SendWindow>,
    /// Taken by the end of the stream.
    items: Option<mpsc::UnboundedSender<Incoming>>,
    max_item: usize,
}

impl fmt::Debug for ItemFeed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ItemFeed")
            .field("max_item", &self.max_item)
            .finish_non_exhaustive()
    }
}

impl ItemFeed {
    /// The largest item the handler takes.
    pub fn max_item_len(&self) -> usize {
        self.max_item
    }

    /// Hands one item (encoded with the call's codec) to the handler, once it has room. An
    /// error: the handler stopped reading, or the call is over.
    pub async fn send(&mut self, item: Bytes) -> Result<(), StreamError> {
        if item.len() > self.max_item {
            let message = format!(
                "a stream item of {} bytes is over this server's {}-byte limit",
                item.len(),
                self.max_item
            );
            return Err(StreamError::new(Status::TooLarge, message));
        }
        let price = cost(item.len());
        poll_fn(|cx| self.window.poll_spend(cx, price)).await?;
        let sent = self.items.as_ref().map(|items| {
            items.send(Incoming::Item {
                body: item,
                cost: price,
            })
        });
        match sent {
            Some(Ok(())) => Ok(()),
            _ => Err(StreamError::new(Status::Cancelled, "the call is over")),
        }
    }

    /// Ends the caller's stream cleanly: the handler's source yields `None`.
    pub fn finish(mut self) {
        self.end(Reply {
            status: Status::Ok,
            body: Bytes::new(),
        });
    }

    /// Ends the caller's stream with an error the handler's source yields.
    pub fn fail(mut self, codec: Codec, status: Status, message: &str) {
        self.end(Reply::error(codec, status, message));
    }

    fn end(&mut self, reply: Reply) {
        if let Some(items) = self.items.take() {
            let _ = items.send(Incoming::End(reply));
        }
    }
}

impl Drop for ItemFeed {
    fn drop(&mut self) {
        let message = "the caller's stream ended without saying it was complete";
        self.end(Reply::error(Codec::Json, Status::Cancelled, message));
    }
}

/// Takes the items a handler sends, granting it credit as they are taken.
pub struct ItemTap {
    items: mpsc::UnboundedReceiver<Bytes>,
    window: Arc<SendWindow>,
}

impl fmt::Debug for ItemTap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ItemTap").finish_non_exhaustive()
    }
}

impl ItemTap {
    /// The handler's next item, encoded with the call's codec; `None` once the handler has
    /// let go of its sink (its call's answer says how it ended).
    pub async fn recv(&mut self) -> Option<Bytes> {
        poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// Polls for the next item.
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<Bytes>> {
        self.items.poll_recv(cx).map(|item| {
            let item = item?;
            self.window.grant(cost(item.len()));
            Some(item)
        })
    }

    /// The next item if one is waiting.
    pub fn try_recv(&mut self) -> Option<Bytes> {
        let item = self.items.try_recv().ok()?;
        self.window.grant(cost(item.len()));
        Some(item)
    }
}
