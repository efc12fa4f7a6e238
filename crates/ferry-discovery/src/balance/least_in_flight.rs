//! The default policy: of two endpoints drawn at random, the one with fewer calls in flight.

use std::sync::Arc;

use super::{pick_of_two, Balancer};
use crate::Endpoint;

/// Power of two choices on calls in flight. Two random candidates rather than the least loaded
/// of all, so that many clients reading the same stale figures do not all pile onto one
/// endpoint, and so that a pick costs the same over three endpoints or three hundred.
#[derive(Debug, Default)]
pub struct LeastInFlight;

impl Balancer for LeastInFlight {
    fn pick(&self, usable: &[Arc<Endpoint>], _key: Option<u64>) -> usize {
        pick_of_two(usable, Endpoint::in_flight)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::balance::testing::{loaded, picks};

    #[test]
    fn one_endpoint_is_always_picked() {
        assert_eq!(LeastInFlight.pick(&loaded(&[7]), None), 0);
    }

    #[test]
    fn of_two_the_less_loaded_always_wins_so_the_candidates_are_distinct() {
        let usable = loaded(&[3, 0]);
        assert_eq!(picks(&LeastInFlight, &usable, 1_000), [0, 1_000]);
    }

    #[test]
    fn the_most_loaded_of_three_is_never_picked() {
        let usable = loaded(&[1, 9, 0]);
        let counts = picks(&LeastInFlight, &usable, 3_000);
        assert_eq!(counts[1], 0, "{counts:?}");
        assert!(counts[0] > 0 && counts[2] > counts[0], "{counts:?}");
    }

    #[test]
    fn equal_loads_share_the_calls() {
        let counts = picks(&LeastInFlight, &loaded(&[2, 2]), 1_000);
        assert!(counts.iter().all(|&count| count > 350), "{counts:?}");
    }
}
