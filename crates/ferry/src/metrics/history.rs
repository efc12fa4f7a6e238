//! The last minutes of each method, one point a second, for the dashboard's charts and the
//! rates `/status.json` reports: what came in during each second, from the difference of two
//! readings of the cumulative counters.

use std::{collections::VecDeque, sync::Arc};

use ferry_wire::Status;
use serde::Serialize;

use super::{histogram::Snapshot, method::MethodMetrics};

/// How many points each history keeps: three minutes at one a second.
pub const HISTORY_LEN: usize = 180;

/// One second of one method (or of the whole server).
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Point {
    /// When the second ended, in seconds since the Unix epoch.
    pub t: f64,
    /// Calls a second.
    pub rate: f64,
    /// Calls a second that ended with a status other than `ok`.
    pub error_rate: f64,
    /// The median latency of that second's calls, in seconds; `None` without calls.
    pub p50_seconds: Option<f64>,
    /// The 99th percentile latency of that second's calls, in seconds.
    pub p99_seconds: Option<f64>,
}

/// The points of one series, and the cumulative reading they were last taken from.
#[derive(Debug, Default)]
pub(crate) struct Series {
    last: Snapshot,
    last_errors: u64,
    pub(crate) points: VecDeque<Point>,
}

impl Series {
    /// Adds the point for what `now_all` and `now_errors` grew by over `seconds`.
    fn take(&mut self, now_all: Snapshot, now_errors: u64, t: f64, seconds: f64) -> Point {
        let between = now_all.since(&self.last);
        let errors = now_errors.saturating_sub(self.last_errors);
        let point = Point {
            t,
            rate: between.count() as f64 / seconds,
            error_rate: errors as f64 / seconds,
            p50_seconds: between.quantile(0.5),
            p99_seconds: between.quantile(0.99),
        };
        (self.last, self.last_errors) = (now_all, now_errors);
        if self.points.len() == HISTORY_LEN {
            self.points.pop_front();
        }
        self.points.push_back(point);
        point
    }

    /// The latest point, or zeros before the first second has passed.
    pub(crate) fn latest(&self) -> Point {
        self.points.back().copied().unwrap_or_default()
    }
}

/// Every method's series, in the order of the methods it was made for, and the server's.
#[derive(Debug)]
pub(crate) struct History {
    pub(crate) methods: Vec<Series>,
    pub(crate) total: Series,
}

impl History {
    pub(crate) fn new(methods: usize) -> History {
        History {
            methods: (0..methods).map(|_| Series::default()).collect(),
            total: Series::default(),
        }
    }

    /// Takes a point for each of `methods` (the same, in the same order, at every tick) after
    /// `seconds`; returns the server's calls a second.
    pub(crate) fn tick(&mut self, methods: &[Arc<MethodMetrics>], t: f64, seconds: f64) -> f64 {
        let mut all_methods = Snapshot::default();
        let mut all_errors = 0;
        for (series, metrics) in self.methods.iter_mut().zip(methods) {
            let (all, errors) = merged(&metrics.by_status());
            all_methods.add(&all);
            all_errors += errors;
            series.take(all, errors, t, seconds);
        }
        self.total.take(all_methods, all_errors, t, seconds).rate
    }
}

/// A method's calls by status (as [`MethodMetrics::by_status`] gives them) in one histogram,
/// and how many were errors.
pub(crate) fn merged(by_status: &[Snapshot]) -> (Snapshot, u64) {
    let mut all = Snapshot::default();
    let mut errors = 0;
    for (status, snapshot) in Status::ALL.iter().zip(by_status) {
        if *status != Status::Ok {
            errors += snapshot.count();
        }
        all.add(snapshot);
    }
    (all, errors)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::Dialect;

    #[test]
    fn each_point_is_what_came_in_during_its_second() {
        let method = Arc::new(MethodMetrics::new("calc", "add"));
        let methods = [method.clone()];
        let mut history = History::new(1);
        method.record_many(Dialect::Native, Status::Ok, 20_000, 10);
        assert_eq!(history.tick(&methods, 1.0, 1.0), 10.0);
        method.record_many(Dialect::Native, Status::Ok, 20_000, 4);
        method.record(
            Dialect::Rest,
            Status::InvalidArgs,
            Duration::from_micros(20),
        );
        assert_eq!(history.tick(&methods, 2.0, 0.5), 10.0);
        let point = history.methods[0].latest();
        assert_eq!((point.rate, point.error_rate), (10.0, 2.0));
        assert!(point.p99_seconds.unwrap() <= 20e-6);
        assert_eq!(history.tick(&methods, 3.0, 1.0), 0.0);
        assert_eq!(history.methods[0].latest().p50_seconds, None);
        assert_eq!(history.methods[0].points.len(), 3);
    }
}
