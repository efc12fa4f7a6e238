//! A latency histogram anyone may add to while others read it: one atomic counter per bucket
//! and an atomic sum, read into a [`Snapshot`] for export and quantiles.

use std::{
    sync::atomic::{AtomicU64, Ordering},
    time::Duration,
};

use super::buckets::{bound_seconds, bucket_of, BOUNDS_NANOS, BUCKETS};

/// Durations counted into the shared buckets of [`BOUNDS_NANOS`].
#[derive(Debug)]
pub struct Histogram {
    buckets: [AtomicU64; BUCKETS],
    sum_nanos: AtomicU64,
}

impl Default for Histogram {
    fn default() -> Histogram {
        Histogram {
            buckets: std::array::from_fn(|_| AtomicU64::new(0)),
            sum_nanos: AtomicU64::new(0),
        }
    }
}

impl Histogram {
    /// Counts one duration.
    #[inline]
    pub fn record(&self, elapsed: Duration) {
        self.record_many(nanos_of(elapsed), 1);
    }

    /// Counts `count` durations of `nanos` each: a connection that answered many calls in one
    /// pass adds them at once.
    #[inline]
    pub fn record_many(&self, nanos: u64, count: u64) {
        self.buckets[bucket_of(nanos)].fetch_add(count, Ordering::Relaxed);
        self.sum_nanos
            .fetch_add(nanos.saturating_mul(count), Ordering::Relaxed);
    }

    /// The counts as they are now.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            buckets: std::array::from_fn(|i| self.buckets[i].load(Ordering::Relaxed)),
            sum_nanos: self.sum_nanos.load(Ordering::Relaxed),
        }
    }
}

/// A duration in whole nanoseconds, saturating past 584 years.
#[inline]
pub(crate) fn nanos_of(elapsed: Duration) -> u64 {
    u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX)
}

/// A histogram's counts at one moment (not cumulative: `buckets[i]` holds only bucket `i`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// The count of each bucket, the last one `+Inf`.
    pub buckets: [u64; BUCKETS],
    /// The sum of every duration counted, in nanoseconds.
    pub sum_nanos: u64,
}

impl Default for Snapshot {
    fn default() -> Snapshot {
        Snapshot {
            buckets: [0; BUCKETS],
            sum_nanos: 0,
        }
    }
}

impl Snapshot {
    /// How many durations were counted.
    pub fn count(&self) -> u64 {
        self.buckets.iter().sum()
    }

    /// The sum of the durations, in seconds.
    pub fn sum_seconds(&self) -> f64 {
        self.sum_nanos as f64 / 1e9
    }

    /// Adds `other`'s counts to these.
    pub fn add(&mut self, other: &Snapshot) {
        for (mine, theirs) in self.buckets.iter_mut().zip(&other.buckets) {
            *mine += theirs;
        }
        self.sum_nanos += other.sum_nanos;
    }

    /// What was counted since `earlier`, a snapshot of the same histogram.
    pub fn since(&self, earlier: &Snapshot) -> Snapshot {
        Snapshot {
            buckets: std::array::from_fn(|i| self.buckets[i].saturating_sub(earlier.buckets[i])),
            sum_nanos: self.sum_nanos.saturating_sub(earlier.sum_nanos),
        }
    }

    /// The `q` quantile (0 to 1) in seconds, interpolated within its bucket as Prometheus'
    /// `histogram_quantile` does; `None` with nothing counted. A quantile in the `+Inf`
    /// bucket is reported as the highest bound.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        let count = self.count();
        if count == 0 {
            return None;
        }
        let rank = q.clamp(0.0, 1.0) * count as f64;
        let mut below = 0u64;
        for (bucket, &n) in self.buckets.iter().enumerate() {
            if n > 0 && (below + n) as f64 >= rank {
                let Some(upper) = bound_seconds(bucket) else {
                    return bound_seconds(BOUNDS_NANOS.len() - 1);
                };
                let lower = bucket.checked_sub(1).and_then(bound_seconds).unwrap_or(0.0);
                let within = (rank - below as f64) / n as f64;
                return Some(lower + (upper - lower) * within);
            }
            below += n;
        }
        bound_seconds(BOUNDS_NANOS.len() - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_sums_what_it_records() {
        let histogram = Histogram::default();
        histogram.record(Duration::from_micros(12));
        histogram.record_many(1_000_000, 3);
        let snapshot = histogram.snapshot();
        assert_eq!(snapshot.count(), 4);
        assert_eq!(snapshot.sum_nanos, 12_000 + 3_000_000);
        assert_eq!(snapshot.buckets[1], 1);
        assert_eq!(snapshot.buckets[12], 3);
    }

    #[test]
    fn quantiles_interpolate_within_the_bucket() {
        let histogram = Histogram::default();
        histogram.record_many(900_000, 100); // the (700 µs, 1 ms] bucket
        let median = histogram.snapshot().quantile(0.5).unwrap();
        assert!((median - 0.00085).abs() < 1e-9, "{median}");
        assert_eq!(Snapshot::default().quantile(0.5), None);
    }

    #[test]
    fn since_is_what_came_in_between() {
        let histogram = Histogram::default();
        histogram.record_many(20_000, 5);
        let earlier = histogram.snapshot();
        histogram.record_many(20_000, 2);
        let between = histogram.snapshot().since(&earlier);
        assert_eq!((between.count(), between.sum_nanos), (2, 40_000));
    }

    #[test]
    fn beyond_the_last_bound_is_the_infinite_bucket() {
        let histogram = Histogram::default();
        histogram.record(Duration::from_secs(500));
        let snapshot = histogram.snapshot();
        assert_eq!(snapshot.buckets[BUCKETS - 1], 1);
        assert_eq!(snapshot.quantile(0.99), Some(100.0));
    }
}
