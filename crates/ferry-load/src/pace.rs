//! When an open loop's connection sends its next call. Timers wake late: tokio's by up to two
//! ticks of its 1 ms wheel, an exact one by the time a sleeping thread takes to run again. So a
//! connection sleeps until shortly before the call is due and spends the rest of the wait
//! giving the runtime turns, sending the call at the first turn that finds it due.
//!
//! How early to wake is learnt from how late the timer has been: the slack is kept near the
//! 75th percentile of its lateness, raised a step by each wake later than it and lowered a
//! third of a step by each earlier one. A timer that wakes 50 µs late costs about that much
//! spinning per call, one that wakes 5 µs late next to nothing; a stall of the whole thread
//! (milliseconds, on a busy machine) moves the slack by one step, not by the stall, since
//! spinning longer would not have helped it.
//!
//! Spinning is bounded by the schedule too: at most an eighth of the time between two of the
//! connection's calls, and never less than 10 µs. At 2,000 calls/s that allows 62 µs per call,
//! enough to cover a parked thread's wake on a virtual machine; at 20,000 it allows 10 µs, so
//! a fast schedule does not spin a whole core away from the server it measures (on a small
//! machine, often the same cores), and its calls go out as late as the timer wakes, which the
//! send lag shows. Waits shorter than 10 µs (a schedule of 100,000 calls/s and more) are
//! always spun: a timer would wake after them anyway.
//! Decisions only, over instants passed in, so tests need no clock.

use std::time::{Duration, Instant};

/// The least slack: spinning this long costs less than arming a timer and waking from it.
const MIN_SLACK: Duration = Duration::from_micros(10);

/// The most of the time between two calls spent spinning: one part in this many.
const SPIN_SHARE: u32 = 8;

/// What a connection waiting for its next due call does now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wait {
    /// The call is due: send it.
    Send,
    /// The call is further off than the timer is likely to be late: sleep until this instant.
    Sleep(Instant),
    /// The call is nearer than that: give the runtime a turn, then look again.
    Spin,
}

/// How late a connection's timer wakes, and so how early to set it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Pace {
    /// How long before a call is due the timer is set for: about the 75th percentile of its
    /// lateness.
    slack: Duration,
    /// The most slack allowed: how late the timer can be by its design, or the share of the
    /// time between calls that may be spent spinning, whichever is less; at least
    /// [`MIN_SLACK`].
    max: Duration,
}

impl Pace {
    /// Pacing for a timer expected to wake about `expected` late and by design at most `max`,
    /// for calls `interval` apart.
    pub(crate) fn new(expected: Duration, max: Duration, interval: Duration) -> Pace {
        let max = max.min(interval / SPIN_SHARE).max(MIN_SLACK);
        Pace {
            slack: expected.clamp(MIN_SLACK, max),
            max,
        }
    }

    /// What to do at `now` for a call due at `due`.
    pub(crate) fn wait(&self, now: Instant, due: Instant) -> Wait {
        match due.checked_duration_since(now) {
            None | Some(Duration::ZERO) => Wait::Send,
            Some(left) if left > self.slack => Wait::Sleep(due - self.slack),
            Some(_) => Wait::Spin,
        }
    }

    /// Learns from a timer set for `set_for` that woke the connection at `woke`. Steps of
    /// 3/64 up and 1/64 down balance where a quarter of the wakes are later than the slack.
    pub(crate) fn woke(&mut self, set_for: Instant, woke: Instant) {
        let late = woke.saturating_duration_since(set_for);
        let slack = if late > self.slack {
            self.slack + self.slack * 3 / 64
        } else {
            self.slack - self.slack / 64
        };
        self.slack = slack.clamp(MIN_SLACK, self.max);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const US: Duration = Duration::from_micros(1);
    const MAX: Duration = Duration::from_millis(2);
    /// Calls far enough apart that the schedule does not bound the slack below [`MAX`].
    const INTERVAL: Duration = Duration::from_millis(100);

    /// A pace that has seen `count` wakes, each `late` late.
    fn after_wakes(mut pace: Pace, count: usize, late: Duration) -> Pace {
        let set_for = Instant::now();
        for _ in 0..count {
            pace.woke(set_for, set_for + late);
        }
        pace
    }

    #[test]
    fn a_call_due_or_overdue_is_sent() {
        let now = Instant::now();
        let pace = Pace::new(50 * US, MAX, INTERVAL);
        assert_eq!(pace.wait(now, now), Wait::Send);
        assert_eq!(pace.wait(now + US, now), Wait::Send);
    }

    #[test]
    fn a_call_further_off_than_the_slack_sleeps_until_the_slack_before_it() {
        let now = Instant::now();
        let due = now + Duration::from_millis(3);
        let pace = Pace::new(50 * US, MAX, INTERVAL);
        assert_eq!(
            pace.slack,
            50 * US,
            "what is expected, before any wake is seen"
        );
        assert_eq!(pace.wait(now, due), Wait::Sleep(due - 50 * US));
    }

    #[test]
    fn a_call_within_the_slack_spins_until_it_is_due() {
        let now = Instant::now();
        let pace = Pace::new(50 * US, MAX, INTERVAL);
        assert_eq!(pace.wait(now, now + pace.slack), Wait::Spin);
        assert_eq!(pace.wait(now, now + Duration::from_nanos(1)), Wait::Spin);
    }

    #[test]
    fn the_slack_settles_at_a_steady_lateness() {
        let pace = after_wakes(Pace::new(50 * US, MAX, INTERVAL), 200, 80 * US);
        let slack = pace.slack;
        assert!(slack >= 75 * US && slack <= 90 * US, "{slack:?}");
        let pace = after_wakes(pace, 400, 2 * US);
        assert_eq!(
            pace.slack, MIN_SLACK,
            "a prompt timer costs next to no spinning"
        );
    }

    #[test]
    fn the_slack_covers_three_wakes_in_four() {
        let mut pace = Pace::new(50 * US, MAX, INTERVAL);
        let set_for = Instant::now();
        for round in 0..2000 {
            // 40, 50, ..., 110 µs late in turn: two wakes in eight are later than 90-100 µs.
            let late = (40 + 10 * (round % 8)) * US;
            pace.woke(set_for, set_for + late);
        }
        let slack = pace.slack;
        assert!(slack >= 85 * US && slack <= 105 * US, "{slack:?}");
    }

    #[test]
    fn a_stall_moves_the_slack_one_step_and_never_past_the_most() {
        let steady = after_wakes(Pace::new(50 * US, MAX, INTERVAL), 200, 50 * US);
        let stalled = after_wakes(steady, 1, Duration::from_millis(30));
        assert!(
            stalled.slack <= steady.slack * 21 / 20,
            "{:?}",
            stalled.slack
        );
        assert_eq!(after_wakes(steady, 100, Duration::from_secs(1)).slack, MAX);
        assert_eq!(Pace::new(Duration::from_secs(1), MAX, INTERVAL).slack, MAX);
    }

    #[test]
    fn a_timer_woken_as_late_as_the_slack_still_finds_the_call_not_yet_due_or_just_due() {
        let now = Instant::now();
        let due = now + Duration::from_millis(2);
        let pace = after_wakes(Pace::new(50 * US, MAX, INTERVAL), 50, 40 * US);
        let Wait::Sleep(until) = pace.wait(now, due) else {
            panic!("a call 2 ms off sleeps first");
        };
        for late in [Duration::ZERO, US, pace.slack / 2, pace.slack] {
            assert!(
                matches!(pace.wait(until + late, due), Wait::Spin | Wait::Send),
                "woken {late:?} late"
            );
        }
    }

    #[test]
    fn calls_close_together_spin_at_most_an_eighth_of_the_time_between_them() {
        let at_2000 = Pace::new(50 * US, MAX, 500 * US);
        assert_eq!(at_2000.slack, 50 * US);
        assert_eq!(
            after_wakes(at_2000, 200, 90 * US).slack,
            Duration::from_nanos(62_500)
        );
        let at_20000 = Pace::new(50 * US, MAX, 50 * US);
        assert_eq!(
            at_20000.slack, MIN_SLACK,
            "an eighth of 50 us is less than the least"
        );
        assert_eq!(after_wakes(at_20000, 200, 90 * US).slack, MIN_SLACK);
        let at_500000 = Pace::new(50 * US, MAX, 2 * US);
        let now = Instant::now();
        assert_eq!(
            at_500000.wait(now, now + US),
            Wait::Spin,
            "no timer for 1 us"
        );
    }
}
