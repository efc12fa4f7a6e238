//! How many calls may be sent again: a retry budget, so that retries cannot multiply the load
//! on servers that are already failing. Sans-IO: every method takes `now`.

use std::{collections::VecDeque, time::Duration};

use tokio::time::Instant;

/// Re-sends allowed per call made in the window.
pub const RATIO: f64 = 0.2;

/// Re-sends allowed per second of the window whatever the calls, so that a client making few
/// calls can still retry them.
pub const PER_SECOND: u64 = 10;

/// How far back calls and re-sends count.
pub const WINDOW: Duration = Duration::from_secs(10);

const WINDOW_SECONDS: u64 = WINDOW.as_secs();

/// Re-sends allowed: [`RATIO`] of the calls made in the last [`WINDOW`] plus [`PER_SECOND`]
/// for each second of it, less the re-sends already made in it, as Finagle's `RetryBudget`
/// and tower's `TpsBudget` allow.
///
/// It costs nothing per call: rather than a deposit for each call, methods take the running
/// total of calls the caller counts anyway (`calls`, never decreasing), and a background task
/// calls [`tick`](RetryBudget::tick) about once a second so that the window knows where each
/// second's calls began. Only ticks and re-sends need `&mut`, so a lock around it is rarely
/// taken.
#[derive(Debug, Clone, Default)]
pub struct RetryBudget {
    /// When the first sample was taken; samples are numbered by whole seconds since then.
    origin: Option<Instant>,
    /// At most one sample per second, oldest first, none older than the window: at most
    /// `WINDOW_SECONDS + 1`, however often ticks come.
    samples: VecDeque<Sample>,
}

/// One second of the window.
#[derive(Debug, Clone, Copy)]
struct Sample {
    /// Whole seconds from the origin.
    second: u64,
    /// The running total of calls when the second was first sampled.
    calls: u64,
    /// Re-sends withdrawn during the second.
    withdrawn: u64,
}

impl RetryBudget {
    /// A budget with nothing sampled yet.
    pub fn new() -> RetryBudget {
        RetryBudget::default()
    }

    /// Samples the running total of `calls` at `now`, and forgets seconds that left the
    /// window.
    pub fn tick(&mut self, now: Instant, calls: u64) {
        let origin = *self.origin.get_or_insert(now);
        let second = self.second_of(origin, now);
        self.forget_before(second);
        if self
            .samples
            .back()
            .is_none_or(|newest| newest.second < second)
        {
            self.samples.push_back(Sample {
                second,
                calls,
                withdrawn: 0,
            });
        }
    }

    /// Takes one re-send from the budget, if one is left at `now` with `calls` made so far.
    pub fn try_withdraw(&mut self, now: Instant, calls: u64) -> bool {
        // Sampling first gives the re-send a sample of its own second even when the ticking
        // task lags, so that it leaves the window on time rather than with an older second.
        self.tick(now, calls);
        if self.remaining(now, calls) == 0 {
            return false;
        }
        // The tick above left a sample of this second (or a later one) at the back.
        if let Some(newest) = self.samples.back_mut() {
            newest.withdrawn += 1;
        }
        true
    }

    /// Re-sends left at `now` with `calls` made so far.
    pub fn remaining(&self, now: Instant, calls: u64) -> u64 {
        let second = self.origin.map_or(0, |origin| self.second_of(origin, now));
        let window = self
            .samples
            .iter()
            .skip_while(|sample| sample.second + WINDOW_SECONDS < second);
        // With nothing sampled in the window, it starts now: the reserve of one second.
        let (first_second, first_calls) = window
            .clone()
            .next()
            .map_or((second, calls), |first| (first.second, first.calls));
        let withdrawn: u64 = window.map(|sample| sample.withdrawn).sum();
        let seconds = second.saturating_sub(first_second).clamp(1, WINDOW_SECONDS);
        let earned = (RATIO * calls.saturating_sub(first_calls) as f64) as u64;
        (earned + PER_SECOND * seconds).saturating_sub(withdrawn)
    }

    /// Drops the samples of seconds that are out of the window at `second`.
    fn forget_before(&mut self, second: u64) {
        while self
            .samples
            .front()
            .is_some_and(|oldest| oldest.second + WINDOW_SECONDS < second)
        {
            self.samples.pop_front();
        }
    }

    /// The whole seconds from `origin` to `now`; a `now` older than the newest sample, from a
    /// caller that read the clock before another's tick, counts as that sample's second.
    fn second_of(&self, origin: Instant, now: Instant) -> u64 {
        let second = now.saturating_duration_since(origin).as_secs();
        self.samples
            .back()
            .map_or(second, |newest| second.max(newest.second))
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const SECOND: Duration = Duration::from_secs(1);

    /// Re-sends taken at `now` until the budget refuses one.
    fn drain(budget: &mut RetryBudget, now: Instant, calls: u64) -> u64 {
        let mut taken = 0;
        while budget.try_withdraw(now, calls) {
            taken += 1;
        }
        taken
    }

    /// A tick at each whole second from `from` to `to` seconds after `start`, with no calls.
    fn tick_idle(budget: &mut RetryBudget, start: Instant, from: u32, to: u32) {
        (from..=to).for_each(|second| budget.tick(start + SECOND * second, 0));
    }

    #[test]
    fn without_calls_only_the_reserve_of_the_seconds_sampled_is_allowed() {
        let (mut budget, start) = (RetryBudget::new(), Instant::now());
        assert_eq!(budget.remaining(start, 0), PER_SECOND);
        assert_eq!(drain(&mut budget, start, 0), PER_SECOND);
        tick_idle(&mut budget, start, 1, 3);
        assert_eq!(drain(&mut budget, start + 3 * SECOND, 0), 2 * PER_SECOND);
        tick_idle(&mut budget, start, 4, 30);
        assert_eq!(drain(&mut budget, start + 30 * SECOND, 0), 10 * PER_SECOND);
    }

    #[test]
    fn calls_in_the_window_add_a_fifth_of_their_number() {
        let (mut budget, start) = (RetryBudget::new(), Instant::now());
        (0..=5).for_each(|second| budget.tick(start + SECOND * second, 200 * u64::from(second)));
        let now = start + 5 * SECOND;
        assert_eq!(budget.remaining(now, 1_000), 200 + 5 * PER_SECOND);
        assert_eq!(drain(&mut budget, now, 1_000), 200 + 5 * PER_SECOND);
    }

    #[test]
    fn calls_before_the_window_earn_nothing() {
        let (mut budget, start) = (RetryBudget::new(), Instant::now());
        budget.tick(start, 0);
        (1..=20).for_each(|second| budget.tick(start + SECOND * second, 1_000));
        assert_eq!(
            budget.remaining(start + 20 * SECOND, 1_000),
            10 * PER_SECOND
        );
    }

    #[test]
    fn re_sends_leave_the_window_after_ten_seconds() {
        let (mut budget, start) = (RetryBudget::new(), Instant::now());
        assert_eq!(drain(&mut budget, start, 0), PER_SECOND);
        tick_idle(&mut budget, start, 1, 10);
        assert_eq!(budget.remaining(start + 10 * SECOND, 0), 9 * PER_SECOND);
        budget.tick(start + 11 * SECOND, 0);
        assert_eq!(budget.remaining(start + 11 * SECOND, 0), 10 * PER_SECOND);
    }

    #[test]
    fn a_re_send_while_ticks_lag_leaves_the_window_with_its_own_second() {
        let (mut budget, start) = (RetryBudget::new(), Instant::now());
        budget.tick(start, 0);
        assert_eq!(drain(&mut budget, start + 5 * SECOND, 0), 5 * PER_SECOND);
        tick_idle(&mut budget, start, 6, 15);
        assert_eq!(budget.remaining(start + 15 * SECOND, 0), 5 * PER_SECOND);
        budget.tick(start + 16 * SECOND, 0);
        assert_eq!(budget.remaining(start + 16 * SECOND, 0), 10 * PER_SECOND);
    }

    #[test]
    fn frequent_ticks_keep_one_sample_a_second() {
        let (mut budget, start) = (RetryBudget::new(), Instant::now());
        (0..300).for_each(|tenth| budget.tick(start + SECOND * tenth / 10, 0));
        assert_eq!(budget.samples.len(), WINDOW_SECONDS as usize + 1);
    }

    proptest! {
        #[test]
        fn re_sends_within_one_window_stay_under_a_fifth_of_the_calls_plus_the_reserve(
            first_calls in 0..1_000_000_u64,
            steps in prop::collection::vec((0..400_u64, 0..300_u64, any::<bool>(), 0..40_u32), 1..200),
        ) {
            let (mut budget, start) = (RetryBudget::new(), Instant::now());
            let (mut elapsed, mut calls, mut taken) = (Duration::ZERO, first_calls, 0_u64);
            for (millis, new_calls, tick, attempts) in steps {
                elapsed += Duration::from_millis(millis);
                if elapsed >= WINDOW {
                    break;
                }
                calls += new_calls;
                let now = start + elapsed;
                if tick {
                    budget.tick(now, calls);
                }
                taken += (0..attempts).filter(|_| budget.try_withdraw(now, calls)).count() as u64;
                let bound = RATIO * (calls - first_calls) as f64 + (10 * PER_SECOND) as f64;
                prop_assert!(taken as f64 <= bound, "{taken} re-sends for {} calls", calls - first_calls);
            }
        }
    }
}
