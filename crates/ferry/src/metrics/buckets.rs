//! The latency buckets every ferry histogram shares: 10 µs to 100 s on a log scale, six to a
//! decade at the round values 1, 1.5, 2, 3, 5 and 7, so `le` labels read as plain numbers and
//! a microsecond call lands in a bucket of its own rather than in a catch-all first one.

/// The upper bounds, in nanoseconds; a last bucket, `+Inf`, takes everything above them.
pub const BOUNDS_NANOS: [u64; 43] = bounds();

/// How many buckets a histogram has: one per bound, and `+Inf`.
pub const BUCKETS: usize = BOUNDS_NANOS.len() + 1;

/// The round steps of one decade, in tenths of its first value.
const STEPS: [u64; 6] = [10, 15, 20, 30, 50, 70];

const fn bounds() -> [u64; 43] {
    let mut bounds = [0; 43];
    let mut decade = 1_000; // 10 µs, in tenths of the first bound
    let mut i = 0;
    while i < 42 {
        bounds[i] = decade * STEPS[i % 6];
        i += 1;
        if i % 6 == 0 {
            decade *= 10;
        }
    }
    bounds[42] = 100_000_000_000;
    bounds
}

/// The bucket a duration of `nanos` falls in: the first whose bound is at or above it.
#[inline]
pub fn bucket_of(nanos: u64) -> usize {
    BOUNDS_NANOS.partition_point(|&bound| bound < nanos)
}

/// A bound in seconds, as the `le` label writes it.
pub fn bound_seconds(bucket: usize) -> Option<f64> {
    BOUNDS_NANOS.get(bucket).map(|&nanos| nanos as f64 / 1e9)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_run_from_ten_microseconds_to_a_hundred_seconds_in_round_steps() {
        assert_eq!(BOUNDS_NANOS[0], 10_000);
        assert_eq!(BOUNDS_NANOS[1], 15_000);
        assert_eq!(BOUNDS_NANOS[5], 70_000);
        assert_eq!(BOUNDS_NANOS[6], 100_000);
        assert_eq!(BOUNDS_NANOS[42], 100_000_000_000);
        assert!(BOUNDS_NANOS.windows(2).all(|pair| pair[0] < pair[1]));
    }

    #[test]
    fn a_duration_falls_in_the_first_bucket_at_or_above_it() {
        assert_eq!(bucket_of(0), 0);
        assert_eq!(bucket_of(10_000), 0);
        assert_eq!(bucket_of(10_001), 1);
        assert_eq!(bucket_of(1_000_000), 12);
        assert_eq!(bucket_of(100_000_000_000), 42);
        assert_eq!(bucket_of(u64::MAX), BUCKETS - 1);
    }
}
