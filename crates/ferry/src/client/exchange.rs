//! What callers and a connection's driver share: the frames callers have queued for the
//! socket and the calls waiting for their answers. No I/O here; the driver does that.
//!
//! ```text
//!  caller ─submit: encode the request, wait─▶ out ─driver takes it─▶ socket
//!  caller ◀─────── wake ─── pending[call id] ◀─driver delivers──── socket
//! ```
//!
//! A caller encodes its own request into the queue and registers itself in the same locked
//! step, so a call costs no channel message, no oneshot and no copy of its method, metadata or
//! body. The lock belongs to one connection and is held for a few field updates at a time.

use std::{collections::HashMap, hash::BuildHasherDefault, mem, task::Waker, time::Duration};

use bytes::Bytes;
use tokio::time::Instant;

use ferry_wire::{
    stream::{StreamFault, MAX_FRAGMENT_LEN},
    ByteStr, Frame, RequestHead, Response, Status,
};

use super::{pending::CallIdHasher, unanswered::Unanswered};
use crate::{
    io::WriteQueue,
    stream::{Incoming, Opened, StreamLimits, StreamTable, Ways},
    CallError, Codec, Reply,
};

/// A call's way out and its way back.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Outgoing<'a> {
    pub(crate) method: &'a ByteStr,
    pub(crate) metadata: &'a [(ByteStr, ByteStr)],
    pub(crate) body: &'a Bytes,
    /// `body` compressed, when it goes compressed: the limits are checked against `body`,
    /// which the server decompresses to.
    pub(crate) zstd: Option<&'a Bytes>,
    /// The time the call has left, sent to the server.
    pub(crate) time_left: Option<Duration>,
    /// When the caller stops waiting.
    pub(crate) deadline: Option<Instant>,
}

/// A call that was queued: it waits for its answer, or has it.
enum Slot {
    Waiting {
        waker: Waker,
        deadline: Option<Instant>,
        /// The driver's take count when the call was queued: while it has not changed, the
        /// request has not left, so the server cannot have run it.
        queued_in: u64,
    },
    Answered(Result<Reply, Unanswered>),
}

impl Slot {
    /// Puts `answer` in a waiting slot; the caller's waker to wake, or `None` if the slot was
    /// answered already.
    fn settle(&mut self, answer: Result<Reply, Unanswered>) -> Option<Waker> {
        if let Slot::Answered(_) = self {
            return None;
        }
        match mem::replace(self, Slot::Answered(answer)) {
            Slot::Waiting { waker, .. } => Some(waker),
            Slot::Answered(_) => None,
        }
    }
}

/// The shared state of one connection.
#[derive(Default)]
pub(crate) struct Exchange {
    /// Frames queued for the driver to write.
    out: WriteQueue,
    pending: HashMap<u32, Slot, BuildHasherDefault<CallIdHasher>>,
    /// Calls in `pending` still waiting for the server; answered ones wait for their caller.
    waiting: usize,
    next_call_id: u32,
    /// How many times the driver has taken `out`.
    takes: u64,
    /// The earliest deadline of a waiting call, or an earlier one since answered.
    earliest_deadline: Option<Instant>,
    /// The driver's waker, left when it had nothing to do; the first caller with work takes it.
    driver: Option<Waker>,
    /// Whether the driver parked with its socket full: it takes no frames until the socket
    /// drains and wakes it, so only what the socket cannot tell it wakes it (an earlier
    /// deadline, the release of the connection).
    driver_writing: bool,
    /// Why new calls cannot use this connection, once they cannot.
    closed: Option<Unanswered>,
    /// Set once no client holds the connection any more.
    released: bool,
    /// The largest frame body the server accepts.
    server_max_frame_len: u32,
    /// The streams of the streaming calls waiting.
    streams: StreamTable,
    /// The connection's codec, for the bodies of stream ends.
    codec: Codec,
}

/// Wakers to call once the lock is released.
pub(crate) type Wakeups = Vec<Waker>;

impl Exchange {
    pub(crate) fn new(server_max_frame_len: u32, codec: Codec) -> Exchange {
        Exchange {
            next_call_id: 1,
            server_max_frame_len,
            codec,
            ..Exchange::default()
        }
    }

    /// Queues a call whose answer wakes `waker`; its call id, and the driver's waker when the
    /// driver must be woken to write it.
    pub(crate) fn submit(
        &mut self,
        call: Outgoing<'_>,
        waker: &Waker,
    ) -> Result<(u32, Option<Waker>), Unanswered> {
        let call_id = self.queue_request(call, waker)?;
        Ok((call_id, self.wake_for(call.deadline)))
    }

    /// Queues a streaming call and opens its streams; its call id, the streams' ends, and the
    /// driver's waker when the driver must be woken to write it. Its answer comes through the
    /// incoming channel, after the server's items.
    pub(crate) fn submit_stream(
        &mut self,
        call: Outgoing<'_>,
        ways: Ways,
        limits: &StreamLimits,
    ) -> Result<(u32, Opened, Option<Waker>), Unanswered> {
        let call_id = self.queue_request(call, Waker::noop())?;
        let opened = self.streams.open(call_id, ways, limits, &mut self.out);
        Ok((call_id, opened, self.wake_for(call.deadline)))
    }

    /// The largest item fragment the server takes in one frame.
    pub(crate) fn max_fragment(&self) -> usize {
        MAX_FRAGMENT_LEN.min(self.server_max_frame_len as usize)
    }

    /// Queues a call's request and its slot; its call id.
    fn queue_request(&mut self, call: Outgoing<'_>, waker: &Waker) -> Result<u32, Unanswered> {
        if let Some(failure) = &self.closed {
            return Err(failure.clone());
        }
        let call_id = self.next_call_id;
        let head = RequestHead {
            call_id,
            method: call.method,
            deadline: call.time_left,
            metadata: call.metadata,
            body_len: call.body.len(),
            zstd: false,
        };
        let frame_body_len = head.frame_body_len();
        if frame_body_len > self.server_max_frame_len as usize {
            let message = format!(
                "request of {frame_body_len} bytes is over the server's {}-byte frame limit",
                self.server_max_frame_len
            );
            return Err(Unanswered::Error(CallError::new(Status::TooLarge, message)));
        }
        self.next_call_id = call_id.wrapping_add(1).max(1);
        let (head, body) = match call.zstd {
            None => (head, call.body),
            Some(compressed) => {
                let body_len = compressed.len();
                let head = RequestHead {
                    body_len,
                    zstd: true,
                    ..head
                };
                (head, compressed)
            }
        };
        self.out.push_encoded(|dst| head.encode(dst));
        self.out.push_body(body);
        let slot = Slot::Waiting {
            waker: waker.clone(),
            deadline: call.deadline,
            queued_in: self.takes,
        };
        self.pending.insert(call_id, slot);
        self.waiting += 1;
        Ok(call_id)
    }

    /// The driver's waker for a call just queued with `deadline`.
    fn wake_for(&mut self, deadline: Option<Instant>) -> Option<Waker> {
        let earlier =
            deadline.filter(|deadline| self.earliest_deadline.is_none_or(|at| *deadline < at));
        if earlier.is_some() {
            // A driver that is not parked reads this before it next sleeps; a parked one is
            // woken below, even on a full socket, and arms its timer for it.
            self.earliest_deadline = earlier;
            return self.driver.take();
        }
        self.wake_for_work()
    }

    /// The connection's codec.
    pub(crate) fn codec(&self) -> Codec {
        self.codec
    }

    /// Queues an item frame of `call_id`'s stream, unless the call is over.
    pub(crate) fn queue_item(
        &mut self,
        call_id: u32,
        head: &[u8],
        body: &Bytes,
        more: bool,
    ) -> Option<Waker> {
        if !self.streams.contains(call_id) {
            return None;
        }
        self.out.push_item(call_id, head, body, more);
        self.wake_for_work()
    }

    /// Queues the end of the caller's stream of `call_id`.
    pub(crate) fn queue_end(&mut self, call_id: u32, status: Status, body: Bytes) -> Option<Waker> {
        if !self.streams.contains(call_id) {
            return None;
        }
        let end = Response {
            call_id,
            status,
            body,
        };
        self.out.push_frame(&Frame::StreamEnd(end));
        self.wake_for_work()
    }

    /// The consumer of `call_id`'s stream took items costing `cost`; the driver's waker when
    /// that made credit to send.
    pub(crate) fn taken(&mut self, call_id: u32, cost: u64) -> Option<Waker> {
        let queued = self.out.len();
        self.streams.on_taken(call_id, cost, &mut self.out);
        if self.out.len() == queued {
            return None;
        }
        self.wake_for_work()
    }

    /// Takes an item frame from the server. `Err` is a protocol error that ends the
    /// connection; an item over this client's limit fails its call `too_large`.
    pub(crate) fn on_item(
        &mut self,
        call_id: u32,
        body: Bytes,
        more: bool,
        wakeups: &mut Wakeups,
    ) -> Result<(), String> {
        match self.streams.on_item(call_id, body, more, &mut self.out) {
            Ok(()) => Ok(()),
            Err(fault @ StreamFault::ItemTooLarge { .. }) => {
                let failure = CallError::new(Status::TooLarge, fault.to_string());
                self.deliver(call_id, Err(Unanswered::Error(failure)), wakeups);
                self.out.push_frame(&Frame::Cancel { call_id });
                Ok(())
            }
            Err(fault) => Err(format!("protocol error from the server: {fault}")),
        }
    }

    /// The server granted credit to `call_id`'s stream.
    pub(crate) fn on_credit(&mut self, call_id: u32, bytes: u32) {
        self.streams.on_credit(call_id, bytes);
    }

    /// The server stopped reading `call_id`'s stream: its sender stops; the call goes on.
    pub(crate) fn on_stream_end(&mut self, call_id: u32, why: String) {
        let reason = CallError::new(
            Status::Cancelled,
            format!("the server stopped reading the stream: {why}"),
        );
        self.streams.stop_sending(call_id, reason);
    }

    /// The answer of `call_id`, if it came; otherwise `waker` is woken when it does.
    pub(crate) fn poll_answer(
        &mut self,
        call_id: u32,
        waker: &Waker,
    ) -> Option<Result<Reply, Unanswered>> {
        match self.pending.get_mut(&call_id) {
            Some(Slot::Waiting { waker: known, .. }) => {
                if !known.will_wake(waker) {
                    known.clone_from(waker);
                }
                None
            }
            Some(Slot::Answered(_)) => match self.pending.remove(&call_id) {
                Some(Slot::Answered(answer)) => Some(answer),
                _ => None,
            },
            None => Some(Err(Unanswered::Lost(
                "the connection forgot the call".to_owned(),
            ))),
        }
    }

    /// The caller gave up on `call_id`: forgets it and, if it may be running, queues a cancel
    /// frame; the driver's waker when the driver must be woken to write it.
    pub(crate) fn abandon(&mut self, call_id: u32) -> Option<Waker> {
        let Some(Slot::Waiting { .. }) = self.pending.remove(&call_id) else {
            return None;
        };
        self.waiting -= 1;
        if !self.streams.is_empty() {
            let reason = CallError::new(Status::Cancelled, "the caller gave up on the call");
            self.streams.finish(call_id, None, &reason);
        }
        if self.closed.is_some() {
            return None;
        }
        self.out.push_frame(&Frame::Cancel { call_id });
        self.wake_for_work()
    }

    /// Hands `answer` to `call_id`'s caller, if it still waits.
    pub(crate) fn deliver(
        &mut self,
        call_id: u32,
        answer: Result<Reply, Unanswered>,
        wakeups: &mut Wakeups,
    ) {
        if !self.streams.is_empty() && self.streams.contains(call_id) {
            return self.deliver_to_stream(call_id, answer);
        }
        if let Some(waker) = self
            .pending
            .get_mut(&call_id)
            .and_then(|slot| slot.settle(answer))
        {
            self.waiting -= 1;
            wakeups.push(waker);
        }
    }

    /// Ends a streaming call: its consumer gets the answer after the items.
    fn deliver_to_stream(&mut self, call_id: u32, answer: Result<Reply, Unanswered>) {
        if let Some(Slot::Waiting { .. }) = self.pending.remove(&call_id) {
            self.waiting -= 1;
        }
        let last = match answer {
            Ok(reply) => Incoming::End(reply),
            Err(failure) => Incoming::Failed(failure.into_error()),
        };
        let over = CallError::new(Status::Cancelled, "the call is over");
        self.streams.finish(call_id, Some(last), &over);
    }

    /// The driver's turn to write: everything queued since its last turn.
    pub(crate) fn take_out(&mut self, into: &mut WriteQueue) {
        if !self.out.is_empty() {
            mem::swap(&mut self.out, into);
            self.takes += 1;
        }
    }

    /// Queues a frame of the driver's own (a pong).
    pub(crate) fn queue_frame(&mut self, frame: &Frame) {
        self.out.push_frame(frame);
    }

    /// Leaves the driver's waker for the next caller with work, unless there is work already;
    /// true if the driver may sleep. A driver `writing` to a full socket may sleep whatever is
    /// queued: the socket wakes it once it can take more.
    pub(crate) fn park_driver(&mut self, waker: &Waker, writing: bool) -> bool {
        if !writing && !self.out.is_empty() {
            return false;
        }
        self.driver_writing = writing;
        match &mut self.driver {
            Some(known) if known.will_wake(waker) => {}
            driver => *driver = Some(waker.clone()),
        }
        true
    }

    /// The driver's waker, for frames just queued, unless it waits for its socket to drain.
    fn wake_for_work(&mut self) -> Option<Waker> {
        if self.driver_writing {
            return None;
        }
        self.driver.take()
    }

    /// The deadline the driver's timer is to fire at.
    pub(crate) fn earliest_deadline(&self) -> Option<Instant> {
        self.earliest_deadline
    }

    /// Fails every call whose deadline has passed and queues its cancel.
    pub(crate) fn expire(&mut self, now: Instant, wakeups: &mut Wakeups) {
        let expired: Vec<u32> = self
            .pending
            .iter()
            .filter(
                |(_, slot)| matches!(slot, Slot::Waiting { deadline: Some(at), .. } if *at <= now),
            )
            .map(|(call_id, _)| *call_id)
            .collect();
        for call_id in expired {
            self.deliver(call_id, Err(Unanswered::Expired), wakeups);
            self.out.push_frame(&Frame::Cancel { call_id });
        }
        self.earliest_deadline = self
            .pending
            .values()
            .filter_map(|slot| match slot {
                Slot::Waiting { deadline, .. } => *deadline,
                Slot::Answered(_) => None,
            })
            .min();
    }

    /// The server goes away: no new calls, and the waiting ones it says it never took are
    /// failed as not run.
    pub(crate) fn go_away(&mut self, last_call_id: u32, reason: &str, wakeups: &mut Wakeups) {
        self.closed
            .get_or_insert_with(|| Unanswered::NotRun(reason.to_owned()));
        let not_run: Vec<u32> = self
            .pending
            .keys()
            .copied()
            .filter(|call_id| *call_id > last_call_id)
            .collect();
        for call_id in not_run {
            let failure = Unanswered::NotRun(format!("{reason}; the call was not run"));
            self.deliver(call_id, Err(failure), wakeups);
        }
    }

    /// The connection is gone: every waiting call fails, as not run if its request never left.
    pub(crate) fn close(&mut self, reason: &str, wakeups: &mut Wakeups) {
        let lost = format!("{reason} in the middle of the stream");
        self.streams
            .fail_all(&CallError::new(Status::Unavailable, lost));
        // A goaway's reason (a shutdown, the server's connection cap) says more to a later
        // call than the close that followed it.
        self.closed
            .get_or_insert_with(|| Unanswered::NotRun(reason.to_owned()));
        self.out = WriteQueue::default();
        self.waiting = 0;
        let takes = self.takes;
        for slot in self.pending.values_mut() {
            let Slot::Waiting { queued_in, .. } = slot else {
                continue;
            };
            let failure = if *queued_in == takes {
                Unanswered::NotRun(format!("{reason} before the call was sent"))
            } else {
                Unanswered::Lost(format!("{reason} while the call was in flight"))
            };
            wakeups.extend(slot.settle(Err(failure)));
        }
    }

    /// No client holds the connection any more: once no call waits, the driver may close it.
    /// The driver's waker, to wake it so it sees.
    pub(crate) fn release(&mut self) -> Option<Waker> {
        self.released = true;
        self.driver.take()
    }

    /// Whether callers queued frames the driver has not taken.
    pub(crate) fn has_out(&self) -> bool {
        !self.out.is_empty()
    }

    /// Why the driver may close the connection now: nothing is queued, no call waits for the
    /// server (an answer its caller has not taken yet needs no socket), and either no client
    /// holds the connection or the server is going away.
    pub(crate) fn finished(&self) -> Option<&'static str> {
        if !self.out.is_empty() || self.waiting > 0 {
            return None;
        }
        if self.released {
            return Some("the client was dropped");
        }
        self.closed.as_ref().map(|_| "the server sent goaway")
    }
}

#[cfg(test)]
mod tests {
    use std::{
        sync::{
            atomic::{AtomicUsize, Ordering},
            Arc,
        },
        task::Wake,
    };

    use bytes::{Buf, BytesMut};
    use ferry_wire::{FrameDecoder, Request, Status};

    use super::*;

    /// A waker that counts its wakes.
    #[derive(Default)]
    struct Counter(AtomicUsize);

    impl Wake for Counter {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn waker() -> (Arc<Counter>, Waker) {
        let counter = Arc::new(Counter::default());
        (counter.clone(), Waker::from(counter))
    }

    fn method() -> ByteStr {
        ByteStr::from("echo.echo")
    }

    fn outgoing<'a>(method: &'a ByteStr, body: &'a Bytes) -> Outgoing<'a> {
        Outgoing {
            method,
            metadata: &[],
            body,
            zstd: None,
            time_left: Some(Duration::from_secs(2)),
            deadline: None,
        }
    }

    /// Queues a call of `echo.echo` with no arguments.
    fn submit(exchange: &mut Exchange, caller: &Waker) -> Result<(u32, Option<Waker>), Unanswered> {
        let (method, body) = (method(), Bytes::new());
        exchange.submit(outgoing(&method, &body), caller)
    }

    /// The frames the driver would write next.
    fn written(exchange: &mut Exchange) -> Vec<Frame> {
        let mut queue = WriteQueue::default();
        exchange.take_out(&mut queue);
        let mut bytes = BytesMut::from(&queue.copy_to_bytes(queue.remaining())[..]);
        let mut decoder = FrameDecoder::new(1 << 20);
        std::iter::from_fn(|| decoder.decode(&mut bytes).unwrap()).collect()
    }

    fn reply(body: &'static [u8]) -> Result<Reply, Unanswered> {
        Ok(Reply {
            status: Status::Ok,
            body: Bytes::from_static(body),
        })
    }

    #[test]
    fn a_submitted_call_is_queued_whole_and_wakes_a_parked_driver_once() {
        let mut exchange = Exchange::new(1024, Codec::MsgPack);
        let (driver, driver_waker) = waker();
        assert!(exchange.park_driver(&driver_waker, false));
        let (method, body) = (method(), Bytes::from_static(b"abc"));
        let (_, caller) = waker();
        let (first, wake) = exchange.submit(outgoing(&method, &body), &caller).unwrap();
        wake.expect("the parked driver is handed out").wake();
        let (second, wake) = exchange.submit(outgoing(&method, &body), &caller).unwrap();
        assert!(wake.is_none(), "woken twice for one burst");
        assert_eq!(driver.0.load(Ordering::SeqCst), 1);
        assert!(
            !exchange.park_driver(&driver_waker, false),
            "parked with work queued"
        );
        let expected = Request {
            call_id: first,
            method: method.clone(),
            deadline: Some(Duration::from_secs(2)),
            metadata: Vec::new(),
            body: body.clone(),
        };
        let frames = written(&mut exchange);
        assert_eq!(frames.len(), 2);
        assert_eq!(frames[0], Frame::Request(expected));
        assert_eq!(second, first + 1);
    }

    #[test]
    fn an_answer_wakes_its_caller_once_and_is_taken_once() {
        let mut exchange = Exchange::new(1024, Codec::MsgPack);
        let (woken, caller) = waker();
        let (call_id, _) = submit(&mut exchange, &caller).unwrap();
        assert!(exchange.poll_answer(call_id, &caller).is_none());
        let mut wakeups = Wakeups::new();
        exchange.deliver(call_id, reply(b"x"), &mut wakeups);
        exchange.deliver(call_id, reply(b"again"), &mut wakeups);
        wakeups.drain(..).for_each(Waker::wake);
        assert_eq!(woken.0.load(Ordering::SeqCst), 1);
        assert!(exchange.release().is_none());
        assert!(
            exchange.finished().is_none(),
            "finished with a request unwritten"
        );
        written(&mut exchange);
        assert_eq!(
            exchange.finished(),
            Some("the client was dropped"),
            "an answer its caller has yet to take kept the connection open"
        );
        let answer = exchange.poll_answer(call_id, &caller).unwrap().unwrap();
        assert_eq!(answer.body, Bytes::from_static(b"x"));
    }

    #[test]
    fn a_call_given_up_is_cancelled_and_its_late_answer_ignored() {
        let mut exchange = Exchange::new(1024, Codec::MsgPack);
        let (woken, caller) = waker();
        let (call_id, _) = submit(&mut exchange, &caller).unwrap();
        written(&mut exchange);
        let (_, driver_waker) = waker();
        exchange.park_driver(&driver_waker, false);
        assert!(
            exchange.abandon(call_id).is_some(),
            "the driver must write the cancel"
        );
        assert_eq!(written(&mut exchange), [Frame::Cancel { call_id }]);
        let mut wakeups = Wakeups::new();
        exchange.deliver(call_id, reply(b"late"), &mut wakeups);
        assert!(wakeups.is_empty());
        assert_eq!(woken.0.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn a_lost_connection_fails_unsent_calls_as_not_run_and_sent_ones_as_lost() {
        let mut exchange = Exchange::new(1024, Codec::MsgPack);
        let (_, caller) = waker();
        let (sent, _) = submit(&mut exchange, &caller).unwrap();
        written(&mut exchange);
        let (unsent, _) = submit(&mut exchange, &caller).unwrap();
        let mut wakeups = Wakeups::new();
        exchange.close("reset", &mut wakeups);
        assert_eq!(wakeups.len(), 2);
        let mut failure = |call_id| exchange.poll_answer(call_id, &caller).unwrap().unwrap_err();
        assert!(matches!(failure(sent), Unanswered::Lost(_)));
        assert!(matches!(failure(unsent), Unanswered::NotRun(_)));
        assert!(
            written(&mut exchange).is_empty(),
            "queued bytes survived the close"
        );
        let refused = submit(&mut exchange, &caller);
        assert!(matches!(refused, Err(Unanswered::NotRun(_))));
        assert!(exchange.abandon(sent).is_none());
    }

    #[test]
    fn goaway_fails_only_the_calls_the_server_never_took() {
        let mut exchange = Exchange::new(1024, Codec::MsgPack);
        let (_, caller) = waker();
        let (taken, _) = submit(&mut exchange, &caller).unwrap();
        let (refused, _) = submit(&mut exchange, &caller).unwrap();
        let mut wakeups = Wakeups::new();
        exchange.go_away(taken, "the server is going away", &mut wakeups);
        assert_eq!(wakeups.len(), 1);
        assert!(
            exchange.poll_answer(taken, &caller).is_none(),
            "a taken call still waits"
        );
        let failure = exchange.poll_answer(refused, &caller).unwrap().unwrap_err();
        assert!(matches!(failure, Unanswered::NotRun(_)));
        assert!(submit(&mut exchange, &caller).is_err());
        written(&mut exchange);
        assert!(exchange.finished().is_none(), "closed with a call waiting");
        exchange.deliver(taken, reply(b""), &mut wakeups);
        exchange.poll_answer(taken, &caller);
        assert_eq!(exchange.finished(), Some("the server sent goaway"));
        exchange.close("connection lost", &mut wakeups);
        let Err(Unanswered::NotRun(later)) = submit(&mut exchange, &caller) else {
            panic!("a call after the close is not run")
        };
        assert_eq!(
            later, "the server is going away",
            "the goaway's reason stays"
        );
    }

    #[test]
    fn expired_calls_fail_and_are_cancelled_and_the_timer_moves_on() {
        let mut exchange = Exchange::new(1024, Codec::MsgPack);
        let (method, body) = (method(), Bytes::new());
        let (_, caller) = waker();
        let now = Instant::now();
        let soon = Outgoing {
            deadline: Some(now + Duration::from_millis(10)),
            ..outgoing(&method, &body)
        };
        let later = Outgoing {
            deadline: Some(now + Duration::from_secs(10)),
            ..soon
        };
        let (_, driver_waker) = waker();
        exchange.park_driver(&driver_waker, false);
        let (first, wake) = exchange.submit(later, &caller).unwrap();
        assert!(wake.is_some());
        written(&mut exchange);
        assert!(exchange.park_driver(&driver_waker, false));
        let (second, wake) = exchange.submit(soon, &caller).unwrap();
        assert!(
            wake.is_some(),
            "an earlier deadline must re-arm the driver's timer"
        );
        assert_eq!(exchange.earliest_deadline(), soon.deadline);
        written(&mut exchange);
        let mut wakeups = Wakeups::new();
        exchange.expire(now + Duration::from_secs(1), &mut wakeups);
        assert_eq!(wakeups.len(), 1);
        let failure = exchange.poll_answer(second, &caller).unwrap().unwrap_err();
        assert!(matches!(failure, Unanswered::Expired));
        assert!(exchange.poll_answer(first, &caller).is_none());
        assert_eq!(written(&mut exchange), [Frame::Cancel { call_id: second }]);
        assert_eq!(exchange.earliest_deadline(), later.deadline);
    }

    #[test]
    fn a_driver_parked_on_a_full_socket_is_woken_by_an_earlier_deadline_not_by_frames() {
        let mut exchange = Exchange::new(1024, Codec::MsgPack);
        let (method, body) = (method(), Bytes::new());
        let (_, caller) = waker();
        let (_, driver_waker) = waker();
        let now = Instant::now();
        let call = |secs| Outgoing {
            deadline: Some(now + Duration::from_secs(secs)),
            ..outgoing(&method, &body)
        };
        let (first, _) = exchange.submit(call(10), &caller).unwrap();
        assert!(
            exchange.park_driver(&driver_waker, true),
            "a driver on a full socket may sleep with frames queued"
        );
        let (_, wake) = exchange.submit(call(20), &caller).unwrap();
        assert!(wake.is_none(), "woken to take frames it cannot write");
        assert!(exchange.abandon(first).is_none(), "woken for a cancel");
        let (_, wake) = exchange.submit(call(1), &caller).unwrap();
        assert!(wake.is_some(), "an earlier deadline must re-arm the timer");
        assert!(exchange.park_driver(&driver_waker, true));
        assert!(exchange.release().is_some(), "not woken to see the release");
        assert!(
            !exchange.park_driver(&driver_waker, false),
            "a driver that can write slept with frames queued"
        );
    }

    #[test]
    fn a_request_over_the_servers_limit_is_refused_before_it_is_queued() {
        let mut exchange = Exchange::new(16, Codec::MsgPack);
        let (method, body) = (method(), Bytes::from(vec![0; 64]));
        let (_, caller) = waker();
        let refused = exchange.submit(outgoing(&method, &body), &caller);
        assert!(matches!(
            refused,
            Err(Unanswered::Error(CallError::Status { status: Status::TooLarge, message, .. }))
                if message.contains("16-byte")
        ));
        assert!(!exchange.has_out());
        assert_eq!(exchange.finished(), None, "refusing a call is not the end");
    }
}
