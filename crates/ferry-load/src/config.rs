//! How a load run is shaped.

use std::time::Duration;

use serde_json::{json, Value};

use crate::LoadError;

/// The shape of a load run. Start from [`LoadConfig::default`] and adjust with the builder
/// methods.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct LoadConfig {
    /// Connections opened to the target.
    pub conns: usize,
    /// Calls outstanding at once on each connection.
    pub inflight: usize,
    /// How long calls are measured.
    pub duration: Duration,
    /// How long calls run, unrecorded, before measuring starts.
    pub warmup: Duration,
    /// Open loop: total calls per second over all connections, on a fixed schedule.
    /// `None` runs a closed loop.
    pub rate: Option<f64>,
    /// Bytes in the payload handed to every call.
    pub payload: usize,
    /// Draws a progress bar on stderr, when stderr is a terminal.
    pub progress: bool,
}

impl Default for LoadConfig {
    /// One connection, one call at a time, 5 s measured after 1 s of warmup, 64-byte payload.
    fn default() -> LoadConfig {
        LoadConfig {
            conns: 1,
            inflight: 1,
            duration: Duration::from_secs(5),
            warmup: Duration::from_secs(1),
            rate: None,
            payload: 64,
            progress: false,
        }
    }
}

impl LoadConfig {
    /// Sets the number of connections.
    pub fn conns(mut self, conns: usize) -> LoadConfig {
        self.conns = conns;
        self
    }

    /// Sets the calls outstanding per connection.
    pub fn inflight(mut self, inflight: usize) -> LoadConfig {
        self.inflight = inflight;
        self
    }

    /// Sets the measured duration.
    pub fn duration(mut self, duration: Duration) -> LoadConfig {
        self.duration = duration;
        self
    }

    /// Sets the unrecorded warmup before measuring.
    pub fn warmup(mut self, warmup: Duration) -> LoadConfig {
        self.warmup = warmup;
        self
    }

    /// Sets the open-loop rate in total calls per second; `None` for a closed loop.
    pub fn rate(mut self, rate: Option<f64>) -> LoadConfig {
        self.rate = rate;
        self
    }

    /// Sets the payload size in bytes.
    pub fn payload(mut self, payload: usize) -> LoadConfig {
        self.payload = payload;
        self
    }

    /// Turns the progress bar on or off.
    pub fn progress(mut self, progress: bool) -> LoadConfig {
        self.progress = progress;
        self
    }

    /// Checks that the settings describe a run that can happen.
    pub fn validate(&self) -> Result<(), LoadError> {
        let invalid = |message: &str| Err(LoadError::InvalidConfig(message.to_owned()));
        if self.conns == 0 {
            return invalid("at least one connection is needed");
        }
        if self.inflight == 0 {
            return invalid("at least one call in flight per connection is needed");
        }
        if self.duration.is_zero() {
            return invalid("the duration must be more than 0 seconds");
        }
        match self.rate {
            Some(rate) if !(rate.is_finite() && rate > 0.0) => {
                invalid("the rate must be a positive number of calls per second")
            }
            _ => Ok(()),
        }
    }

    /// The settings as JSON: `conns`, `inflight`, `duration_s`, `warmup_s`, `rate` (null for a
    /// closed loop) and `payload`.
    pub fn to_json(&self) -> Value {
        json!({
            "conns": self.conns,
            "inflight": self.inflight,
            "duration_s": self.duration.as_secs_f64(),
            "warmup_s": self.warmup.as_secs_f64(),
            "rate": self.rate,
            "payload": self.payload,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_valid_and_the_builder_sets_every_field() {
        assert_eq!(LoadConfig::default().validate(), Ok(()));
        let config = LoadConfig::default()
            .conns(8)
            .inflight(16)
            .duration(Duration::from_millis(1500))
            .warmup(Duration::ZERO)
            .rate(Some(200.0))
            .payload(1024)
            .progress(true);
        assert_eq!(config.validate(), Ok(()));
        assert_eq!(
            config.to_json(),
            json!({"conns": 8, "inflight": 16, "duration_s": 1.5, "warmup_s": 0.0,
                   "rate": 200.0, "payload": 1024})
        );
        assert!(config.progress);
    }

    #[test]
    fn impossible_runs_are_refused() {
        let base = LoadConfig::default();
        for config in [
            base.clone().conns(0),
            base.clone().inflight(0),
            base.clone().duration(Duration::ZERO),
            base.clone().rate(Some(0.0)),
            base.clone().rate(Some(-5.0)),
            base.clone().rate(Some(f64::NAN)),
            base.clone().rate(Some(f64::INFINITY)),
        ] {
            assert!(
                matches!(config.validate(), Err(LoadError::InvalidConfig(_))),
                "{config:?} was accepted"
            );
        }
    }
}
