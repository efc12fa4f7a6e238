//! Streaming calls from the caller's side: opening one, its port on the connection, and the
//! typed calls for each shape.
//!
//! ```text
//!  server streaming:  request ─▶            ◀─ item … item ─ answer   → ItemStream
//!  client streaming:  request, item … item, end ─▶         ◀─ answer  → the result
//!  bidirectional:     both at once                                    → ItemStream
//! ```

use std::{borrow::Cow, future::Future, pin::pin, sync::Arc, time::Duration};

use bytes::Bytes;
use futures_util::{future::Either, Stream, StreamExt};
use serde::{de::DeserializeOwned, Serialize};
use tokio::time::Instant;

use ferry_wire::{ByteStr, Status};

use super::{connection::Connection, exchange::Outgoing, CallOptions, Client};
use crate::{
    stream::{answer_of, ItemStream, Port, RawSink, RawSource, Sink, Ways},
    CallError, Codec, Reply,
};

/// A client connection's side of a stream's port.
struct ClientPort {
    connection: Arc<Connection>,
    codec: Codec,
}

impl Port for ClientPort {
    fn item(&self, call_id: u32, head: Bytes, body: Bytes, more: bool) {
        let driver = self
            .connection
            .exchange()
            .queue_item(call_id, &head, &body, more);
        if let Some(driver) = driver {
            driver.wake();
        }
    }

    fn taken(&self, call_id: u32, cost: u64) {
        let driver = self.connection.exchange().taken(call_id, cost);
        if let Some(driver) = driver {
            driver.wake();
        }
    }

    fn stop_reading(&self, call_id: u32) {
        let driver = self.connection.exchange().abandon(call_id);
        if let Some(driver) = driver {
            driver.wake();
        }
    }

    fn end(&self, call_id: u32, status: Status, message: &str) {
        let body = match status {
            Status::Ok => Bytes::new(),
            status => Reply::error(self.codec, status, message).body,
        };
        let driver = self.connection.exchange().queue_end(call_id, status, body);
        if let Some(driver) = driver {
            driver.wake();
        }
    }
}

/// The two ends of a streaming call just opened.
struct Opened {
    incoming: RawSource,
    sink: Option<RawSink>,
}

impl Client {
    /// Sends a streaming call's request and opens its streams, through the channel's choice of
    /// server when the client has one. Never re-sent: part of a stream may have been read.
    async fn open_stream(
        &self,
        method: &ByteStr,
        body: &Bytes,
        options: &CallOptions,
        ways: Ways,
    ) -> Result<Opened, CallError> {
        let metadata = self.metadata_for(options);
        let call = self.raw_call(method, body, &metadata, options);
        let Some(channel) = &self.channel else {
            let (timeout, deadline) = (call.timeout, call.deadline);
            return self
                .open_here(method, body, metadata.clone(), timeout, deadline, ways)
                .await;
        };
        let chosen = channel.stream_client(call).await?;
        let left = call.left();
        chosen
            .open_here(method, body, metadata.clone(), left, call.deadline, ways)
            .await
    }

    /// Opens a streaming call on this client's own connection, with `timeout` left before
    /// `deadline`.
    async fn open_here(
        &self,
        method: &ByteStr,
        body: &Bytes,
        mut metadata: Cow<'_, [(ByteStr, ByteStr)]>,
        timeout: Option<Duration>,
        deadline: Option<Instant>,
        ways: Ways,
    ) -> Result<Opened, CallError> {
        for layer in &self.shared.config.layers {
            layer.before(method, metadata.to_mut());
        }
        let expired = || {
            let limit = timeout.unwrap_or_default();
            CallError::new(
                Status::DeadlineExceeded,
                format!("{method} could not connect within {limit:?}"),
            )
        };
        let (connection, time_left) = self.look_up(timeout, deadline, expired).await?;
        let outgoing = Outgoing {
            method,
            metadata: &metadata,
            body,
            zstd: None,
            time_left,
            deadline,
        };
        let limits = self.shared.config.streams;
        let (call_id, opened, max_fragment, driver) = {
            let mut exchange = connection.exchange();
            let (call_id, opened, driver) = exchange
                .submit_stream(outgoing, ways, &limits)
                .map_err(|failure| failure.into_error())?;
            (call_id, opened, exchange.max_fragment(), driver)
        };
        if let Some(driver) = driver {
            driver.wake();
        }
        let port: Arc<dyn Port> = Arc::new(ClientPort {
            connection,
            codec: self.codec(),
        });
        let items = opened.incoming.ok_or_else(|| {
            CallError::new(
                Status::Internal,
                "a streaming call opened without its answer",
            )
        })?;
        Ok(Opened {
            incoming: RawSource::new(call_id, items, port.clone()),
            sink: opened
                .sending
                .map(|window| RawSink::new(call_id, window, port, max_fragment)),
        })
    }

    fn encode_args<A: Serialize + ?Sized, E>(
        &self,
        method: &ByteStr,
        args: &A,
    ) -> Result<Bytes, CallError<E>> {
        self.codec().encode(args).map_err(|err| {
            let message = format!("arguments of {method} do not encode: {err}");
            CallError::new(Status::InvalidArgs, message)
        })
    }

    /// Calls a method whose server streams items back: the items as they come, then the end.
    /// Dropping the stream cancels the call.
    pub async fn server_stream<A, T, E>(
        &self,
        method: impl Into<ByteStr>,
        args: &A,
        options: &CallOptions,
    ) -> Result<ItemStream<T, E>, CallError<E>>
    where
        A: Serialize + ?Sized,
        T: DeserializeOwned + 'static,
        E: DeserializeOwned,
    {
        let method = method.into();
        let body = self.encode_args(&method, args)?;
        let ways = Ways {
            receives: true,
            sends: false,
            ends_incoming: true,
        };
        let opened = self.open_stream(&method, &body, options, ways).await;
        let opened = opened.map_err(CallError::widen)?;
        Ok(ItemStream::new(opened.incoming, self.codec()).idle_timeout(options.idle_timeout))
    }

    /// Calls a method that takes a stream from its caller, sending `items` as the server takes
    /// them, and returns its answer. The server may answer before it read them all; then the
    /// rest is not sent.
    pub async fn client_stream<A, I, S, T, E>(
        &self,
        method: impl Into<ByteStr>,
        args: &A,
        items: S,
        options: &CallOptions,
    ) -> Result<T, CallError<E>>
    where
        A: Serialize + ?Sized,
        I: Serialize + 'static,
        S: Stream<Item = I>,
        T: DeserializeOwned,
        E: DeserializeOwned,
    {
        let (sink, answer) = self.open_client_stream(method, args, options).await?;
        let feeding = pin!(feed(items, sink));
        let answer = pin!(answer);
        match futures_util::future::select(answer, feeding).await {
            Either::Left((answer, _)) => answer,
            Either::Right(((), answer)) => answer.await,
        }
    }

    /// Like [`Client::client_stream`], handing back a [`Sink`] to send with and the answer to
    /// await. Finish the sink when done; dropping it unfinished ends the stream `cancelled`.
    pub async fn open_client_stream<A, I, T, E>(
        &self,
        method: impl Into<ByteStr>,
        args: &A,
        options: &CallOptions,
    ) -> Result<(Sink<I>, impl Future<Output = Result<T, CallError<E>>>), CallError<E>>
    where
        A: Serialize + ?Sized,
        I: Serialize + 'static,
        T: DeserializeOwned,
        E: DeserializeOwned,
    {
        let (sink, incoming) = self.open_sending(method, args, options, false).await?;
        let codec = self.codec();
        Ok((Sink::new(sink, codec), answer_of(incoming, codec)))
    }

    /// Calls a method that streams both ways: `items` go to the server as it takes them while
    /// its items come back. Dropping the returned stream cancels the call.
    pub async fn bidi_stream<A, I, S, T, E>(
        &self,
        method: impl Into<ByteStr>,
        args: &A,
        items: S,
        options: &CallOptions,
    ) -> Result<ItemStream<T, E>, CallError<E>>
    where
        A: Serialize + ?Sized,
        I: Serialize + Send + 'static,
        S: Stream<Item = I> + Send + 'static,
        T: DeserializeOwned + 'static,
        E: DeserializeOwned,
    {
        let (sink, stream) = self.open_bidi_stream(method, args, options).await?;
        Ok(stream.fed_by(Box::pin(feed(items, sink))))
    }

    /// Like [`Client::bidi_stream`], handing back a [`Sink`] to send with.
    pub async fn open_bidi_stream<A, I, T, E>(
        &self,
        method: impl Into<ByteStr>,
        args: &A,
        options: &CallOptions,
    ) -> Result<(Sink<I>, ItemStream<T, E>), CallError<E>>
    where
        A: Serialize + ?Sized,
        I: Serialize + 'static,
        T: DeserializeOwned + 'static,
        E: DeserializeOwned,
    {
        let (sink, incoming) = self.open_sending(method, args, options, true).await?;
        let codec = self.codec();
        let stream = ItemStream::new(incoming, codec).idle_timeout(options.idle_timeout);
        Ok((Sink::new(sink, codec), stream))
    }

    /// Opens a call whose caller streams (and whose server streams back when `receives`): the
    /// caller's sink and what comes back.
    async fn open_sending<A: Serialize + ?Sized, E>(
        &self,
        method: impl Into<ByteStr>,
        args: &A,
        options: &CallOptions,
        receives: bool,
    ) -> Result<(RawSink, RawSource), CallError<E>> {
        let method = method.into();
        let body = self.encode_args(&method, args)?;
        let ways = Ways {
            receives,
            sends: true,
            ends_incoming: true,
        };
        let opened = self.open_stream(&method, &body, options, ways).await;
        let opened = opened.map_err(CallError::widen)?;
        let sink = opened.sink.ok_or_else(no_sink)?;
        Ok((sink, opened.incoming))
    }
}

fn no_sink<E>() -> CallError<E> {
    CallError::new(Status::Internal, "a streaming call opened without its sink")
}

/// Sends every item of `items` until it ends (then finishes the stream) or the stream is over.
async fn feed<I: Serialize + 'static, S: Stream<Item = I>>(items: S, mut sink: Sink<I>) {
    let mut items = pin!(items);
    while let Some(item) = items.next().await {
        if sink.send(&item).await.is_err() {
            return;
        }
    }
    sink.finish();
}
