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
    pace::{Pace, Wait},
    phases::{Phases, Schedule},
    recorder::Recorder,
    slots::Slots,
    timer::Timer,
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

    /// Open loop: sends this connection's calls as they fall due, while fewer than `inflight`
    /// are outstanding, and times each from when it was due. Between calls it sleeps on its
    /// [`Timer`] until shortly before the next is due, then gives the runtime turns (answers
    /// are handled meanwhile) until it is: tokio's timer alone would send a call up to 2 ms
    /// late and charge that to the target. How late each call left is recorded apart.
    pub(crate) async fn open_loop(self, schedule: Schedule) -> Recorder {
        let mut record = Recorder::new();
        let mut slots = Slots::new(self.inflight);
        let mut due_at = vec![Instant::now(); self.inflight];
        let mut timer = Timer::new();
        let mut pace = Pace::new(
            timer.expected_slack(),
            timer.max_slack(),
            schedule.interval(),
        );
        let mut next = 0;
        let mut answered = 0;
        loop {
            let now = Instant::now();
            // A call still waiting for a slot when the time is up is missed, not sent late.
            while let Some(slot) = slots.free_slot().filter(|_| now < self.phases.end) {
                let due = schedule.due(self.index, next);
                if due > now || due >= self.phases.end {
                    break;
                }
                next += 1;
                due_at[slot] = due;
                if self.phases.is_measured(due) {
                    record.record_send_lag(now - due);
                }
                slots.start(slot, self.call());
            }
            let due = schedule.due(self.index, next);
            let ended = due >= self.phases.end || now >= self.phases.end;
            if ended && slots.running() == 0 {
                return record;
            }
            let waiting = slots.running() < slots.capacity() && !ended;
            let wait = pace.wait(now, due);
            tokio::select! {
                Some((slot, outcome)) = poll_fn(|cx| slots.poll_next(cx)) => {
                    answered += 1;
                    self.count.answered.store(answered, Ordering::Relaxed);
                    if self.phases.is_measured(due_at[slot]) {
                        record.record(Instant::now() - due_at[slot], outcome);
                    }
                }
                () = pause(&mut timer, &mut pace, wait), if waiting => {}
            }
        }
    }

    fn call(&self) -> BoxFuture<'static, Result<(), String>> {
        T::call(&self.conn, &self.payload)
    }
}

/// Waits as `wait` says: sleeps on the timer, learning how late it woke, or gives the runtime
/// one turn. Nothing is armed unless it is polled.
async fn pause(timer: &mut Timer, pace: &mut Pace, wait: Wait) {
    match wait {
        Wait::Sleep(until) => {
            timer.sleep_until(until).await;
            pace.woke(until, Instant::now());
        }
        Wait::Spin | Wait::Send => tokio::task::yield_now().await,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::LoadConfig;

    /// Answers each of its first `slowed` calls after `delay`, every other one at once.
    struct Slow {
        delay: Duration,
        slowed: u64,
    }

    impl Target for Slow {
        /// The delay, how many calls it holds up, and the calls made so far.
        type Conn = Arc<(Duration, u64, AtomicU64)>;

        fn connect(&self) -> BoxFuture<'static, Result<Self::Conn, String>> {
            let conn = Arc::new((self.delay, self.slowed, AtomicU64::new(0)));
            Box::pin(async move { Ok(conn) })
        }

        fn call(conn: &Self::Conn, _: &Bytes) -> BoxFuture<'static, Result<(), String>> {
            let (delay, slowed, calls) = &**conn;
            let wait = (calls.fetch_add(1, Ordering::Relaxed) < *slowed).then_some(*delay);
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
        let slow_first = Slow {
            delay: Duration::from_millis(300),
            slowed: 1,
        };
        let report = crate::run(slow_first, config).await.unwrap();
        assert!(
            report.latency.max_us >= 300_000,
            "max {} us",
            report.latency.max_us
        );
        assert!(report.calls > 1);
        assert_eq!(report.send_lag, None, "a closed loop has no due times");
    }

    #[tokio::test]
    async fn an_open_loop_reports_the_wait_for_a_busy_slot_as_send_lag_and_in_the_latency() {
        // Calls are due every 5 ms on one slot and each takes 20 ms: every call after the first
        // waits for the one before, 15 ms longer each time.
        let config = LoadConfig::default()
            .rate(Some(200.0))
            .inflight(1)
            .warmup(Duration::ZERO)
            .duration(Duration::from_millis(300));
        let every_call = Slow {
            delay: Duration::from_millis(20),
            slowed: u64::MAX,
        };
        let report = crate::run(every_call, config).await.unwrap();
        let lag = report.send_lag.expect("an open loop reports its send lag");
        assert!(report.calls >= 2, "{report}");
        assert!(lag.max_us >= 15_000, "{lag:?}");
        assert!(
            lag.p50_us <= lag.p99_us && lag.p99_us <= lag.max_us,
            "{lag:?}"
        );
        // A call is timed from when it was due: its latency holds its lag and its 20 ms.
        assert!(report.latency.p50_us >= lag.p50_us + 19_900, "{report}");
        assert!(report.latency.max_us >= lag.max_us + 19_900, "{report}");
        assert!(report.to_string().contains("\nsend lag p50 "), "{report}");
        // 60 calls were due in the 300 ms; one slot held for 20 ms a call starts about 15.
        assert_eq!(report.calls + report.missed, 60, "{report}");
        assert!(report.missed > 0, "{report}");
        assert!(report.calls <= 20, "{report}");
    }
}
