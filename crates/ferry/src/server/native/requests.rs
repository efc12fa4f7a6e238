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
    stream::{StreamFault, MAX_FRAGMENT_LEN},
    ByteStr, Frame, Request, Response, Status,
};

use super::{
    goaway, kind_name,
    port::Outbound,
    running::{answer, Keep, Running, Task},
};
use crate::{
    context::Peer,
    io::WriteQueue,
    layer::Subject,
    metrics::{
        counted::Counted,
        recent::Countdown,
        tally::{Kept, Tally},
        MethodMetrics,
    },
    router::Route,
    server::{
        dispatcher::{begin, poll_guarded, Begun},
        stats::Limit,
        Shared,
    },
    stream::{Incoming, RawSink, RawSource, StreamEnds, StreamTable, Ways},
    trace::TraceId,
    Call, CallError, Codec, Context as CallContext, Dialect, MethodDescriptor, Reply, Router,
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
    metered: bool,
    /// Calls answered in their first poll, not yet in their methods' figures.
    tally: Tally,
    /// Picks the calls kept for `/rpcz`.
    countdown: Countdown,
    /// The streams of the streaming calls in flight.
    pub(super) streams: StreamTable,
}

impl Requests {
    pub(super) fn new(
        shared: Arc<Shared>,
        codec: Codec,
        peer_max_frame_len: u32,
        peer: Peer,
    ) -> Requests {
        Requests {
            metered: shared.telemetry.enabled(),
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
                queue_response(out, &response);
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
            return self.refuse(out, call_id, status, &message);
        }
        // Decided before any work is done for the call, as a countdown of this connection's.
        let kept_len = (self.metered && self.countdown.keep(self.shared.telemetry.recent()))
            .then(|| request.body.len());
        let Prepared {
            call,
            known,
            streaming,
            unknown,
        } = self.prepare(request, now, out);
        let remembered = if known { self.recent.as_ref() } else { None };
        let method = match remembered {
            Some((name, _)) => name,
            None => &unknown,
        };
        let route = remembered.map(|(_, route)| route);
        let descriptor = route.and_then(Route::descriptor);
        let metrics = route.map_or(self.shared.router.other_metrics(), Route::metrics);
        let started = match begin(&self.shared, call, route, now) {
            Begun::Answered(reply) => {
                let refused = CallError::new(Status::Cancelled, "the call was refused");
                self.streams.finish(call_id, None, &refused);
                let bytes_out = reply.body.len();
                let status = self.queue_reply(out, call_id, reply, method);
                let kept = kept_len.map(|bytes_in| (bytes_in, bytes_out));
                tally_call(
                    self.metered.then_some(&mut self.tally),
                    metrics,
                    (status, now),
                    method,
                    kept,
                    None,
                );
                return;
            }
            Begun::Started(started) => started,
        };
        self.last_call_id = self.last_call_id.max(call_id);
        self.uncounted += 1;
        let mut handler = started.handler;
        // Polled once, here: most handlers finish in their first poll and are answered without
        // a task (a spawn per call cost more than half the throughput of small calls). One that
        // is not done moves to a task of its own, so it holds up no other call.
        let layers = self.shared.router.layers();
        let subject = || Subject {
            method,
            descriptor,
            dialect: Dialect::Native,
            peer: &self.peer,
        };
        match poll_guarded(&mut handler, method, self.codec, cx) {
            Poll::Ready(reply) => {
                let bytes_out = reply.body.len();
                let status = if streaming {
                    let response =
                        answer(call_id, reply, method, self.codec, self.peer_max_frame_len);
                    let status = response.status;
                    self.running.answer_in_turn(response);
                    status
                } else {
                    self.queue_reply(out, call_id, reply, method)
                };
                if let Some(watch) = started.watch {
                    watch.finish(layers, subject(), status);
                }
                let kept = kept_len.map(|bytes_in| (bytes_in, bytes_out));
                let trace_id = started.trace_id;
                tally_call(
                    self.metered.then_some(&mut self.tally),
                    metrics,
                    (status, now),
                    method,
                    kept,
                    trace_id,
                );
            }
            Poll::Pending => {
                let guard = started.watch.map(|watch| watch.guard(layers, subject()));
                let counted = self
                    .metered
                    .then(|| Counted::start(metrics.clone(), Dialect::Native, now));
                let task = Task {
                    call_id,
                    method: method.clone(),
                    deadline: started.deadline,
                    codec: self.codec,
                    peer_max_frame_len: self.peer_max_frame_len,
                    guard,
                    counted,
                    kept: kept_len.map(|bytes_in| Keep {
                        bytes_in,
                        trace_id: started.trace_id,
                        telemetry: self.shared.telemetry.clone(),
                        peer: self.peer.clone(),
                    }),
                };
                self.running.spawn(task, handler);
            }
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
        &self,
        out: &mut WriteQueue,
        call_id: u32,
        reply: Reply,
        method: &ByteStr,
    ) -> Status {
        let response = answer(call_id, reply, method, self.codec, self.peer_max_frame_len);
        queue_response(out, &response);
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
    pub(super) fn fail(&self, out: &mut WriteQueue, call_id: u32, status: Status, message: &str) {
        let body = Reply::error(self.codec, status, message).body;
        queue_response(
            out,
            &Response {
                call_id,
                status,
                body,
            },
        );
    }

    /// Queues a goaway saying why the connection takes no more calls.
    pub(super) fn goaway(&self, out: &mut WriteQueue, status: Status, message: String) {
        out.push_frame(&goaway(self.last_call_id, status, message));
    }
}

/// Tallies, into `tally` when calls are counted, a call answered in its first poll that
/// arrived at `now` and ended `status`; with the bytes in and out of a call kept for `/rpcz`,
/// keeps it too.
#[inline]
fn tally_call(
    tally: Option<&mut Tally>,
    metrics: &Arc<MethodMetrics>,
    (status, now): (Status, Instant),
    method: &str,
    kept: Option<(usize, usize)>,
    trace_id: Option<TraceId>,
) {
    let Some(tally) = tally else {
        return;
    };
    tally.add(metrics, status, now);
    if let Some(bytes) = kept {
        tally.keep(Kept::new(method, status, bytes, trace_id));
    }
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

/// Queues a response: its head, then its body, shared rather than copied when large.
pub(super) fn queue_response(out: &mut WriteQueue, response: &Response) {
    out.push_encoded(|dst| response.encode_head(dst));
    out.push_body(&response.body);
}
