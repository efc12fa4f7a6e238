//! What a run measured, for people (`Display`) and for programs ([`Report::to_json`]).

use std::{collections::BTreeMap, fmt, time::Duration};

use hdrhistogram::Histogram;
use serde_json::{json, Value};

use crate::{recorder::Recorder, LoadConfig};

/// The outcome of a load run. Latencies are in microseconds and cover every measured call,
/// failed ones included.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Report {
    /// Calls measured, failed ones included.
    pub calls: u64,
    /// From the end of the warmup until the last measured call was answered.
    pub elapsed: Duration,
    /// `calls` per second of `elapsed`.
    pub rps: f64,
    /// Median latency.
    pub p50_us: u64,
    /// 90th percentile latency.
    pub p90_us: u64,
    /// 99th percentile latency.
    pub p99_us: u64,
    /// 99.9th percentile latency.
    pub p999_us: u64,
    /// Largest latency.
    pub max_us: u64,
    /// Mean latency.
    pub mean_us: f64,
    /// Failed calls by status name.
    pub errors: BTreeMap<String, u64>,
    /// Open loop: calls due in the measured window that never started, because every slot
    /// was still busy when the time was up. Always 0 in a closed loop.
    pub missed: u64,
    /// The settings of the run.
    pub config: LoadConfig,
}

/// Percentiles of a latency histogram, all 0 when it is empty.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Percentiles {
    p50: u64,
    p90: u64,
    p99: u64,
    p999: u64,
    max: u64,
    mean: f64,
}

impl Percentiles {
    fn of(latencies: &Histogram<u64>) -> Percentiles {
        if latencies.is_empty() {
            return Percentiles {
                p50: 0,
                p90: 0,
                p99: 0,
                p999: 0,
                max: 0,
                mean: 0.0,
            };
        }
        Percentiles {
            p50: latencies.value_at_quantile(0.5),
            p90: latencies.value_at_quantile(0.9),
            p99: latencies.value_at_quantile(0.99),
            p999: latencies.value_at_quantile(0.999),
            max: latencies.max(),
            mean: latencies.mean(),
        }
    }
}

impl Report {
    pub(crate) fn new(
        record: Recorder,
        elapsed: Duration,
        missed: u64,
        config: LoadConfig,
    ) -> Report {
        let calls = record.calls();
        let seconds = elapsed.as_secs_f64();
        let rps = if seconds > 0.0 {
            calls as f64 / seconds
        } else {
            0.0
        };
        let percentiles = Percentiles::of(&record.latencies);
        Report {
            calls,
            elapsed,
            rps,
            p50_us: percentiles.p50,
            p90_us: percentiles.p90,
            p99_us: percentiles.p99,
            p999_us: percentiles.p999,
            max_us: percentiles.max,
            mean_us: percentiles.mean,
            errors: record.errors,
            missed,
            config,
        }
    }

    /// Failed calls, all statuses together.
    pub fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }

    /// The report as one JSON object: `calls`, `elapsed_s`, `rps`, `p50_us`, `p90_us`,
    /// `p99_us`, `p999_us`, `max_us`, `mean_us`, `errors` (`{status: count}`), `missed` and
    /// `config` (see [`LoadConfig::to_json`]).
    pub fn to_json(&self) -> Value {
        json!({
            "calls": self.calls,
            "elapsed_s": self.elapsed.as_secs_f64(),
            "rps": self.rps,
            "p50_us": self.p50_us,
            "p90_us": self.p90_us,
            "p99_us": self.p99_us,
            "p999_us": self.p999_us,
            "max_us": self.max_us,
            "mean_us": self.mean_us,
            "errors": self.errors,
            "missed": self.missed,
            "config": self.config.to_json(),
        })
    }

    fn fmt_shape(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let config = &self.config;
        write!(
            f,
            "load     {} connection(s) x {} in flight, {}-byte payload, ",
            config.conns, config.inflight, config.payload
        )?;
        match config.rate {
            Some(rate) => writeln!(f, "open loop at {rate} calls/s")?,
            None => writeln!(f, "closed loop")?,
        }
        writeln!(
            f,
            "calls    {} in {:.2} s (after {:.2} s warmup)",
            self.calls,
            self.elapsed.as_secs_f64(),
            config.warmup.as_secs_f64()
        )
    }

    fn fmt_errors(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.missed > 0 {
            writeln!(f, "missed   {} (every slot was busy)", self.missed)?;
        }
        if self.errors.is_empty() {
            return writeln!(f, "errors   none");
        }
        write!(f, "errors   {} failed:", self.error_count())?;
        for (status, count) in &self.errors {
            write!(f, " {status} {count}")?;
        }
        writeln!(f)
    }
}

impl fmt::Display for Report {
    /// Lines of `label value`: the shape of the run, calls, rate, the latency percentiles in
    /// microseconds, then errors by status.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.fmt_shape(f)?;
        writeln!(f, "rate     {:.1} calls/s", self.rps)?;
        writeln!(f, "p50      {} us", self.p50_us)?;
        writeln!(f, "p90      {} us", self.p90_us)?;
        writeln!(f, "p99      {} us", self.p99_us)?;
        writeln!(f, "p99.9    {} us", self.p999_us)?;
        writeln!(f, "max      {} us", self.max_us)?;
        self.fmt_errors(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A record of one call at each whole number of microseconds from 1 to `n`.
    fn uniform(n: u64) -> Recorder {
        let mut record = Recorder::new();
        for micros in 1..=n {
            record.record(Duration::from_micros(micros), Ok(()));
        }
        record
    }

    fn report(record: Recorder) -> Report {
        Report::new(record, Duration::from_secs(2), 0, LoadConfig::default())
    }

    #[test]
    fn percentiles_come_from_the_histogram() {
        let report = report(uniform(1000));
        assert_eq!(report.calls, 1000);
        assert_eq!(report.rps, 500.0);
        assert_eq!(
            (report.p50_us, report.p90_us, report.p99_us, report.p999_us),
            (500, 900, 990, 999)
        );
        assert_eq!(report.max_us, 1000);
        assert_eq!(report.mean_us, 500.5);
    }

    #[test]
    fn percentiles_keep_their_order_over_a_wide_range() {
        let mut record = uniform(100);
        record.record(Duration::from_millis(250), Ok(()));
        record.record(Duration::from_secs(4), Ok(()));
        let report = report(record);
        assert!(report.p50_us <= report.p90_us);
        assert!(report.p90_us <= report.p99_us);
        assert!(report.p99_us <= report.p999_us);
        assert!(report.p999_us <= report.max_us);
        let max = report.max_us as f64;
        assert!((max - 4e6).abs() / 4e6 < 0.001, "max {max}");
    }

    #[test]
    fn an_empty_run_reports_zeros() {
        let report = report(Recorder::new());
        assert_eq!((report.calls, report.rps, report.max_us), (0, 0.0, 0));
        assert_eq!(report.p50_us, 0);
    }

    #[test]
    fn json_has_every_figure_errors_by_status_and_the_config() {
        let mut record = uniform(10);
        record.record(Duration::from_micros(3), Err("unavailable".to_owned()));
        let json = report(record).to_json();
        for key in [
            "calls",
            "elapsed_s",
            "rps",
            "p50_us",
            "p90_us",
            "p99_us",
            "p999_us",
            "max_us",
            "mean_us",
            "errors",
            "missed",
            "config",
        ] {
            assert!(json.get(key).is_some(), "{key} missing from {json}");
        }
        assert_eq!(json["calls"], 11);
        assert_eq!(json["elapsed_s"], 2.0);
        assert_eq!(json["errors"], json!({"unavailable": 1}));
        assert_eq!(json["config"], LoadConfig::default().to_json());
        assert_eq!(json["max_us"], 10);
    }

    #[test]
    fn display_shows_rate_percentiles_and_errors() {
        let mut record = uniform(1000);
        record.record(Duration::from_micros(3), Err("unavailable".to_owned()));
        record.record(Duration::from_micros(3), Err("internal".to_owned()));
        record.record(Duration::from_micros(3), Err("unavailable".to_owned()));
        let text = report(record).to_string();
        assert!(text.contains("rate     501.5 calls/s\n"), "{text}");
        assert!(text.contains("p50      499 us\n"), "{text}");
        assert!(text.contains("p99.9    999 us\n"), "{text}");
        assert!(text.contains("max      1000 us\n"), "{text}");
        assert!(
            text.ends_with("errors   3 failed: internal 1 unavailable 2\n"),
            "{text}"
        );
        assert!(report(uniform(5)).to_string().ends_with("errors   none\n"));
    }
}
