//! Of two endpoints drawn at random, the one expected to answer soonest.

use std::sync::Arc;

use super::{pick_of_two, Balancer};
use crate::Endpoint;

/// Power of two choices on the peak-EWMA latency times the calls it would have in flight
/// (the [`Policy::PeakEwma`](super::Policy::PeakEwma) policy; named for what it minimises so it
/// does not read as [`crate::ewma::PeakEwma`], the estimate). Counting the call about to be sent
/// keeps an idle slow endpoint comparable, and makes a fast one that is swamped look slow.
#[derive(Debug, Default)]
pub struct LeastLatency;

impl Balancer for LeastLatency {
    fn pick(&self, usable: &[Arc<Endpoint>], _key: Option<u64>) -> usize {
        pick_of_two(usable, expected_wait)
    }

    fn measures_latency(&self) -> bool {
        true
    }
}

/// What an endpoint is ranked by. Endpoints not yet measured all cost zero, so the calls in
/// flight break the tie and new endpoints do not all take every call until they answer once.
fn expected_wait(endpoint: &Endpoint) -> (u128, u32) {
    let in_flight = endpoint.in_flight();
    let latency = endpoint.latency().as_nanos();
    (latency * (u128::from(in_flight) + 1), in_flight)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::time::Instant;

    use super::*;
    use crate::balance::testing::{loaded, picks};

    const MS: Duration = Duration::from_millis(1);

    /// Endpoints with these (latency, calls in flight).
    fn measured(figures: &[(Duration, u32)]) -> Vec<Arc<Endpoint>> {
        let in_flight: Vec<u32> = figures.iter().map(|&(_, in_flight)| in_flight).collect();
        let usable = loaded(&in_flight);
        for (endpoint, &(latency, _)) in usable.iter().zip(figures) {
            endpoint.observe_latency(latency, Instant::now());
        }
        usable
    }

    #[test]
    fn one_endpoint_is_always_picked() {
        assert_eq!(LeastLatency.pick(&measured(&[(9 * MS, 3)]), None), 0);
    }

    #[test]
    fn the_faster_of_two_idle_endpoints_wins() {
        let usable = measured(&[(10 * MS, 0), (MS, 0)]);
        assert_eq!(picks(&LeastLatency, &usable, 500), [0, 500]);
    }

    #[test]
    fn a_fast_endpoint_with_a_queue_loses_to_an_idle_slower_one() {
        // 3 ms × (4 + 1) = 15 ms against 10 ms × (0 + 1).
        let usable = measured(&[(10 * MS, 0), (3 * MS, 4)]);
        assert_eq!(picks(&LeastLatency, &usable, 500), [500, 0]);
    }

    #[test]
    fn equal_costs_go_to_the_endpoint_with_fewer_calls_in_flight() {
        // 2 ms × (1 + 1) = 4 ms × (0 + 1).
        let usable = measured(&[(2 * MS, 1), (4 * MS, 0)]);
        assert_eq!(picks(&LeastLatency, &usable, 500), [0, 500]);
    }

    #[test]
    fn unmeasured_endpoints_are_ranked_by_calls_in_flight() {
        let usable = loaded(&[2, 0]);
        assert_eq!(picks(&LeastLatency, &usable, 500), [0, 500]);
    }
}
