//! The sending end of a stream.

use std::{
    borrow::Borrow,
    fmt,
    future::{poll_fn, Future},
    marker::PhantomData,
    sync::Arc,
};

use bytes::Bytes;
use serde::Serialize;

use ferry_wire::{
    stream::{cost, Fragments},
    Status,
};

use super::{Port, SendWindow, StreamError};
use crate::{CallError, Codec};

/// A stream's sending end without its item type: it cuts items into fragments, spends credit
/// for each and hands them to the connection.
pub(crate) struct RawSink {
    call_id: u32,
    window: Arc<SendWindow>,
    port: Arc<dyn Port>,
    max_fragment: usize,
    ended: bool,
}

impl fmt::Debug for RawSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawSink")
            .field("call_id", &self.call_id)
            .field("max_fragment", &self.max_fragment)
            .finish_non_exhaustive()
    }
}

impl RawSink {
    /// The sending end of `call_id`'s stream on `port`, sending fragments of at most
    /// `max_fragment` bytes. It ends its stream through the port when finished, and `cancelled`
    /// when dropped unfinished; only a caller's port carries that end (see [`Port::end`]).
    pub(crate) fn new(
        call_id: u32,
        window: Arc<SendWindow>,
        port: Arc<dyn Port>,
        max_fragment: usize,
    ) -> RawSink {
        RawSink {
            call_id,
            window,
            port,
            max_fragment,
            ended: false,
        }
    }

    /// Sends one item encoded as `head` then `body`, waiting for credit before each frame.
    /// An item that fits a frame goes whole, its body not copied; a larger one is put together
    /// and cut into fragments.
    pub(crate) async fn send(&mut self, head: Bytes, body: Bytes) -> Result<(), CallError> {
        let len = head.len() + body.len();
        if len <= self.max_fragment {
            self.spend(cost(len)).await?;
            self.port.item(self.call_id, head, body, false);
            return Ok(());
        }
        let whole = if head.is_empty() {
            body
        } else {
            [head, body].concat().into()
        };
        for (part, more) in Fragments::new(whole, self.max_fragment) {
            self.spend(cost(part.len())).await?;
            self.port.item(self.call_id, Bytes::new(), part, more);
        }
        Ok(())
    }

    async fn spend(&self, price: u64) -> Result<(), CallError> {
        poll_fn(|cx| self.window.poll_spend(cx, price)).await
    }

    /// Ends the stream with `status`, once.
    fn end(&mut self, status: Status, message: &str) {
        if !self.ended {
            self.ended = true;
            self.port.end(self.call_id, status, message);
        }
    }
}

impl Drop for RawSink {
    fn drop(&mut self) {
        let message = "the caller dropped its stream before finishing it";
        self.end(Status::Cancelled, message);
    }
}

/// The sending end of a stream of `T`: a handler's stream back to its caller, or a caller's
/// stream to the handler.
///
/// Each [`send`](Sink::send) waits until the receiver has room: a sender is never more than
/// the receiver's window (1 MiB by default) ahead of the consumer, however fast it produces.
/// Items larger than 64 KiB go as several frames and arrive whole.
pub struct Sink<T> {
    raw: RawSink,
    codec: Codec,
    item: PhantomData<fn(T)>,
}

impl<T> fmt::Debug for Sink<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sink").field("raw", &self.raw).finish()
    }
}

impl<T: Serialize + 'static> Sink<T> {
    pub(crate) fn new(raw: RawSink, codec: Codec) -> Sink<T> {
        Sink {
            raw,
            codec,
            item: PhantomData,
        }
    }

    /// Sends one item, once the receiver has room for it. An error means the stream is over:
    /// the call ended, the caller gave up, or the connection broke; sending more is pointless.
    ///
    /// Dropping this future after it started may leave part of a large item sent: drop the
    /// sink with it.
    pub fn send(
        &mut self,
        item: impl Borrow<T>,
    ) -> impl Future<Output = Result<(), StreamError>> + Send + '_ {
        // Encoded before the future: it then holds no borrow of the item across its waits.
        let encoded = self.codec.encode_shared(item.borrow()).map_err(|err| {
            StreamError::new(
                Status::Internal,
                format!("a stream item does not encode: {err}"),
            )
        });
        async move {
            let (head, body) = encoded?;
            Ok(self.raw.send(head, body).await?)
        }
    }

    /// Sends every item of `items`, stopping at the first that cannot be sent.
    pub async fn send_all<I>(&mut self, items: I) -> Result<(), StreamError>
    where
        I: IntoIterator,
        I::Item: Borrow<T>,
    {
        for item in items {
            self.send(item).await?;
        }
        Ok(())
    }

    /// Ends a caller's stream cleanly: the handler's source yields `None`. A handler's
    /// stream ends with its answer instead, and this does nothing there. Dropping a caller's
    /// sink without finishing ends its stream `cancelled`.
    pub fn finish(mut self) {
        self.raw.end(Status::Ok, "");
    }
}
