//! One multiplexed connection: the handle callers share, and each call's way through it. The
//! dialing that opens it is in `dial`.

use std::{
    future::Future,
    pin::Pin,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex, MutexGuard,
    },
    task::{Context, Poll},
};

use bytes::Bytes;
use ferry_wire::compress::{Compression, Compressor};

use super::{
    exchange::{Exchange, Outgoing},
    unanswered::Unanswered,
};
use crate::{Codec, Reply};

/// The callers' side of a connection; the driver task owns the socket.
pub(crate) struct Connection {
    exchange: Mutex<Exchange>,
    /// Whether new calls may use this connection; read without taking the lock.
    open: AtomicBool,
    /// When both prefaces accepted zstd: the threshold, and the context that compresses
    /// request bodies over it. A lock of its own, so a body is compressed by its caller
    /// without holding up the others' turns at the exchange.
    zstd: Option<(usize, Mutex<Compressor>)>,
}

impl Connection {
    fn new(server_max_frame_len: u32, codec: Codec, zstd: Option<Compression>) -> Connection {
        let zstd = zstd.and_then(|compression| {
            Some((
                compression.threshold()?,
                Mutex::new(compression.compressor()?),
            ))
        });
        Connection {
            exchange: Mutex::new(Exchange::new(server_max_frame_len, codec)),
            open: AtomicBool::new(true),
            zstd,
        }
    }

    /// `body` compressed, when zstd was agreed, it is over the threshold and it shrinks.
    fn compress(&self, body: &Bytes) -> Option<Bytes> {
        match &self.zstd {
            Some((threshold, zstd)) if body.len() >= *threshold => zstd
                .lock()
                .unwrap_or_else(|poison| poison.into_inner())
                .compress(body),
            _ => None,
        }
    }

    /// Whether new calls may use this connection.
    pub(crate) fn is_usable(&self) -> bool {
        self.open.load(Ordering::Acquire)
    }

    pub(super) fn exchange(&self) -> MutexGuard<'_, Exchange> {
        self.exchange
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    /// Marks the connection closed to new calls.
    pub(super) fn stop_taking_calls(&self) {
        self.open.store(false, Ordering::Release);
    }

    /// Sends one call and waits for its answer; dropping the future cancels the call.
    pub(crate) fn call<'a>(&'a self, outgoing: Outgoing<'a>) -> PendingCall<'a> {
        PendingCall {
            connection: self,
            outgoing,
            state: CallState::Unsent,
        }
    }
}

/// The handle a client keeps on its connection: once every handle is gone and no call waits,
/// the driver closes the connection.
pub(crate) struct Handle(Arc<Connection>);

impl Handle {
    /// A new connection to a server whose frames may carry up to `server_max_frame_len` bytes,
    /// compressing request bodies as `zstd` says when both prefaces accepted zstd.
    pub(super) fn open(
        server_max_frame_len: u32,
        codec: Codec,
        zstd: Option<Compression>,
    ) -> Handle {
        Handle(Arc::new(Connection::new(server_max_frame_len, codec, zstd)))
    }

    pub(crate) fn connection(&self) -> &Arc<Connection> {
        &self.0
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        if let Some(driver) = self.0.exchange().release() {
            driver.wake();
        }
    }
}

enum CallState {
    Unsent,
    Waiting(u32),
    Finished,
}

/// One call: queued at its first poll, answered when the driver delivers; dropped before its
/// answer, it sends a cancel.
pub(crate) struct PendingCall<'a> {
    connection: &'a Connection,
    outgoing: Outgoing<'a>,
    state: CallState,
}

impl Future for PendingCall<'_> {
    type Output = Result<Reply, Unanswered>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let answer = match this.state {
            CallState::Unsent => {
                // Compressed here, outside the exchange's lock; the queue keeps the bytes.
                let compressed = this.connection.compress(this.outgoing.body);
                let outgoing = Outgoing {
                    zstd: compressed.as_ref(),
                    ..this.outgoing
                };
                let submitted = this.connection.exchange().submit(outgoing, cx.waker());
                match submitted {
                    Ok((call_id, driver)) => {
                        this.state = CallState::Waiting(call_id);
                        if let Some(driver) = driver {
                            driver.wake();
                        }
                        return Poll::Pending;
                    }
                    Err(failure) => Err(failure),
                }
            }
            CallState::Waiting(call_id) => {
                match this.connection.exchange().poll_answer(call_id, cx.waker()) {
                    Some(answer) => answer,
                    None => return Poll::Pending,
                }
            }
            CallState::Finished => panic!("a ferry call was polled after it finished"),
        };
        this.state = CallState::Finished;
        Poll::Ready(answer)
    }
}

impl Drop for PendingCall<'_> {
    fn drop(&mut self) {
        if let CallState::Waiting(call_id) = self.state {
            if let Some(driver) = self.connection.exchange().abandon(call_id) {
                driver.wake();
            }
        }
    }
}
