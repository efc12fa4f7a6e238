//! What one connection saw: the latency of every call it recorded, its failures by status, and
//! in an open loop how long after it was due each call was sent.

use std::{collections::BTreeMap, time::Duration};

use hdrhistogram::Histogram;

/// Three significant figures: 1 µs resolution up to 2 ms, 0.1% beyond.
const SIGNIFICANT_FIGURES: u8 = 3;

/// A connection's own record, merged with the others' when the run ends.
#[derive(Debug, Clone)]
pub(crate) struct Recorder {
    pub(crate) latencies: Histogram<u64>,
    pub(crate) errors: BTreeMap<String, u64>,
    /// Open loop: from when each measured call was due until it was sent, in microseconds.
    pub(crate) send_lags: Histogram<u64>,
}

impl Recorder {
    /// An empty record whose histograms grow to the largest value they see.
    pub(crate) fn new() -> Recorder {
        Recorder {
            latencies: histogram(),
            errors: BTreeMap::new(),
            send_lags: histogram(),
        }
    }

    /// Records one call: its latency, and its status name when it failed.
    pub(crate) fn record(&mut self, latency: Duration, outcome: Result<(), String>) {
        record_micros(&mut self.latencies, latency);
        if let Err(status) = outcome {
            *self.errors.entry(status).or_default() += 1;
        }
    }

    /// Records how long after it was due a measured call of an open loop was sent.
    pub(crate) fn record_send_lag(&mut self, lag: Duration) {
        record_micros(&mut self.send_lags, lag);
    }

    /// Folds another connection's record into this one.
    pub(crate) fn merge(&mut self, other: Recorder) {
        for (mine, theirs) in [
            (&mut self.latencies, &other.latencies),
            (&mut self.send_lags, &other.send_lags),
        ] {
            mine.add(theirs)
                .expect("auto-resizing histograms of one precision always add");
        }
        for (status, count) in other.errors {
            *self.errors.entry(status).or_default() += count;
        }
    }

    /// Calls recorded, failed ones included.
    pub(crate) fn calls(&self) -> u64 {
        self.latencies.len()
    }
}

fn histogram() -> Histogram<u64> {
    Histogram::new(SIGNIFICANT_FIGURES).expect("3 significant figures are supported")
}

fn record_micros(histogram: &mut Histogram<u64>, duration: Duration) {
    let micros = u64::try_from(duration.as_micros()).unwrap_or(u64::MAX);
    if histogram.record(micros).is_err() {
        // Beyond what auto-resizing reaches (centuries): the largest trackable value.
        histogram.saturating_record(micros);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merged_records_add_up() {
        let mut first = Recorder::new();
        first.record(Duration::from_micros(100), Ok(()));
        first.record(Duration::from_micros(200), Err("unavailable".to_owned()));
        let mut second = Recorder::new();
        second.record(Duration::from_secs(3), Err("unavailable".to_owned()));
        second.record(Duration::from_micros(5), Err("unknown_method".to_owned()));
        first.merge(second);
        assert_eq!(first.calls(), 4);
        let errors: Vec<(&str, u64)> = first.errors.iter().map(|(k, v)| (&**k, *v)).collect();
        assert_eq!(errors, [("unavailable", 2), ("unknown_method", 1)]);
        assert!(first.latencies.equivalent(first.latencies.max(), 3_000_000));
        assert_eq!(first.latencies.min(), 5);
        assert!(
            first.send_lags.is_empty(),
            "a closed loop records no send lag"
        );
    }

    #[test]
    fn send_lags_are_kept_apart_from_latencies_and_merged_too() {
        let mut first = Recorder::new();
        first.record(Duration::from_micros(40), Ok(()));
        first.record_send_lag(Duration::from_micros(3));
        let mut second = Recorder::new();
        second.record_send_lag(Duration::from_micros(900));
        first.merge(second);
        assert_eq!(first.calls(), 1);
        assert_eq!(first.send_lags.len(), 2);
        assert_eq!(first.send_lags.min(), 3);
        assert!(first.send_lags.equivalent(first.send_lags.max(), 900));
    }
}
