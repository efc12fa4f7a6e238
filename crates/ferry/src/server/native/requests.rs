//! What each frame from a client does: admit or refuse a request, find its handler, poll it
//! once, and queue its answer, or give it a task of its own. No I/O here: answers go into the
//! write queue the driver hands in.

use std::{
    sync::{atomic::Ordering, Arc},
    task::{Context, Poll},
    time::Duration,
};

use tokio::time::Instant;

use bytes::Bytes;
use ferry_wire::{
    compress::Compressor,
    stream::{StreamFault, MAX_FRAGMENT_LEN},
    ByteStr, Frame, Request, Response, Status,
};

use super::{
    goaway, kind_name,
    port::Outbound,
    running::{answer, Counting, Keep, Running, Task},
};
use crate::{
    context::Peer,
    io::WriteQueue,
    layer::{Guard, Subject},
    metrics::{
        counted::Counted,
        recent::Countdown,
        tally::{Kept, Tally},
        MethodMetrics,
    },
    router::Route,
    server::{
        dispatcher::{begin, poll_guarded, Begun, Deadline, Started},
        stats::Limit,
        Shared,
    },
    stream::{Incoming, RawSink, RawSource, StreamEnds, StreamTable, Ways},
    trace::TraceId,
    Call, CallError, Codec, Context as CallContext, Dialect, MethodDescriptor, Reply, ReplyFuture,
    Router,
};

/// One connection's dispatch state.
pub(super) struct Requests {
    shared: Arc<Shared>,
    codec: Codec,
    /// The largest frame body the client said it accepts.
    peer_max_frame_len: u32,
    /// Who is at the other end, for every call's context.
    peer: Peer,
    pub(super) last_call_id: u32,
    pub(super) running: Running,
    /// Set once the connection stops taking calls.
    pub(super) draining: bool,
    /// The last method called and its route (see [`remember`]).
    recent: Option<(ByteStr, Route)>,
    /// Calls dispatched since the server's counter was last brought up to date.
    uncounted: u64,
    /// Whether calls are counted per method (the server's `metrics` setting).
    counts_calls: bool,
    /// Calls answered in their first poll, not yet in their methods' figures.
    tally: Tally,
    /// Picks the calls kept for `/rpcz`.
    countdown: Countdown,
    /// The streams of the streaming calls in flight.
    pub(super) streams: StreamTable,
    /// Compresses answers over the threshold, when both prefaces accepted zstd.
    zstd: Option<Compressor>,
}

impl Requests {
    pub(super) fn new(
        shared: Arc<Shared>,
        codec: Codec,
        peer_max_frame_len: u32,
        peer: Peer,
        zstd: Option<Compressor>,
    ) -> Requests {
        Requests {
            counts_calls: shared.telemetry.enabled(),
            shared,
            codec,
            peer_max_frame_len,
            peer,
            last_call_id: 0,
            running: Running::default(),
            draining: false,
            recent: None,
            uncounted: 0,
            tally: Tally::default(),
            countdown: Countdown::default(),
            streams: StreamTable::default(),
            zstd,
        }
    }

    /// Handles one frame read at `now`; `Err` is a protocol error that ends the connection.
    pub(super) fn on_frame(
        &mut self,
        frame: Frame,
        now: Instant,
        out: &mut WriteQueue,
        cx: &mut Context<'_>,
    ) -> Result<(), String> {
        match frame {
            Frame::Request(request) => self.on_request(request, now, out, cx),
            Frame::Cancel { call_id } => {
                self.running.cancel(call_id);
                let reason = CallError::new(Status::Cancelled, "the caller cancelled the call");
                self.streams.finish(call_id, None, &reason);
            }
            Frame::StreamItem {
                call_id,
                body,
                more,
            } => return self.on_item(call_id, body, more, out),
            Frame::StreamEnd(end) => {
                let reply = Reply {
                    status: end.status,
                    body: end.body,
                };
                self.streams.end_incoming(end.call_id, Incoming::End(reply));
            }
            Frame::StreamCredit { call_id, bytes } => self.streams.on_credit(call_id, bytes),
            Frame::Ping { payload } => out.push_frame(&Frame::Pong { payload }),
            Frame::GoAway(_) => self.draining = true,
            Frame::Pong { .. } => {}
            other => {
                return Err(format!(
                    "a client may not send {} frames",
                    kind_name(&other)
                ))
            }
        }
        Ok(())
    }

    /// An item of a caller's stream. Beyond its credit the caller broke the protocol; an item
    /// over the limit ends the stream `too_large` on both sides, and the call goes on.
    fn on_item(
        &mut self,
        call_id: u32,
        body: Bytes,
        more: bool,
        out: &mut WriteQueue,
    ) -> Result<(), String> {
        match self.streams.on_item(call_id, body, more, out) {
            Ok(()) => Ok(()),
            Err(fault @ StreamFault::ItemTooLarge { .. }) => {
                let message = fault.to_string();
                let failure = CallError::new(Status::TooLarge, message.clone());
                self.streams
                    .end_incoming(call_id, Incoming::Failed(failure));
                self.end_stream(out, call_id, Status::TooLarge, &message);
                Ok(())
            }
            Err(fault) => Err(fault.to_string()),
        }
    }

    /// Queues a stream end of this side's: the handler no longer takes the caller's items.
    fn end_stream(&self, out: &mut WriteQueue, call_id: u32, status: Status, message: &str) {
        let body = Reply::error(self.codec, status, message).body;
        out.push_frame(&Frame::StreamEnd(Response {
            call_id,
            status,
            body,
        }));
    }

    /// Handles what a handler handed the connection.
    pub(super) fn on_outbound(&mut self, outbound: Outbound, out: &mut WriteQueue) {
        match outbound {
            Outbound::Answer(response) => {
                let over = CallError::new(Status::Cancelled, "the call is over");
                self.streams.finish(response.call_id, None, &over);
                self.queue_response(out, &response);
            }
            // A cancelled call's last items are not worth the bytes.
            Outbound::Item {
                call_id,
                head,
                body,
                more,
            } if self.streams.contains(call_id) => out.push_item(call_id, &head, &body, more),
            Outbound::Item { .. } => {}
            Outbound::Taken { call_id, cost } => self.streams.on_taken(call_id, cost, out),
            Outbound::StopReading { call_id } => {
                if self.streams.stop_reading(call_id) {
                    let message = "the handler stopped reading the stream";
                    self.end_stream(out, call_id, Status::Cancelled, message);
                }
            }
        }
    }

    /// Opens the streams of a call of the streaming method `described`.
    fn open_streams(
        &mut self,
        call: Call,
        call_id: u32,
        described: &MethodDescriptor,
        out: &mut WriteQueue,
    ) -> Call {
        let ways = Ways {
            receives: described.client_stream.is_some(),
            sends: described.server_stream.is_some(),
            ends_incoming: false,
        };
        let opened = self
            .streams
            .open(call_id, ways, &self.shared.config.streams, out);
        let port = self.running.port();
        let max_fragment = MAX_FRAGMENT_LEN.min(self.peer_max_frame_len as usize);
        let ends = StreamEnds {
            source: opened
                .incoming
                .map(|items| RawSource::new(call_id, items, port.clone())),
            sink: opened
                .sending
                .map(|window| RawSink::new(call_id, window, port, max_fragment)),
        };
        call.with_streams(ends)
    }

    /// Brings the server's call counter and the methods' figures up to date: once per pass
    /// over a read, not once per call, so connections do not contend for their cache lines.
    /// Runs before answers are written, so a scrape after an answer counts its call.
    pub(super) fn count_calls(&mut self) {
        if self.uncounted > 0 {
            let calls = &self.shared.stats.calls;
            calls.fetch_add(std::mem::take(&mut self.uncounted), Ordering::Relaxed);
        }
        self.tally.flush(&self.shared.telemetry, &self.peer);
    }

    fn on_request(
        &mut self,
        request: Request,
        now: Instant,
        out: &mut WriteQueue,
        cx: &mut Context<'_>,
    ) {
        let call_id = request.call_id;
        if let Err((status, message)) = self.admit(&request) {
            self.count_refused(&request.method, status, now);
            return self.refuse(out, call_id, status, &message);
        }
        // Decided before any work is done for the call, as a countdown of this connection's.
        let kept_bytes_in = (self.counts_calls
            && self.countdown.keep(self.shared.telemetry.recent()))
        .then(|| request.body.len());
        let prepared = self.prepare(request, now, out);
        // Taken out while the call runs, so that the name and route it lends cost no copy
        // and no reference count.
        let recent = self.recent.take();
        let remembered = recent.as_ref().filter(|_| prepared.known);
        let arrival = Arrival {
            call_id,
            now,
            kept_bytes_in,
        };
        self.run(prepared, remembered, arrival, out, cx);
        self.recent = recent;
    }

    /// Counts a call of `method` refused before it was run, in its method's figures.
    fn count_refused(&mut self, method: &ByteStr, status: Status, now: Instant) {
        if !self.counts_calls {
            return;
        }
        let known = remember(&mut self.recent, &self.shared.router, method);
        let metrics = match &self.recent {
            Some((_, route)) if known => route.metrics(),
            _ => self.shared.router.other_metrics(),
        };
        self.tally.add(metrics, status, now);
    }

    /// Runs a prepared call of the method `remembered` (`None`: no method has its name).
    fn run(
        &mut self,
        prepared: Prepared,
        remembered: Option<&(ByteStr, Route)>,
        arrival: Arrival,
        out: &mut WriteQueue,
        cx: &mut Context<'_>,
    ) {
        let method = remembered.map_or(&prepared.unknown, |(name, _)| name);
        let route = remembered.map(|(_, route)| route);
        let other;
        let metrics = match route {
            Some(route) => route.metrics(),
            None => {
                other = self.shared.router.other_metrics().clone();
                &other
            }
        };
        let at = Answering {
            method,
            metrics,
            arrival,
            streaming: prepared.streaming,
        };
        match begin(&self.shared, prepared.call, route, arrival.now) {
            Begun::Answered(reply) => self.answer_unstarted(&at, reply, out),
            Begun::Started(started) => {
                self.last_call_id = self.last_call_id.max(arrival.call_id);
                self.uncounted += 1;
                self.poll_first(&at, route.and_then(Route::descriptor), started, out, cx);
            }
        }
    }

    /// Answers a call refused before its handler ran.
    fn answer_unstarted(&mut self, at: &Answering<'_>, reply: Reply, out: &mut WriteQueue) {
        let call_id = at.arrival.call_id;
        let refused = CallError::new(Status::Cancelled, "the call was refused");
        self.streams.finish(call_id, None, &refused);
        let bytes_out = reply.body.len();
        let status = self.queue_reply(out, call_id, reply, at.method);
        self.tally_call(at, status, bytes_out, None);
    }

    /// Polls a handler once, here: most handlers finish in their first poll and are answered
    /// without a task (a spawn per call cost more than half the throughput of small calls).
    /// One that is not done moves to a task of its own, so it holds up no other call.
    fn poll_first(
        &mut self,
        at: &Answering<'_>,
        descriptor: Option<&'static MethodDescriptor>,
        started: Started,
        out: &mut WriteQueue,
        cx: &mut Context<'_>,
    ) {
        let Started {
            mut handler,
            deadline,
            watch,
            trace_id,
        } = started;
        let reply = match poll_guarded(&mut handler, at.method, self.codec, cx) {
            Poll::Ready(reply) => reply,
            Poll::Pending => {
                let subject = self.subject(at.method, descriptor);
                let guard = watch.map(|watch| watch.guard(self.shared.router.layers(), subject));
                let running = RunningCall {
                    deadline,
                    guard,
                    trace_id,
                };
                return self.spawn(at, running, handler);
            }
        };
        let bytes_out = reply.body.len();
        let status = self.answer_first(at, reply, out);
        if let Some(watch) = watch {
            let subject = self.subject(at.method, descriptor);
            watch.finish(self.shared.router.layers(), subject, status);
        }
        self.tally_call(at, status, bytes_out, trace_id);
    }

    /// Answers a call whose handler finished in its first poll; the status it went out with.
    fn answer_first(&mut self, at: &Answering<'_>, reply: Reply, out: &mut WriteQueue) -> Status {
        let call_id = at.arrival.call_id;
        if !at.streaming {
            return self.queue_reply(out, call_id, reply, at.method);
        }
        // Behind the stream frames its handler made: the answer must not overtake its items.
        let response = answer(
            call_id,
            reply,
            at.method,
            self.codec,
            self.peer_max_frame_len,
        );
        let status = response.status;
        self.running.answer_in_turn(response);
        status
    }

    /// Moves a call whose handler is not done to a task of its own.
    fn spawn(&mut self, at: &Answering<'_>, running: RunningCall, handler: ReplyFuture) {
        let counting = self.counts_calls.then(|| Counting {
            counted: Counted::start(at.metrics.clone(), Dialect::Native, at.arrival.now),
            kept: at.arrival.kept_bytes_in.map(|bytes_in| Keep {
                method: at.method.clone(),
                bytes_in,
                trace_id: running.trace_id,
                telemetry: self.shared.telemetry.clone(),
                peer: self.peer.clone(),
            }),
        });
        let task = Task {
            call_id: at.arrival.call_id,
            method: at.method.clone(),
            deadline: running.deadline,
            codec: self.codec,
            peer_max_frame_len: self.peer_max_frame_len,
            guard: running.guard,
        };
        self.running.spawn(task, handler, counting);
    }

    /// Who and what the call is, for its layers' report.
    fn subject<'a>(
        &'a self,
        method: &'a ByteStr,
        descriptor: Option<&'static MethodDescriptor>,
    ) -> Subject<'a> {
        Subject {
            method,
            descriptor,
            dialect: Dialect::Native,
            peer: &self.peer,
        }
    }

    /// Tallies a call answered in its first poll that ended `status`; a call kept for
    /// `/rpcz` is kept too.
    #[inline]
    fn tally_call(
        &mut self,
        at: &Answering<'_>,
        status: Status,
        bytes_out: usize,
        trace_id: Option<TraceId>,
    ) {
        if !self.counts_calls {
            return;
        }
        self.tally.add(at.metrics, status, at.arrival.now);
        if let Some(bytes_in) = at.arrival.kept_bytes_in {
            self.tally.keep(Kept {
                method: at.method.as_str().to_owned(),
                status,
                arrived: at.arrival.now,
                bytes: (bytes_in, bytes_out),
                trace_id,
            });
        }
    }

    /// The call `request` makes, with its streams opened when its method streams.
    #[inline]
    fn prepare(&mut self, request: Request, now: Instant, out: &mut WriteQueue) -> Prepared {
        let call_id = request.call_id;
        let known = remember(&mut self.recent, &self.shared.router, &request.method);
        let streaming = match &self.recent {
            Some((_, route)) if known => route.descriptor().filter(|d| d.is_streaming()),
            _ => None,
        };
        // Messages name the method by the remembered copy, so a call costs no reference count
        // for it; only a name no method has (rare) is copied for them.
        let unknown = if known {
            ByteStr::default()
        } else {
            request.method.clone()
        };
        let mut call = self.call_of(request, now);
        if let Some(described) = streaming {
            call = self.open_streams(call, call_id, described, out);
        }
        Prepared {
            call,
            known,
            streaming: streaming.is_some(),
            unknown,
        }
    }

    /// The call `request` makes, its bytes read at `now`. The context takes the request's own
    /// name: like the body, it lives as long as the call.
    fn call_of(&self, request: Request, now: Instant) -> Call {
        let deadline = request.deadline.map(|left| now + left);
        let peer = self.peer.clone();
        let ctx = CallContext::arrived(
            request.method,
            Dialect::Native,
            peer,
            request.metadata,
            deadline,
        );
        Call::new(self.codec, ctx, request.body)
    }

    /// Queues the answer carrying `reply`; the status it went out with.
    fn queue_reply(
        &mut self,
        out: &mut WriteQueue,
        call_id: u32,
        reply: Reply,
        method: &ByteStr,
    ) -> Status {
        let response = answer(call_id, reply, method, self.codec, self.peer_max_frame_len);
        self.queue_response(out, &response);
        response.status
    }

    /// Refuses a request the connection cannot take now.
    fn admit(&self, request: &Request) -> Result<(), (Status, String)> {
        if self.draining {
            let message =
                "the server is shutting down; the call was not run, retry on a new connection";
            return Err((Status::Unavailable, message.to_owned()));
        }
        let running = self.running.len();
        if running >= self.shared.config.max_in_flight {
            self.shared.stats.refused(Limit::MaxInFlight);
            let message = format!(
                "{running} calls already running on this connection, the server's limit; retry when some finish"
            );
            return Err((Status::Overloaded, message));
        }
        if self.running.contains(request.call_id) {
            let message = format!("call id {} is already in flight", request.call_id);
            return Err((Status::Protocol, message));
        }
        if request.deadline == Some(Duration::ZERO) {
            let message = format!("{} arrived with no time left", request.method);
            return Err((Status::DeadlineExceeded, message));
        }
        Ok(())
    }

    /// Refuses `call_id` without running it: a REFUSED frame, which tells the caller it may
    /// send the call again elsewhere.
    pub(super) fn refuse(&self, out: &mut WriteQueue, call_id: u32, status: Status, message: &str) {
        let body = Reply::error(self.codec, status, message).body;
        out.push_frame(&Frame::Refused(Response {
            call_id,
            status,
            body,
        }));
    }

    /// Answers a call that was running with an error of the server's own: the handler may
    /// have done part of its work, so unlike [`Requests::refuse`] this is a plain response.
    pub(super) fn fail(
        &mut self,
        out: &mut WriteQueue,
        call_id: u32,
        status: Status,
        message: &str,
    ) {
        let body = Reply::error(self.codec, status, message).body;
        let response = Response {
            call_id,
            status,
            body,
        };
        self.queue_response(out, &response);
    }

    /// Queues a response: its head, then its body, shared rather than copied when large;
    /// compressed when zstd was agreed and it is over the threshold and shrinks.
    fn queue_response(&mut self, out: &mut WriteQueue, response: &Response) {
        let compressed = match &mut self.zstd {
            Some(zstd) if zstd.worth(response.body.len()) => zstd.compress(&response.body),
            _ => None,
        };
        let Some(body) = compressed else {
            out.push_encoded(|dst| response.encode_head(dst));
            return out.push_body(&response.body);
        };
        let compressed = Response {
            call_id: response.call_id,
            status: response.status,
            body,
        };
        out.push_encoded(|dst| compressed.encode_zstd_head(dst));
        out.push_body(&compressed.body);
    }

    /// Queues a goaway saying why the connection takes no more calls.
    pub(super) fn goaway(&self, out: &mut WriteQueue, status: Status, message: String) {
        out.push_frame(&goaway(self.last_call_id, status, message));
    }
}

/// When a request arrived and what it asked: its call id, and the bytes of its arguments when
/// it is kept for `/rpcz`.
#[derive(Clone, Copy)]
struct Arrival {
    call_id: u32,
    now: Instant,
    kept_bytes_in: Option<usize>,
}

/// What answering a call takes, whichever way it is answered.
struct Answering<'a> {
    method: &'a ByteStr,
    metrics: &'a Arc<MethodMetrics>,
    arrival: Arrival,
    /// Whether the method streams (its answer then waits behind its items).
    streaming: bool,
}

/// What a call that runs on in a task keeps of its start.
struct RunningCall {
    deadline: Option<Deadline>,
    guard: Option<Guard>,
    trace_id: Option<TraceId>,
}

/// A request turned into its call, before dispatch.
struct Prepared {
    call: Call,
    /// Whether a method has the request's name (then `recent` holds its route).
    known: bool,
    /// Whether the method streams (its streams are open in `call`).
    streaming: bool,
    /// The name of a method no route has; empty for a known one.
    unknown: ByteStr,
}

/// Remembers the route of `method` and its name in `recent`, if it has one: a connection
/// mostly calls one method over and over, and comparing its name is cheaper than hashing it.
/// False for a name no method has.
fn remember(recent: &mut Option<(ByteStr, Route)>, router: &Router, method: &ByteStr) -> bool {
    if matches!(recent, Some((name, _)) if name == method) {
        return true;
    }
    let Some(route) = router.route(method) else {
        return false;
    };
    // A copy: a slice would keep the whole read buffer it came in alive.
    *recent = Some((ByteStr::from(method.as_str()), route.clone()));
    true
}
