//! One method's figures: a latency histogram per dialect and status, and its calls in flight.
//! Made when the method is registered, so counting a call indexes arrays and never looks a
//! label up; a method nobody calls is still exported, at zero.

use std::{
    fmt,
    sync::{
        atomic::{AtomicI64, Ordering},
        OnceLock,
    },
    time::Duration,
};

use ferry_wire::Status;

use super::histogram::{nanos_of, Histogram, Snapshot};
use crate::Dialect;

/// The service and method names that stand for every method no handler serves, so random
/// names cannot grow the number of series.
pub const OTHER: &str = "_other";

const STATUSES: usize = Status::ALL.len();
const DIALECTS: usize = Dialect::ALL.len();

/// The figures of one method (or of [`OTHER`]).
pub struct MethodMetrics {
    service: String,
    method: String,
    /// By dialect, then status; made at the first call with that pair, except `ok` on every
    /// dialect, made at once so the method's histogram is exported from the start.
    by_outcome: [[OnceLock<Box<Histogram>>; STATUSES]; DIALECTS],
    in_flight: AtomicI64,
}

impl fmt::Debug for MethodMetrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MethodMetrics")
            .field("service", &self.service)
            .field("method", &self.method)
            .field("in_flight", &self.in_flight())
            .finish_non_exhaustive()
    }
}

impl MethodMetrics {
    /// The figures of `service.method`, all at zero.
    pub fn new(service: &str, method: &str) -> MethodMetrics {
        let metrics = MethodMetrics {
            service: service.to_owned(),
            method: method.to_owned(),
            by_outcome: std::array::from_fn(|_| std::array::from_fn(|_| OnceLock::new())),
            in_flight: AtomicI64::new(0),
        };
        for dialect in Dialect::ALL {
            metrics.histogram(dialect, Status::Ok);
        }
        metrics
    }

    /// The figures that stand for every unknown method.
    pub fn other() -> MethodMetrics {
        MethodMetrics::new(OTHER, OTHER)
    }

    /// The service's name.
    pub fn service(&self) -> &str {
        &self.service
    }

    /// The method's name within its service.
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The histogram of the calls that came in on `dialect` and ended with `status`.
    #[inline]
    pub fn histogram(&self, dialect: Dialect, status: Status) -> &Histogram {
        self.by_outcome[dialect.index()][usize::from(status.as_u8())].get_or_init(Box::default)
    }

    /// Counts one call.
    #[inline]
    pub fn record(&self, dialect: Dialect, status: Status, elapsed: Duration) {
        self.record_many(dialect, status, nanos_of(elapsed), 1);
    }

    /// Counts `count` calls of `nanos` each.
    #[inline]
    pub fn record_many(&self, dialect: Dialect, status: Status, nanos: u64, count: u64) {
        self.histogram(dialect, status).record_many(nanos, count);
    }

    /// Calls of this method running now (answered in the handler's first poll, a native call
    /// is never counted here: it is over before anyone could look).
    pub fn in_flight(&self) -> i64 {
        self.in_flight.load(Ordering::Relaxed)
    }

    /// Counts a call running.
    pub(crate) fn enter(&self) {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a running call over.
    pub(crate) fn leave(&self) {
        self.in_flight.fetch_sub(1, Ordering::Relaxed);
    }

    /// Every dialect and status with a histogram, and its counts.
    pub fn outcomes(&self) -> impl Iterator<Item = (Dialect, Status, Snapshot)> + '_ {
        Dialect::ALL.into_iter().flat_map(move |dialect| {
            Status::ALL.into_iter().filter_map(move |status| {
                let slot = &self.by_outcome[dialect.index()][usize::from(status.as_u8())];
                slot.get()
                    .map(|histogram| (dialect, status, histogram.snapshot()))
            })
        })
    }

    /// Every call of the method so far, whatever its dialect, by status.
    pub fn by_status(&self) -> [Snapshot; STATUSES] {
        let mut totals: [Snapshot; STATUSES] = std::array::from_fn(|_| Snapshot::default());
        for (_, status, snapshot) in self.outcomes() {
            totals[usize::from(status.as_u8())].add(&snapshot);
        }
        totals
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_method_exports_ok_on_every_dialect_at_zero() {
        let metrics = MethodMetrics::new("calc", "add");
        let outcomes: Vec<_> = metrics.outcomes().collect();
        assert_eq!(outcomes.len(), Dialect::ALL.len());
        assert!(outcomes
            .iter()
            .all(|(_, status, snapshot)| *status == Status::Ok && snapshot.count() == 0));
    }

    #[test]
    fn each_outcome_counts_apart() {
        let metrics = MethodMetrics::new("calc", "add");
        metrics.record(
            Dialect::Rest,
            Status::InvalidArgs,
            Duration::from_micros(30),
        );
        metrics.record_many(Dialect::Native, Status::Ok, 20_000, 7);
        let by_status = metrics.by_status();
        assert_eq!(by_status[usize::from(Status::Ok.as_u8())].count(), 7);
        assert_eq!(
            by_status[usize::from(Status::InvalidArgs.as_u8())].count(),
            1
        );
        assert_eq!(metrics.outcomes().count(), Dialect::ALL.len() + 1);
    }
}
