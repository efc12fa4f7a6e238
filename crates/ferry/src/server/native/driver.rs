//! The task that serves one native connection after the prefaces: it reads, hands each frame to
//! [`Requests`], writes what they answered, and ends the connection when its peer leaves, the
//! server shuts down, the connection idles or breaks the protocol.

use std::{
    future::{poll_fn, Future},
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::Duration,
};

use bytes::BytesMut;
use tokio::{
    io::{AsyncRead, AsyncWrite, AsyncWriteExt},
    time::{Instant, Sleep},
};
use tokio_util::sync::WaitForCancellationFutureOwned;

use ferry_wire::{Frame, FrameDecoder, Kind, Status, WireError};

use super::requests::Requests;
use crate::{
    io::{
        poll_write_queue, Liveness, PingBudget, ReadRoom, Verdict, WriteQueue, WRITE_BATCH_LIMIT,
    },
    server::{
        stats::{Limit, ServerStats},
        Shared,
    },
    CallError,
};

/// How many frames of one read are handled before their answers are written.
///
/// The client starts on those answers while this task makes the rest, instead of both taking
/// turns over whole batches. One connection with 64 calls in flight (`bench/ab.py`, 5 rounds):
/// 64 B, writing every 8 frames made 665,649 calls/s, every 16 886,961, every 32 939,405 and
/// once per read 576,834; again every 16 against every 32, 860,783 and 872,189 at 64 B and
/// 676,372 and 703,258 at 1 KiB.
const FRAMES_PER_WRITE: usize = 32;

/// Answers waiting to be written past which the connection stops reading requests: a client
/// that does not read its answers stops being read, rather than growing the server's memory.
const OUT_HIGH_WATER: usize = 4 * WRITE_BATCH_LIMIT;

/// How long the last answers of a closing connection may take to be written.
const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// The window a caller's pings are counted in when the server pings no one.
const DEFAULT_PING_WINDOW: Duration = Duration::from_secs(30);

/// One connection's state.
pub(super) struct Driver<S> {
    socket: S,
    input: BytesMut,
    room: ReadRoom,
    out: WriteQueue,
    decoder: FrameDecoder,
    requests: Requests,
    shared: Arc<Shared>,
    /// False once the peer closed, vanished, broke the protocol or idled out.
    reading: bool,
    /// When the last frame other than a ping or pong arrived, or the last running call
    /// finished: the keepalive's traffic does not keep an idle connection open.
    active_at: Instant,
    /// When the last bytes arrived: the arrival of the calls they carry.
    read_at: Instant,
    /// Once the connection takes no more calls: when running calls must have finished by.
    drain_until: Option<tokio::time::Instant>,
    /// The one timer: the drain deadline, or when the connection would idle out.
    timer: Pin<Box<Sleep>>,
    shutdown: Option<Pin<Box<WaitForCancellationFutureOwned>>>,
    /// Pings a quiet caller, and gives it up when it does not answer.
    liveness: Liveness,
    /// How many pings the caller may send.
    pings: PingBudget,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Driver<S> {
    pub(super) fn new(
        socket: S,
        input: BytesMut,
        shared: Arc<Shared>,
        requests: Requests,
        zstd: bool,
    ) -> Driver<S> {
        let shutdown = shared.shutdown.child_token().cancelled_owned();
        let config = &shared.config;
        let mut decoder = FrameDecoder::new(shared.config.max_frame_len);
        if zstd {
            decoder.accept_zstd();
        }
        Driver {
            socket,
            input,
            room: ReadRoom::default(),
            out: WriteQueue::default(),
            decoder,
            requests,
            reading: true,
            active_at: Instant::now(),
            read_at: Instant::now(),
            drain_until: None,
            timer: Box::pin(tokio::time::sleep(Duration::ZERO)),
            shutdown: Some(Box::pin(shutdown)),
            liveness: Liveness::new(config.keepalive, config.keepalive_timeout),
            pings: PingBudget::new(config.keepalive.unwrap_or(DEFAULT_PING_WINDOW)),
            shared,
        }
    }

    /// Serves the connection until it ends, then closes it.
    pub(super) async fn run(mut self) {
        poll_fn(|cx| self.poll_serve(cx)).await;
        let close_by = tokio::time::Instant::now() + CLOSE_GRACE;
        self.timer.as_mut().reset(close_by);
        poll_fn(|cx| self.poll_close(cx)).await;
        let _ = tokio::time::timeout_at(close_by, self.socket.shutdown()).await;
    }

    /// Reads, answers and writes until no call can come or run any more.
    fn poll_serve(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            let mut progress = self.handle_input(cx);
            progress |= self.poll_read(cx);
            progress |= self.poll_answers(cx);
            match self.poll_write(cx) {
                Ok(unthrottled) => progress |= unthrottled,
                Err(()) => return Poll::Ready(()),
            }
            if self.drain_until.is_some() && self.requests.running.is_empty() {
                return Poll::Ready(());
            }
            if !progress && !self.poll_events(cx) {
                return Poll::Pending;
            }
        }
    }

    /// Answers the calls still running `unavailable`, then writes what is left, until the
    /// timer (the close grace) fires.
    fn poll_close(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        self.poll_answers(cx);
        self.cut_off_running();
        let written = match self.poll_write(cx) {
            Ok(_) => self.out.is_empty(),
            Err(()) => true,
        };
        if written {
            return Poll::Ready(());
        }
        self.timer.as_mut().poll(cx)
    }

    /// Drops every running call's handler and answers the call `unavailable`.
    fn cut_off_running(&mut self) {
        self.fail_streams("the server shut down before the stream finished");
        let cut_off = self.requests.running.cancel_all(Status::Unavailable);
        for call_id in cut_off {
            let message = "the server shut down before the call finished";
            self.requests
                .fail(&mut self.out, call_id, Status::Unavailable, message);
        }
    }

    /// Handles the whole frames in `input`, writing every [`FRAMES_PER_WRITE`] frames; true if
    /// it handled any.
    fn handle_input(&mut self, cx: &mut Context<'_>) -> bool {
        let mut handled = 0;
        let mut active = false;
        while self.reading && self.out.len() < OUT_HIGH_WATER {
            let frame = match self.decoder.decode(&mut self.input) {
                Ok(Some(frame)) => frame,
                Ok(None) => break,
                Err(err) => {
                    self.on_decode_error(err);
                    continue;
                }
            };
            if handled % FRAMES_PER_WRITE == 0 && handled > 0 || self.out.len() >= WRITE_BATCH_LIMIT
            {
                // The client starts on these answers while this task makes the rest; their
                // calls are counted first.
                self.requests.count_calls();
                let _ = self.poll_write(cx);
            }
            handled += 1;
            let now = self.read_at;
            match frame {
                Frame::Ping { .. } if !self.pings.allow(now) => {
                    self.ping_flood();
                    continue;
                }
                Frame::Ping { .. } | Frame::Pong { .. } => {}
                _ => active = true,
            }
            if let Err(message) = self.requests.on_frame(frame, now, &mut self.out, cx) {
                self.protocol_error(message);
            } else if self.requests.draining {
                // The client said goaway.
                self.start_draining();
            }
        }
        self.requests.count_calls();
        // Bytes of a frame not yet whole are activity too: a large request arriving slowly.
        if active || !self.input.is_empty() {
            self.active_at = self.active_at.max(self.read_at);
        }
        handled > 0
    }

    /// The caller sent more pings than its budget: say why, read no more, let running calls
    /// finish.
    fn ping_flood(&mut self) {
        self.shared.stats.refused(Limit::PingFlood);
        let message = self.pings.flood_reason();
        self.requests
            .goaway(&mut self.out, Status::Overloaded, message);
        self.stop_reading();
    }

    fn on_decode_error(&mut self, err: WireError) {
        match err {
            WireError::FrameTooLarge {
                kind,
                call_id,
                len,
                max,
            } if kind == Kind::Request as u8 => {
                self.shared.stats.refused(Limit::MaxFrameLen);
                let message =
                    format!("request of {len} bytes is over this server's {max}-byte frame limit");
                self.requests
                    .refuse(&mut self.out, call_id, Status::TooLarge, &message);
            }
            WireError::Compressed {
                kind,
                call_id,
                fault,
            } if kind == Kind::Request as u8 => {
                let status = fault.status();
                if status == Status::TooLarge {
                    self.shared.stats.refused(Limit::MaxFrameLen);
                }
                let message = format!("the request's compressed body is refused: {fault}");
                self.requests
                    .refuse(&mut self.out, call_id, status, &message);
            }
            err => self.protocol_error(err.to_string()),
        }
    }

    /// The peer broke the protocol: say why, read no more, let running calls finish.
    fn protocol_error(&mut self, message: String) {
        ServerStats::count(&self.shared.stats.protocol_errors);
        self.requests
            .goaway(&mut self.out, Status::Protocol, message);
        self.stop_reading();
    }

    /// Reads what has arrived (see [`ReadRoom::poll_read_all`]); true if bytes came or reading
    /// ended.
    fn poll_read(&mut self, cx: &mut Context<'_>) -> bool {
        if !self.reading || self.out.len() >= OUT_HIGH_WATER {
            return false;
        }
        match self
            .room
            .poll_read_all(&mut self.socket, cx, &mut self.input)
        {
            Poll::Pending => false,
            Poll::Ready(Ok(n)) if n > 0 => {
                // One clock reading per read: deadlines count from when their bytes arrived.
                self.read_at = Instant::now();
                self.liveness.heard_at(self.read_at);
                true
            }
            Poll::Ready(_) => {
                self.stop_reading();
                true
            }
        }
    }

    fn stop_reading(&mut self) {
        self.reading = false;
        self.input = BytesMut::new();
        // Nothing more of a caller's stream can come, nor any credit for a handler's.
        self.fail_streams("the connection to the caller closed in the middle of the stream");
        self.start_draining();
    }

    fn fail_streams(&mut self, reason: &str) {
        let reason = CallError::new(Status::Unavailable, reason);
        self.requests.streams.fail_all(&reason);
    }

    fn start_draining(&mut self) {
        self.requests.draining = true;
        if self.drain_until.is_none() {
            let until = tokio::time::Instant::now() + self.shared.config.drain_timeout;
            self.drain_until = Some(until);
            self.timer.as_mut().reset(until);
        }
    }

    /// Queues the answers of calls that ran as tasks; true if there were any.
    fn poll_answers(&mut self, cx: &mut Context<'_>) -> bool {
        let mut any = false;
        while let Poll::Ready(outbound) = self.requests.running.poll_outbound(cx) {
            self.requests.on_outbound(outbound, &mut self.out);
            any = true;
        }
        if any && self.requests.running.is_empty() {
            // The idle time counts from the last answer.
            self.active_at = Instant::now();
        }
        any
    }

    /// Writes what is queued, as far as the socket takes it; `Err` once the socket is broken.
    /// True if the write took the queue back under [`OUT_HIGH_WATER`]: the connection may
    /// handle and read requests again, and must, as the bytes it stopped reading may all have
    /// arrived already and no read event will come for them.
    fn poll_write(&mut self, cx: &mut Context<'_>) -> Result<bool, ()> {
        let throttled = self.out.len() >= OUT_HIGH_WATER;
        if self.out.is_empty() {
            return Ok(false);
        }
        let before = self.out.len();
        match poll_write_queue(Pin::new(&mut self.socket), cx, &mut self.out) {
            Poll::Ready(Err(_)) => Err(()),
            written @ (Poll::Ready(Ok(())) | Poll::Pending) => {
                let moved = self.out.len() < before;
                self.liveness.wrote(moved, written.is_pending());
                // A burst of frames grew it: let that memory go rather than keep it.
                self.out.release_if_larger(2 * WRITE_BATCH_LIMIT);
                Ok(throttled && self.out.len() < OUT_HIGH_WATER)
            }
        }
    }

    /// Polls what happens rarely: the server shutting down, the drain deadline, the idle
    /// timeout. True if one of them changed the connection's state.
    fn poll_events(&mut self, cx: &mut Context<'_>) -> bool {
        if let Some(shutdown) = &mut self.shutdown {
            if shutdown.as_mut().poll(cx).is_ready() {
                self.shutdown = None;
                self.start_draining();
                let message = "the server is shutting down".to_owned();
                self.requests
                    .goaway(&mut self.out, Status::Unavailable, message);
                return true;
            }
        }
        if self.poll_liveness(cx) {
            return true;
        }
        if self.drain_until.is_none() {
            return self.poll_idle(cx);
        }
        if self.timer.as_mut().poll(cx).is_pending() {
            return false;
        }
        // The drain deadline passed.
        self.cut_off_running();
        true
    }

    /// Pings a caller that went quiet; cuts it off when it stays quiet. True if it did either.
    fn poll_liveness(&mut self, cx: &mut Context<'_>) -> bool {
        match self.liveness.poll(cx, self.reading) {
            Poll::Pending => false,
            Poll::Ready(Verdict::Ping(payload)) => {
                self.out.push_frame(&Frame::Ping { payload });
                true
            }
            Poll::Ready(Verdict::Dead) => {
                self.shared.stats.timed_out();
                let reason = self.liveness.dead_reason();
                self.requests
                    .goaway(&mut self.out, Status::Unavailable, reason.clone());
                self.fail_streams(&reason);
                self.stop_reading();
                self.cut_off_running();
                true
            }
        }
    }

    /// Closes the connection once it has had no bytes and no running call for the idle timeout.
    /// The timer is moved only when it fires, not at every read.
    fn poll_idle(&mut self, cx: &mut Context<'_>) -> bool {
        let Some(limit) = self.shared.config.idle_timeout else {
            return false;
        };
        let Some(idle_at) = self.active_at.checked_add(limit) else {
            return false;
        };
        if !self.requests.running.is_empty() {
            return false;
        }
        while self.timer.as_mut().poll(cx).is_ready() {
            if tokio::time::Instant::now() >= idle_at {
                let message = format!("closing a connection idle for {limit:?}");
                self.requests
                    .goaway(&mut self.out, Status::Unavailable, message);
                self.stop_reading();
                return true;
            }
            self.timer.as_mut().reset(idle_at);
        }
        false
    }
}
