//! The task that owns a client connection's socket: it writes what callers queued, hands each
//! answer to its caller, fails calls whose deadline passed, and fails every waiting call with a
//! clear reason when the connection ends.

use std::{
    future::{poll_fn, Future},
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
};

use bytes::BytesMut;
use tokio::{
    io::{AsyncRead, AsyncWrite, AsyncWriteExt},
    time::{Instant, Sleep},
};

use ferry_wire::{Frame, FrameDecoder, Status, WireError};

use super::{
    connection::Connection,
    exchange::{Exchange, Wakeups},
    unanswered::Unanswered,
};
use crate::{
    io::{poll_write_queue, Liveness, ReadRoom, Verdict, WriteQueue},
    Address, CallError, Codec, Reply,
};

pub(crate) struct Driver {
    connection: Arc<Connection>,
    decoder: FrameDecoder,
    address: Address,
    /// The connection's codec, to read the message of a refusal.
    codec: Codec,
    room: ReadRoom,
    /// What is being written: the callers' queue, taken whole.
    writing: WriteQueue,
    /// Frames decoded from one read, handled together, in order, under one lock.
    arrived: Vec<Arrived>,
    wakeups: Wakeups,
    /// True once this task yielded since it last took the callers' queue.
    yielded: bool,
    timer: Pin<Box<Sleep>>,
    /// The deadline the timer is set to.
    armed: Option<Instant>,
    /// The earliest deadline of a waiting call, as of the last look at the exchange.
    earliest: Option<Instant>,
    /// Pings a quiet server, and gives it up when it does not answer.
    liveness: Liveness,
}

/// What a turn at writing did.
#[derive(Clone, Copy, PartialEq)]
enum Wrote {
    /// Nothing was queued.
    Nothing,
    /// Took the callers' queue and wrote all of it, or wrote the last of the queue it had:
    /// more may be queued now.
    Progress,
    /// The socket is full: it wakes the task when it can take more.
    Blocked,
    /// Yielded to the callers before taking their queue: the task is woken again at once.
    Yielded,
}

/// A frame from the server, in the order frames came: a streaming call's answer must reach its
/// consumer after its items.
enum Arrived {
    Answer(u32, Result<Reply, Unanswered>),
    Other(Frame),
}

/// Handles a frame other than a response; `Err` is a protocol error that ends the connection.
fn on_frame(
    exchange: &mut Exchange,
    frame: Frame,
    connection: &Connection,
    address: &Address,
    wakeups: &mut Wakeups,
) -> Result<(), String> {
    match frame {
        Frame::StreamItem {
            call_id,
            body,
            more,
        } => return exchange.on_item(call_id, body, more, wakeups),
        Frame::StreamCredit { call_id, bytes } => exchange.on_credit(call_id, bytes),
        Frame::StreamEnd(end) => {
            let why = crate::client::error_message(exchange.codec(), &end.body);
            exchange.on_stream_end(end.call_id, why);
        }
        Frame::Ping { payload } => exchange.queue_frame(&Frame::Pong { payload }),
        Frame::GoAway(goaway) => {
            connection.stop_taking_calls();
            let reason = format!("{address} is going away ({})", goaway.message);
            exchange.go_away(goaway.last_call_id, &reason, wakeups);
        }
        _ => {}
    }
    Ok(())
}

impl Driver {
    pub(crate) fn new(
        connection: Arc<Connection>,
        decoder: FrameDecoder,
        address: Address,
        codec: Codec,
        liveness: Liveness,
    ) -> Driver {
        Driver {
            connection,
            decoder,
            address,
            codec,
            room: ReadRoom::default(),
            writing: WriteQueue::default(),
            arrived: Vec::new(),
            wakeups: Vec::new(),
            yielded: false,
            timer: Box::pin(tokio::time::sleep_until(Instant::now())),
            armed: None,
            earliest: None,
            liveness,
        }
    }

    pub(crate) async fn run<R, W>(mut self, mut read: R, mut write: W, mut input: BytesMut)
    where
        R: AsyncRead + Unpin,
        W: AsyncWrite + Unpin,
    {
        // What came behind the server's preface, such as the goaway of a server over its
        // connection cap, is handled before the read that may find the connection closed.
        let reason = match self.on_input(&mut input) {
            Ok(()) => poll_fn(|cx| self.poll_drive(cx, &mut read, &mut write, &mut input)).await,
            Err(reason) => reason,
        };
        self.connection.stop_taking_calls();
        let lost = format!("connection to {} lost: {reason}", self.address);
        self.connection.exchange().close(&lost, &mut self.wakeups);
        self.wake_callers();
        let _ = write.shutdown().await;
    }

    /// Runs until the connection ends, returning why. Reading and writing never wait for each
    /// other: each turn reads what came and writes what the socket takes. When neither got
    /// anywhere and no deadline passed, the task sleeps until the socket, a caller with work
    /// or an earlier deadline wakes it; it never turns again without news, which would starve
    /// the runtime's I/O and timers (of the whole thread, on a current-thread runtime).
    fn poll_drive<R, W>(
        &mut self,
        cx: &mut Context<'_>,
        read: &mut R,
        write: &mut W,
        input: &mut BytesMut,
    ) -> Poll<String>
    where
        R: AsyncRead + Unpin,
        W: AsyncWrite + Unpin,
    {
        loop {
            let read_some = match self.poll_read(cx, read, input) {
                Ok(read_some) => read_some,
                Err(reason) => return Poll::Ready(reason),
            };
            let wrote = match self.poll_write(cx, write) {
                Ok(Wrote::Yielded) => return Poll::Pending,
                Ok(wrote) => wrote,
                Err(reason) => return Poll::Ready(reason),
            };
            let expired = self.poll_timer(cx);
            if read_some || wrote == Wrote::Progress || expired {
                continue;
            }
            let mut exchange = self.connection.exchange();
            if let Some(reason) = exchange.finished() {
                return Poll::Ready(reason.to_owned());
            }
            match self.liveness.poll(cx, true) {
                Poll::Ready(Verdict::Ping(payload)) => {
                    exchange.queue_frame(&Frame::Ping { payload });
                    continue;
                }
                Poll::Ready(Verdict::Dead) => return Poll::Ready(self.liveness.dead_reason()),
                Poll::Pending => {}
            }
            self.earliest = exchange.earliest_deadline();
            let writing = wrote == Wrote::Blocked;
            if self.earliest == self.armed && exchange.park_driver(cx.waker(), writing) {
                return Poll::Pending;
            }
        }
    }

    /// Reads everything that has arrived and hands the answers to their callers; true if bytes
    /// came.
    fn poll_read<R: AsyncRead + Unpin>(
        &mut self,
        cx: &mut Context<'_>,
        read: &mut R,
        input: &mut BytesMut,
    ) -> Result<bool, String> {
        match self.room.poll_read_all(read, cx, input) {
            Poll::Pending => Ok(false),
            Poll::Ready(Ok(0)) => Err("the server closed it".to_owned()),
            Poll::Ready(Ok(_)) => {
                self.liveness.heard();
                self.on_input(input).map(|()| true)
            }
            Poll::Ready(Err(err)) => Err(err.to_string()),
        }
    }

    fn on_input(&mut self, input: &mut BytesMut) -> Result<(), String> {
        loop {
            match self.decoder.decode(input) {
                Ok(Some(Frame::Response(response))) => {
                    let reply = Reply {
                        status: response.status,
                        body: response.body,
                    };
                    self.arrived
                        .push(Arrived::Answer(response.call_id, Ok(reply)));
                }
                Ok(Some(Frame::Refused(refused))) => {
                    let message = crate::client::error_message(self.codec, &refused.body);
                    let failure = Unanswered::Refused(CallError::new(refused.status, message));
                    self.arrived
                        .push(Arrived::Answer(refused.call_id, Err(failure)));
                }
                Ok(Some(frame)) => self.arrived.push(Arrived::Other(frame)),
                Ok(None) => break,
                Err(WireError::FrameTooLarge {
                    call_id, len, max, ..
                }) => {
                    let message =
                        format!("response of {len} bytes is over this client's {max}-byte limit");
                    let failure = Unanswered::Error(CallError::new(Status::TooLarge, message));
                    self.arrived.push(Arrived::Answer(call_id, Err(failure)));
                }
                Err(WireError::Compressed { call_id, fault, .. }) => {
                    let message = format!("the response's compressed body is refused: {fault}");
                    let failure = Unanswered::Error(CallError::new(fault.status(), message));
                    self.arrived.push(Arrived::Answer(call_id, Err(failure)));
                }
                Err(err) => return Err(format!("protocol error from the server: {err}")),
            }
        }
        let mut exchange = self.connection.exchange();
        let mut outcome = Ok(());
        for arrived in self.arrived.drain(..) {
            let handled = match arrived {
                Arrived::Answer(call_id, answer) => {
                    exchange.deliver(call_id, answer, &mut self.wakeups);
                    Ok(())
                }
                Arrived::Other(frame) => on_frame(
                    &mut exchange,
                    frame,
                    &self.connection,
                    &self.address,
                    &mut self.wakeups,
                ),
            };
            outcome = outcome.and(handled);
        }
        drop(exchange);
        self.wake_callers();
        outcome
    }

    /// Writes the callers' queue, as far as the socket takes it. Before taking the queue, the
    /// driver yields once, so that the callers woken with it (or by the answers it just handed
    /// out) queue their calls first and a burst leaves in one write instead of one write each.
    fn poll_write<W: AsyncWrite + Unpin>(
        &mut self,
        cx: &mut Context<'_>,
        write: &mut W,
    ) -> Result<Wrote, String> {
        if self.writing.is_empty() {
            let mut exchange = self.connection.exchange();
            self.earliest = exchange.earliest_deadline();
            if !exchange.has_out() {
                return Ok(Wrote::Nothing);
            }
            if !self.yielded {
                self.yielded = true;
                cx.waker().wake_by_ref();
                return Ok(Wrote::Yielded);
            }
            exchange.take_out(&mut self.writing);
            self.yielded = false;
        }
        let before = self.writing.len();
        let written = poll_write_queue(Pin::new(write), cx, &mut self.writing);
        let moved = self.writing.len() < before;
        self.liveness.wrote(moved, written.is_pending());
        match written {
            Poll::Ready(Err(err)) => Err(err.to_string()),
            Poll::Ready(Ok(())) => Ok(Wrote::Progress),
            Poll::Pending => Ok(Wrote::Blocked),
        }
    }

    /// Keeps the timer at the earliest deadline of a waiting call, and fails the calls whose
    /// deadline passed; true if it did.
    fn poll_timer(&mut self, cx: &mut Context<'_>) -> bool {
        if self.earliest != self.armed {
            if let Some(at) = self.earliest {
                self.timer.as_mut().reset(at);
            }
            self.armed = self.earliest;
        }
        if self.armed.is_none() || self.timer.as_mut().poll(cx).is_pending() {
            return false;
        }
        let mut exchange = self.connection.exchange();
        exchange.expire(Instant::now(), &mut self.wakeups);
        self.earliest = exchange.earliest_deadline();
        drop(exchange);
        self.wake_callers();
        true
    }

    fn wake_callers(&mut self) {
        self.wakeups.drain(..).for_each(|waker| waker.wake());
    }
}
