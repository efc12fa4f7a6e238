//! How long to wait before trying etcd again: exponential backoff with full jitter.

use std::time::Duration;

/// The first ceiling; each failed try doubles it, up to the cap.
const BASE: Duration = Duration::from_millis(100);

/// Waits between tries: the n-th is uniform in `[0, min(cap, BASE * 2^n))`. The jitter is
/// full so that the clients of an etcd that went away do not all come back at one instant.
/// Sans-IO: the caller brings the randomness and does the sleeping.
#[derive(Debug, Clone)]
pub(crate) struct Backoff {
    cap: Duration,
    tries: u32,
}

impl Backoff {
    /// A backoff whose waits never exceed `cap`.
    pub(crate) fn new(cap: Duration) -> Backoff {
        Backoff { cap, tries: 0 }
    }

    /// The wait before the next try, for `random` in `[0, 1)`.
    pub(crate) fn next(&mut self, random: f64) -> Duration {
        // Past 2^16 the ceiling is beyond any sensible cap; stopping there keeps the shift
        // from overflowing on a long outage.
        let ceiling = BASE.saturating_mul(1 << self.tries.min(16)).min(self.cap);
        self.tries = self.tries.saturating_add(1);
        ceiling.mul_f64(random.clamp(0.0, 1.0))
    }

    /// Starts over from the base, after a try that worked.
    pub(crate) fn reset(&mut self) {
        self.tries = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The waits for `random` 0.5, in milliseconds: half of each ceiling.
    fn halves(backoff: &mut Backoff, tries: usize) -> Vec<u128> {
        (0..tries).map(|_| backoff.next(0.5).as_millis()).collect()
    }

    #[test]
    fn the_ceiling_doubles_from_100ms_up_to_the_cap() {
        let mut backoff = Backoff::new(Duration::from_secs(1));
        assert_eq!(halves(&mut backoff, 7), [50, 100, 200, 400, 500, 500, 500]);
    }

    #[test]
    fn the_wait_is_the_random_share_of_the_ceiling() {
        let mut backoff = Backoff::new(Duration::from_secs(10));
        assert_eq!(backoff.next(0.0), Duration::ZERO);
        assert_eq!(backoff.next(0.25), Duration::from_millis(50));
        assert_eq!(backoff.next(0.999), Duration::from_micros(399_600));
    }

    #[test]
    fn a_cap_below_the_base_holds_from_the_first_try() {
        let mut backoff = Backoff::new(Duration::from_millis(40));
        assert_eq!(halves(&mut backoff, 3), [20, 20, 20]);
    }

    #[test]
    fn reset_starts_again_from_the_base() {
        let mut backoff = Backoff::new(Duration::from_secs(1));
        halves(&mut backoff, 5);
        backoff.reset();
        assert_eq!(halves(&mut backoff, 2), [50, 100]);
    }

    #[test]
    fn a_long_outage_stays_at_the_cap() {
        let cap = Duration::from_millis(666);
        let mut backoff = Backoff::new(cap);
        for _ in 0..1000 {
            assert!(backoff.next(0.999_999) <= cap);
        }
        assert_eq!(backoff.next(0.5), Duration::from_millis(333));
    }
}
