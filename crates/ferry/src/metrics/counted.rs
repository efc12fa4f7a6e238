//! A call counted while it runs: in flight from its start, into its method's histogram at its
//! end, and as `cancelled` if it is dropped unfinished (its caller went away).

use std::{sync::Arc, time::Duration};

use tokio::time::Instant;

use ferry_wire::Status;

use super::method::MethodMetrics;
use crate::Dialect;

/// One running call of a method.
#[derive(Debug)]
#[must_use = "a counted call dropped unfinished is counted `cancelled`"]
pub(crate) struct Counted {
    metrics: Arc<MethodMetrics>,
    dialect: Dialect,
    arrived: Instant,
    finished: bool,
}

impl Counted {
    /// Counts a call of `metrics`'s method on `dialect`, which arrived at `arrived`, in flight.
    pub(crate) fn start(
        metrics: Arc<MethodMetrics>,
        dialect: Dialect,
        arrived: Instant,
    ) -> Counted {
        metrics.enter();
        Counted {
            metrics,
            dialect,
            arrived,
            finished: false,
        }
    }

    /// The dialect the call came in on.
    pub(crate) fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// Counts the call as ended with `status`, now; how long it took.
    pub(crate) fn finish(mut self, status: Status) -> Duration {
        self.end(status)
    }

    fn end(&mut self, status: Status) -> Duration {
        if std::mem::replace(&mut self.finished, true) {
            return Duration::ZERO;
        }
        let elapsed = self.arrived.elapsed();
        self.metrics.record(self.dialect, status, elapsed);
        self.metrics.leave();
        elapsed
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        let _ = self.end(Status::Cancelled);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_flight_until_finished_and_cancelled_when_dropped() {
        let metrics = Arc::new(MethodMetrics::new("calc", "add"));
        let call = Counted::start(metrics.clone(), Dialect::Rest, Instant::now());
        assert_eq!(metrics.in_flight(), 1);
        let _ = call.finish(Status::Ok);
        drop(Counted::start(
            metrics.clone(),
            Dialect::Rest,
            Instant::now(),
        ));
        assert_eq!(metrics.in_flight(), 0);
        let by_status = metrics.by_status();
        assert_eq!(by_status[usize::from(Status::Ok.as_u8())].count(), 1);
        assert_eq!(by_status[usize::from(Status::Cancelled.as_u8())].count(), 1);
    }
}
