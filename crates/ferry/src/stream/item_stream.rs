//! The consuming end of a stream, typed.

use std::{
    fmt,
    future::Future,
    marker::PhantomData,
    pin::Pin,
    task::{Context, Poll},
    time::Duration,
};

use futures_util::{future::BoxFuture, Stream};
use serde::de::{DeserializeOwned, IgnoredAny};
use tokio::time::{Instant, Sleep};

use ferry_wire::Status;

use super::{RawItem, RawSource};
use crate::{client::decode_reply, CallError, Codec, NoError};

/// A stream of `T` items, each `Ok`, ending with `None` after an ok end and with one `Err`
/// (then `None`) after any other: the handler's own error as [`CallError::Application`], a
/// status it chose, the deadline, or the connection breaking. A connection lost mid-stream is
/// never a clean end.
///
/// Dropping it tells the other side to stop: a caller dropping the server's stream cancels the
/// call (the handler's future is dropped); a handler dropping its caller's stream tells the
/// caller to stop sending.
pub struct ItemStream<T, E = NoError> {
    raw: RawSource,
    codec: Codec,
    /// The caller's own stream of a bidirectional call, sent while this one is read.
    feeder: Option<BoxFuture<'static, ()>>,
    /// The longest wait for an item, and the timer counting it.
    idle: Option<(Duration, Pin<Box<Sleep>>)>,
    /// The status of an item that does not decode into `T`.
    misfit: Status,
    types: PhantomData<fn() -> (T, E)>,
}

impl<T, E> fmt::Debug for ItemStream<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ItemStream")
            .field("raw", &self.raw)
            .finish()
    }
}

impl<T: DeserializeOwned + 'static, E: DeserializeOwned> ItemStream<T, E> {
    pub(crate) fn new(raw: RawSource, codec: Codec) -> ItemStream<T, E> {
        ItemStream {
            raw,
            codec,
            feeder: None,
            idle: None,
            misfit: Status::Protocol,
            types: PhantomData,
        }
    }

    /// Fails the stream when no item comes for `idle`.
    pub(crate) fn idle_timeout(mut self, idle: Option<Duration>) -> ItemStream<T, E> {
        self.idle = idle.map(|idle| (idle, Box::pin(tokio::time::sleep(idle))));
        self
    }

    /// Polls `feeder` whenever the stream is polled, until it is done.
    pub(crate) fn fed_by(mut self, feeder: BoxFuture<'static, ()>) -> ItemStream<T, E> {
        self.feeder = Some(feeder);
        self
    }

    fn poll_feeder(&mut self, cx: &mut Context<'_>) {
        if let Some(feeder) = &mut self.feeder {
            if feeder.as_mut().poll(cx).is_ready() {
                self.feeder = None;
            }
        }
    }

    /// A handler's source: an item that does not decode is the caller's bad argument, not the
    /// peer breaking the protocol.
    pub(super) fn read_by_handler(mut self) -> ItemStream<T, E> {
        self.misfit = Status::InvalidArgs;
        self
    }

    /// The idle timer's verdict: an error once it fired (the call is then cancelled); pending
    /// otherwise.
    fn poll_idle(&mut self, cx: &mut Context<'_>, got_item: bool) -> Poll<CallError> {
        let Some((idle, timer)) = self.idle.as_mut() else {
            return Poll::Pending;
        };
        if got_item {
            timer.as_mut().reset(Instant::now() + *idle);
            return Poll::Pending;
        }
        timer.as_mut().poll(cx).map(|()| {
            let message = format!("no stream item came within the idle timeout of {idle:?}");
            self.raw.abandon();
            CallError::new(Status::DeadlineExceeded, message)
        })
    }

    /// The next item, `None` once the stream is over.
    pub async fn recv(&mut self) -> Option<Result<T, CallError<E>>> {
        std::future::poll_fn(|cx| self.poll_item(cx)).await
    }

    /// The next item or end as it came, undecoded: for tools that pass items on as they are
    /// (the CLI prints JSON items as text). `Err` is an end this side decided: the deadline,
    /// the idle timeout, the connection breaking.
    pub async fn recv_raw(&mut self) -> Option<Result<RawItem, CallError>> {
        std::future::poll_fn(|cx| self.poll_raw(cx)).await
    }

    fn poll_raw(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<RawItem, CallError>>> {
        self.poll_feeder(cx);
        let next = match self.raw.poll_next(cx) {
            Poll::Pending => return self.poll_idle(cx, false).map(|expired| Some(Err(expired))),
            Poll::Ready(next) => next,
        };
        let _ = self.poll_idle(cx, true);
        Poll::Ready(next)
    }

    fn poll_item(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<T, CallError<E>>>> {
        let next = match self.poll_raw(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(None) => return Poll::Ready(None),
            Poll::Ready(Some(next)) => next,
        };
        Poll::Ready(match next {
            Ok(RawItem::Item(body)) => Some(self.codec.decode_shared(&body).map_err(|err| {
                let message =
                    format!("a stream item does not decode into the expected type: {err}");
                CallError::new(self.misfit, message)
            })),
            Err(err) => Some(Err(err.widen())),
            // What an ok end carries (a server stream's result) is not the stream's to read.
            Ok(RawItem::End(reply)) if reply.status == Status::Ok => None,
            Ok(RawItem::End(reply)) => decode_reply::<IgnoredAny, E>(self.codec, reply)
                .err()
                .map(Err),
        })
    }
}

impl<T: DeserializeOwned + 'static, E: DeserializeOwned> Stream for ItemStream<T, E> {
    type Item = Result<T, CallError<E>>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_item(cx)
    }
}

/// The answer a streaming call ends with, decoded as `T` (the result of a client-streaming
/// call); items before it are not expected and are dropped.
pub(crate) async fn answer_of<T: DeserializeOwned, E: DeserializeOwned>(
    mut raw: RawSource,
    codec: Codec,
) -> Result<T, CallError<E>> {
    loop {
        match std::future::poll_fn(|cx| raw.poll_next(cx)).await {
            Some(Ok(RawItem::End(reply))) => return decode_reply(codec, reply),
            Some(Ok(_)) => continue,
            Some(Err(err)) => return Err(err.widen()),
            None => {
                return Err(CallError::new(
                    Status::Internal,
                    "the stream's answer was taken twice",
                ))
            }
        }
    }
}
