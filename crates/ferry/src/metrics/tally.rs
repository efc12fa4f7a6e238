//! The native connection's count of the calls it answered in their handler's first poll: they
//! are added to their methods' histograms once per pass over a read, before the answers are
//! written, rather than once each, so connections do not contend for the counters' cache lines
//! at every call. A pass's calls arrived together (one clock reading per read) and are timed
//! together, by one more reading when the pass ends.

use std::{sync::Arc, time::Duration};

use tokio::time::Instant;

use ferry_wire::Status;

use super::{histogram::nanos_of, method::MethodMetrics, recent::Answered, Telemetry};
use crate::{trace::TraceId, Dialect, Peer};

/// Calls answered and not yet counted.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    /// When the calls being tallied arrived.
    arrived: Option<Instant>,
    /// How many calls of each method ended with each status since the last flush. Entries stay
    /// (at zero) once made: a connection calls few methods, and keeping them saves a reference
    /// count per pass.
    counts: Vec<(Arc<MethodMetrics>, Status, u64)>,
    kept: Vec<Kept>,
}

/// A call kept for `/rpcz`, waiting for its duration.
#[derive(Debug)]
pub(crate) struct Kept {
    pub(crate) method: String,
    pub(crate) status: Status,
    pub(crate) arrived: Instant,
    pub(crate) bytes: (usize, usize),
    pub(crate) trace_id: Option<TraceId>,
}

impl Tally {
    /// Tallies a call of `metrics`'s method that arrived at `arrived` and ended `status`.
    #[inline]
    pub(crate) fn add(&mut self, metrics: &Arc<MethodMetrics>, status: Status, arrived: Instant) {
        if self.arrived != Some(arrived) {
            if self.arrived.is_some() {
                // Calls of another read: the earlier ones are timed now.
                self.count_pending(Instant::now());
            }
            self.arrived = Some(arrived);
        }
        let same = |(m, s, _): &&mut (Arc<MethodMetrics>, Status, u64)| {
            Arc::ptr_eq(m, metrics) && *s == status
        };
        match self.counts.iter_mut().find(same) {
            Some((_, _, count)) => *count += 1,
            None => self.counts.push((metrics.clone(), status, 1)),
        }
    }

    /// Holds a call kept for `/rpcz` until the pass ends.
    pub(crate) fn keep(&mut self, kept: Kept) {
        self.kept.push(kept);
    }

    /// Counts what was tallied, timed at now; hands the kept calls to `telemetry`.
    #[inline]
    pub(crate) fn flush(&mut self, telemetry: &Telemetry, peer: &Peer) {
        if self.arrived.is_none() {
            return;
        }
        let now = Instant::now();
        self.count_pending(now);
        for kept in self.kept.drain(..) {
            telemetry.keep(Answered {
                method: &kept.method,
                dialect: Dialect::Native,
                peer,
                status: kept.status,
                elapsed: now.saturating_duration_since(kept.arrived),
                bytes: kept.bytes,
                trace_id: kept.trace_id,
            });
        }
    }

    /// Adds the counts to their methods' histograms, each call timed from its arrival to `now`.
    fn count_pending(&mut self, now: Instant) {
        let elapsed = self.arrived.take().map_or(Duration::ZERO, |arrived| {
            now.saturating_duration_since(arrived)
        });
        let nanos = nanos_of(elapsed);
        for (metrics, status, count) in &mut self.counts {
            if *count > 0 {
                metrics.record_many(Dialect::Native, *status, nanos, std::mem::take(count));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_a_pass_at_once_per_method_and_status() {
        let add = Arc::new(MethodMetrics::new("calc", "add"));
        let telemetry = Telemetry::new(vec![add.clone()], true);
        let mut tally = Tally::default();
        let arrived = Instant::now();
        for _ in 0..5 {
            tally.add(&add, Status::Ok, arrived);
        }
        tally.add(&add, Status::InvalidArgs, arrived);
        assert_eq!(tally.counts.len(), 2);
        assert_eq!(add.by_status()[0].count(), 0);
        tally.flush(&telemetry, &Peer::Unknown);
        let by_status = add.by_status();
        assert_eq!(by_status[usize::from(Status::Ok.as_u8())].count(), 5);
        assert_eq!(
            by_status[usize::from(Status::InvalidArgs.as_u8())].count(),
            1
        );
        tally.flush(&telemetry, &Peer::Unknown);
        assert_eq!(add.by_status()[0].count(), 5, "counted once");
    }

    #[test]
    fn calls_of_another_read_are_counted_apart() {
        let add = Arc::new(MethodMetrics::new("calc", "add"));
        let telemetry = Telemetry::new(vec![add.clone()], true);
        let mut tally = Tally::default();
        tally.add(&add, Status::Ok, Instant::now());
        tally.add(&add, Status::Ok, Instant::now() + Duration::from_millis(1));
        assert_eq!(
            add.by_status()[0].count(),
            1,
            "the first read's call is counted"
        );
        tally.flush(&telemetry, &Peer::Unknown);
        assert_eq!(add.by_status()[0].count(), 2);
    }
}
