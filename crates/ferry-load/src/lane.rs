//! One connection's share of the load: a single task keeps its calls outstanding, records each
//! answer and starts the next call.
//!
//! One task per connection rather than one per outstanding call: an answer wakes no task of its
//! own, the calls a burst of answers frees leave together (so the target can send them in one
//! write), and one latency histogram per connection stays in cache where one per call slot
//! (128 of about 40 KB at 8 × 16) did not.

use std::{
    future::poll_fn,
    sync::atomic::{AtomicU64, Ordering},
    sync::Arc,
    time::Instant,
};

use ferry::Bytes;

use crate::{
    phases::{Phases, Schedule},
    recorder::Recorder,
    slots::Slots,
    BoxFuture, Target,
};

/// What the progress bar reads of a connection while it runs.
#[derive(Debug, Default)]
pub(crate) struct LaneCount {
    answered: AtomicU64,
}

impl LaneCount {
    /// Calls answered on this connection so far, warmup included.
    pub(crate) fn answered(&self) -> u64 {
        self.answered.load(Ordering::Relaxed)
    }
}

/// One connection and the calls kept outstanding on it.
pub(crate) struct Lane<T: Target> {
    pub(crate) index: usize,
    pub(crate) conn: T::Conn,
    pub(crate) payload: Bytes,
    pub(crate) inflight: usize,
    pub(crate) phases: Phases,
    pub(crate) count: Arc<LaneCount>,
}

impl<T: Target> Lane<T> {
    /// Closed loop: `inflight` calls at once, each answered one replaced by a new call until the
    /// time is up; the last ones are awaited. Calls answered after the warmup are recorded.
    pub(crate) async fn closed_loop(self) -> Recorder {
        let mut record = Recorder::new();
        let mut slots = Slots::new(self.inflight);
        let mut started = vec![Instant::now(); self.inflight];
        for slot in 0..self.inflight {
            slots.start(slot, self.call());
        }
        let mut answered = 0;
        // Calls found finished in one wake of this task were answered together: one clock
        // reading serves them all, and the calls that replace them.
        let mut clock = (slots.suspensions(), Instant::now());
        while let Some((slot, outcome)) = poll_fn(|cx| slots.poll_next(cx)).await {
            if clock.0 != slots.suspensions() {
                clock = (slots.suspensions(), Instant::now());
            }
            let now = clock.1;
            answered += 1;
            self.count.answered.store(answered, Ordering::Relaxed);
            // Recorded when answered in the measured time, however early it started: a call a
            // server kept waiting through the warmup shows with its whole wait.
            if self.phases.is_measured(now) {
                record.record(now - started[slot], outcome);
            }
            if now < self.phases.end {
                started[slot] = now;
                slots.start(slot, self.call());
            }
        }
        record
    }

    /// Open loop: starts this connection's calls as they fall due, while fewer than `inflight`
    /// are outstanding. A call started late is timed from when it was due; one this task slept
    /// for is timed from when it woke, so timer granularity is not charged to the target.
    pub(crate) async fn open_loop(self, schedule: Schedule) -> Recorder {
        let mut record = Recorder::new();
        let mut slots = Slots::new(self.inflight);
        let mut started = vec![Instant::now(); self.inflight];
        let mut next = 0;
        let mut answered = 0;
        loop {
            let now = Instant::now();
            while let Some(slot) = slots.free_slot() {
                let due = schedule.due(self.index, next);
                if due > now || due >= self.phases.end {
                    break;
                }
                next += 1;
                started[slot] = due;
                slots.start(slot, self.call());
            }
            let due = schedule.due(self.index, next);
            let ended = due >= self.phases.end || now >= self.phases.end;
            if ended && slots.running() == 0 {
                return record;
            }
            let free = slots.running() < slots.capacity() && !ended;
            tokio::select! {
                Some((slot, outcome)) = poll_fn(|cx| slots.poll_next(cx)) => {
                    answered += 1;
                    self.count.answered.store(answered, Ordering::Relaxed);
                    if self.phases.is_measured(started[slot]) {
                        record.record(Instant::now() - started[slot], outcome);
                    }
                }
                () = tokio::time::sleep_until(due.into()), if free => {
                    next += 1;
                    if let Some(slot) = slots.free_slot() {
                        started[slot] = Instant::now();
                        slots.start(slot, self.call());
                    }
                }
            }
        }
    }

    fn call(&self) -> BoxFuture<'static, Result<(), String>> {
        T::call(&self.conn, &self.payload)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::LoadConfig;

    /// Answers its first call after the delay it holds, every other one at once.
    struct SlowFirst(Duration);

    impl Target for SlowFirst {
        /// The delay, and the calls made so far.
        type Conn = Arc<(Duration, AtomicU64)>;

        fn connect(&self) -> BoxFuture<'static, Result<Self::Conn, String>> {
            let conn = Arc::new((self.0, AtomicU64::new(0)));
            Box::pin(async move { Ok(conn) })
        }

        fn call(conn: &Self::Conn, _: &Bytes) -> BoxFuture<'static, Result<(), String>> {
            let (delay, calls) = &**conn;
            let wait = (calls.fetch_add(1, Ordering::Relaxed) == 0).then_some(*delay);
            Box::pin(async move {
                if let Some(wait) = wait {
                    tokio::time::sleep(wait).await;
                }
                tokio::task::yield_now().await;
                Ok(())
            })
        }
    }

    #[tokio::test]
    async fn a_call_kept_waiting_through_the_warmup_is_recorded_with_its_whole_wait() {
        let config = LoadConfig::default()
            .warmup(Duration::from_millis(100))
            .duration(Duration::from_millis(400));
        let report = crate::run(SlowFirst(Duration::from_millis(300)), config)
            .await
            .unwrap();
        assert!(report.max_us >= 300_000, "max {} us", report.max_us);
        assert!(report.calls > 1);
    }
}
