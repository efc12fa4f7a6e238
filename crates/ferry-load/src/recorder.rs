//! What one connection saw: the latency of every call it recorded and its failures by status.

use std::{collections::BTreeMap, time::Duration};

use hdrhistogram::Histogram;

/// Three significant figures: 1 µs resolution up to 2 ms, 0.1% beyond.
const SIGNIFICANT_FIGURES: u8 = 3;

/// A connection's own record, merged with the others' when the run ends.
#[derive(Debug, Clone)]
pub(crate) struct Recorder {
    pub(crate) latencies: Histogram<u64>,
    pub(crate) errors: BTreeMap<String, u64>,
}

impl Recorder {
    /// An empty record whose histogram grows to the largest latency it sees.
    pub(crate) fn new() -> Recorder {
        let latencies =
            Histogram::new(SIGNIFICANT_FIGURES).expect("3 significant figures are supported");
        Recorder {
            latencies,
            errors: BTreeMap::new(),
        }
    }

    /// Records one call: its latency, and its status name when it failed.
    pub(crate) fn record(&mut self, latency: Duration, outcome: Result<(), String>) {
        let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        if self.latencies.record(micros).is_err() {
            // Beyond what auto-resizing reaches (centuries): the largest trackable value.
            self.latencies.saturating_record(micros);
        }
        if let Err(status) = outcome {
            *self.errors.entry(status).or_default() += 1;
        }
    }

    /// Folds another connection's record into this one.
    pub(crate) fn merge(&mut self, other: Recorder) {
        self.latencies
            .add(&other.latencies)
            .expect("auto-resizing histograms of one precision always add");
        for (status, count) in other.errors {
            *self.errors.entry(status).or_default() += count;
        }
    }

    /// Calls recorded, failed ones included.
    pub(crate) fn calls(&self) -> u64 {
        self.latencies.len()
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
    }
}
