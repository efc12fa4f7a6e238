//! Each endpoint in turn.

use std::sync::{
    atomic::{AtomicUsize, Ordering},
    Arc,
};

use super::Balancer;
use crate::Endpoint;

/// Endpoints in turn, whatever their load. The counter only spreads calls, it orders nothing
/// else, so relaxed increments suffice; when the set changes the turn just lands elsewhere.
#[derive(Debug, Default)]
pub struct RoundRobin {
    next: AtomicUsize,
}

impl Balancer for RoundRobin {
    fn pick(&self, usable: &[Arc<Endpoint>], _key: Option<u64>) -> usize {
        self.next.fetch_add(1, Ordering::Relaxed) % usable.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::balance::testing::loaded;

    #[test]
    fn endpoints_take_turns_whatever_their_load() {
        let usable = loaded(&[5, 0, 9]);
        let balancer = RoundRobin::default();
        let order: Vec<usize> = (0..7).map(|_| balancer.pick(&usable, None)).collect();
        assert_eq!(order, [0, 1, 2, 0, 1, 2, 0]);
    }

    #[test]
    fn the_index_stays_inside_a_set_that_shrank() {
        let balancer = RoundRobin::default();
        balancer.pick(&loaded(&[0, 0, 0]), None);
        assert_eq!(balancer.pick(&loaded(&[0]), None), 0);
        assert_eq!(balancer.pick(&loaded(&[0, 0]), None), 0);
        assert_eq!(balancer.pick(&loaded(&[0, 0]), None), 1);
    }
}
