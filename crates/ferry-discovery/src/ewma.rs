//! Peak EWMA: a latency estimate that jumps up to a slow answer at once and decays toward
//! faster ones over [`DECAY`]. Sans-IO: every method takes `now`.

use std::time::Duration;

use tokio::time::Instant;

/// How fast old answers fade: an answer `DECAY` old weighs 1/e of a new one.
pub const DECAY: Duration = Duration::from_secs(10);

/// The estimate of one endpoint. It starts at zero, so a new endpoint is tried at once; its
/// first answer then sets the estimate, as any answer slower than the estimate does.
#[derive(Debug, Clone)]
pub struct PeakEwma {
    estimate_ns: f64,
    stamp: Instant,
}

impl PeakEwma {
    /// An unmeasured estimate at `now`.
    pub fn new(now: Instant) -> PeakEwma {
        PeakEwma {
            estimate_ns: 0.0,
            stamp: now,
        }
    }

    /// An answer took `rtt`, seen at `now`.
    pub fn observe(&mut self, rtt: Duration, now: Instant) {
        let rtt_ns = rtt.as_nanos() as f64;
        if rtt_ns > self.estimate_ns {
            self.estimate_ns = rtt_ns;
        } else {
            let weight = self.weight_of_old(now);
            self.estimate_ns = self.estimate_ns * weight + rtt_ns * (1.0 - weight);
        }
        self.stamp = self.stamp.max(now);
    }

    /// The estimate.
    pub fn estimate(&self) -> Duration {
        Duration::from_nanos(self.estimate_ns as u64)
    }

    /// How much the estimate so far weighs against an answer seen at `now`.
    fn weight_of_old(&self, now: Instant) -> f64 {
        let elapsed = now.saturating_duration_since(self.stamp).as_nanos() as f64;
        (-elapsed / DECAY.as_nanos() as f64).exp()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn a_slow_answer_raises_the_estimate_at_once() {
        let start = Instant::now();
        let mut ewma = PeakEwma::new(start);
        assert_eq!(ewma.estimate(), Duration::ZERO);
        ewma.observe(2 * MS, start);
        ewma.observe(50 * MS, start + MS);
        assert_eq!(ewma.estimate(), 50 * MS);
    }

    #[test]
    fn faster_answers_pull_it_down_by_how_long_ago_the_estimate_was_made() {
        let start = Instant::now();
        let mut soon = PeakEwma::new(start);
        soon.observe(100 * MS, start);
        let mut late = soon.clone();
        soon.observe(MS, start + Duration::from_millis(100));
        late.observe(MS, start + DECAY);
        let (soon, late) = (soon.estimate(), late.estimate());
        assert!(soon > 98 * MS && soon < 100 * MS, "{soon:?}");
        // After one decay period the old estimate weighs 1/e: 1 + 99/e ≈ 37.4 ms.
        assert!(late > 37 * MS && late < 38 * MS, "{late:?}");
    }
}
