//! `--limit-rate`: a token bucket over bytes, deciding (sans-IO) how long a transfer waits
//! before each chunk, and the async wait itself.

use std::time::Duration;

use tokio::time::Instant;

/// How much an idle transfer may send at once, in seconds of its rate: short enough that
/// the rate holds over any second, long enough not to wait before every small chunk.
const BURST_SECONDS: f64 = 0.1;

/// A token bucket: `rate` bytes per second, holding at most a burst. Spending more than it
/// holds goes into debt, paid off by waiting, so chunks larger than the burst still pass at
/// the rate on average.
#[derive(Debug, Clone)]
pub(crate) struct Bucket {
    rate: f64,
    burst: f64,
    tokens: f64,
    last: Instant,
}

impl Bucket {
    /// A full bucket of `rate` bytes per second (at least 1) at `now`.
    pub(crate) fn new(rate: u64, now: Instant) -> Bucket {
        let rate = rate.max(1) as f64;
        let burst = rate * BURST_SECONDS;
        Bucket {
            rate,
            burst,
            tokens: burst,
            last: now,
        }
    }

    /// Spends `bytes` at `now`: how long to wait before they go.
    pub(crate) fn spend(&mut self, bytes: u64, now: Instant) -> Duration {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.rate).min(self.burst) - bytes as f64;
        if self.tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-self.tokens / self.rate)
        }
    }
}

/// A transfer's pace: unbounded, or a [`Bucket`] waited on with tokio's timer.
#[derive(Debug)]
pub(crate) struct Pace {
    bucket: Option<Bucket>,
}

impl Pace {
    /// At most `limit` bytes per second, or as fast as it goes.
    pub(crate) fn new(limit: Option<u64>) -> Pace {
        Pace {
            bucket: limit.map(|rate| Bucket::new(rate, Instant::now())),
        }
    }

    /// Waits until `bytes` more may move.
    pub(crate) async fn take(&mut self, bytes: usize) {
        if let Some(bucket) = &mut self.bucket {
            let wait = bucket.spend(bytes as u64, Instant::now());
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
        }
    }
}

/// A `--limit-rate`: a byte size (see [`crate::args::byte_size`]) above 0.
pub(crate) fn rate(text: &str) -> Result<u64, String> {
    match crate::args::byte_size(text)? {
        0 => Err("the rate must be at least 1 byte per second".to_owned()),
        rate => Ok(rate),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_bucket_lets_a_burst_through_then_paces_at_the_rate() {
        let start = Instant::now();
        let mut bucket = Bucket::new(1000, start);
        assert_eq!(
            bucket.spend(100, start),
            Duration::ZERO,
            "a tenth of a second"
        );
        assert_eq!(bucket.spend(500, start), Duration::from_millis(500));
        // Waiting what it said pays the debt off exactly.
        let later = start + Duration::from_millis(500);
        assert_eq!(bucket.spend(0, later), Duration::ZERO);
    }

    #[test]
    fn chunks_larger_than_the_burst_average_the_rate() {
        let mut now = Instant::now();
        let mut bucket = Bucket::new(1 << 20, now);
        let start = now;
        for _ in 0..40 {
            now += bucket.spend(256 << 10, now);
        }
        let seconds = (now - start).as_secs_f64();
        // 10 MiB at 1 MiB/s, less the first burst of a tenth of a second.
        assert!((seconds - 9.9).abs() < 1e-6, "{seconds}");
    }

    #[test]
    fn idle_time_refills_no_more_than_a_burst() {
        let start = Instant::now();
        let mut bucket = Bucket::new(1000, start);
        let much_later = start + Duration::from_secs(3600);
        assert_eq!(bucket.spend(100, much_later), Duration::ZERO);
        assert_eq!(bucket.spend(100, much_later), Duration::from_millis(100));
    }

    #[test]
    fn rates_are_sizes_above_zero() {
        assert_eq!(rate("512k"), Ok(512 << 10));
        assert_eq!(rate("2M"), Ok(2 << 20));
        assert!(rate("0").is_err());
        assert!(rate("fast").is_err());
    }
}
