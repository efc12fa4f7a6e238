//! What a run measured, for people (`Display`) and for programs ([`Report::to_json`]).

use std::{collections::BTreeMap, fmt, time::Duration};

use serde_json::{json, Value};

use crate::{recorder::Recorder, LoadConfig, Percentiles};

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
    /// Latency percentiles, maximum and mean.
    pub latency: Percentiles,
    /// Failed calls by status name.
    pub errors: BTreeMap<String, u64>,
    /// Open loop: calls due in the measured window that never started, because every slot
    /// was still busy when the time was up. Always 0 in a closed loop.
    pub missed: u64,
    /// Open loop: how long after it was due each measured call was sent, the part of its
    /// latency the engine's own timing (or a wait for a free slot) added. `None` in a closed
    /// loop, where a call is sent as soon as a slot is free and has no due time.
    pub send_lag: Option<Percentiles>,
    /// The settings of the run.
    pub config: LoadConfig,
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
        let latency = Percentiles::of(&record.latencies);
        let send_lag = config.rate.map(|_| Percentiles::of(&record.send_lags));
        Report {
            calls,
            elapsed,
            rps,
            latency,
            errors: record.errors,
            missed,
            send_lag,
            config,
        }
    }

    /// Failed calls, all statuses together.
    pub fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }

    /// The report as one JSON object: `calls`, `elapsed_s`, `rps`, `p50_us`, `p90_us`,
    /// `p99_us`, `p999_us`, `max_us`, `mean_us`, `errors` (`{status: count}`), `missed`,
    /// `send_lag` (the same percentile keys, or null in a closed loop) and `config` (see
    /// [`LoadConfig::to_json`]).
    pub fn to_json(&self) -> Value {
        let mut json = json!({
            "calls": self.calls,
            "elapsed_s": self.elapsed.as_secs_f64(),
            "rps": self.rps,
            "errors": self.errors,
            "missed": self.missed,
            "send_lag": self.send_lag.as_ref().map(Percentiles::to_json),
            "config": self.config.to_json(),
        });
        if let (Value::Object(fields), Value::Object(latency)) = (&mut json, self.latency.to_json())
        {
            fields.extend(latency);
        }
        json
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
    /// microseconds, in an open loop the send lag, then errors by status.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.fmt_shape(f)?;
        writeln!(f, "rate     {:.1} calls/s", self.rps)?;
        writeln!(f, "p50      {} us", self.latency.p50_us)?;
        writeln!(f, "p90      {} us", self.latency.p90_us)?;
        writeln!(f, "p99      {} us", self.latency.p99_us)?;
        writeln!(f, "p99.9    {} us", self.latency.p999_us)?;
        writeln!(f, "max      {} us", self.latency.max_us)?;
        if let Some(lag) = &self.send_lag {
            writeln!(
                f,
                "send lag p50 {} us, p99 {} us, max {} us (from due to sent)",
                lag.p50_us, lag.p99_us, lag.max_us
            )?;
        }
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
            (
                report.latency.p50_us,
                report.latency.p90_us,
                report.latency.p99_us,
                report.latency.p999_us
            ),
            (500, 900, 990, 999)
        );
        assert_eq!(report.latency.max_us, 1000);
        assert_eq!(report.latency.mean_us, 500.5);
    }

    #[test]
    fn percentiles_keep_their_order_over_a_wide_range() {
        let mut record = uniform(100);
        record.record(Duration::from_millis(250), Ok(()));
        record.record(Duration::from_secs(4), Ok(()));
        let report = report(record);
        assert!(report.latency.p50_us <= report.latency.p90_us);
        assert!(report.latency.p90_us <= report.latency.p99_us);
        assert!(report.latency.p99_us <= report.latency.p999_us);
        assert!(report.latency.p999_us <= report.latency.max_us);
        let max = report.latency.max_us as f64;
        assert!((max - 4e6).abs() / 4e6 < 0.001, "max {max}");
    }

    #[test]
    fn an_empty_run_reports_zeros() {
        let report = report(Recorder::new());
        assert_eq!(
            (report.calls, report.rps, report.latency.max_us),
            (0, 0.0, 0)
        );
        assert_eq!(report.latency.p50_us, 0);
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
            "send_lag",
            "config",
        ] {
            assert!(json.get(key).is_some(), "{key} missing from {json}");
        }
        assert_eq!(json["calls"], 11);
        assert_eq!(json["elapsed_s"], 2.0);
        assert_eq!(json["errors"], json!({"unavailable": 1}));
        assert_eq!(json["config"], LoadConfig::default().to_json());
        assert_eq!(json["max_us"], 10);
        assert_eq!(json["send_lag"], Value::Null, "a closed loop");
    }

    /// An open loop's report of 1000 calls, each sent `lag` µs after it was due.
    fn open_loop(lag: u64) -> Report {
        let mut record = uniform(1000);
        for _ in 0..1000 {
            record.record_send_lag(Duration::from_micros(lag));
        }
        let config = LoadConfig::default().rate(Some(2000.0));
        Report::new(record, Duration::from_secs(2), 0, config)
    }

    #[test]
    fn an_open_loop_reports_its_send_lag_apart_from_the_latency() {
        let report = open_loop(7);
        let lag = report.send_lag.expect("an open loop has due times");
        assert_eq!((lag.p50_us, lag.p99_us, lag.max_us), (7, 7, 7));
        assert_eq!(report.latency.p50_us, 500, "the latencies are their own");
        let json = report.to_json();
        assert_eq!(
            json["send_lag"],
            json!({"p50_us": 7, "p90_us": 7, "p99_us": 7, "p999_us": 7, "max_us": 7,
                   "mean_us": 7.0})
        );
        assert_eq!(json["p50_us"], 500);
        let text = report.to_string();
        assert!(
            text.contains("\nmax      1000 us\nsend lag p50 7 us, p99 7 us, max 7 us"),
            "{text}"
        );
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
