//! Choosing the instance for each call: the [`Balancer`] trait and the four policies ferry
//! ships.
//!
//! | Policy | Name | Picks | Use it when |
//! |---|---|---|---|
//! | [`Policy::LeastInFlight`] ([`LeastInFlight`]) | `least-in-flight`, `p2c` | of two endpoints at random, the one with fewer calls in flight | by default: it needs no measurements and steers around a slow or stuck endpoint at once |
//! | [`Policy::RoundRobin`] ([`RoundRobin`]) | `round-robin` | each endpoint in turn | calls cost alike and servers are alike, and an even, predictable spread matters more than load |
//! | [`Policy::PeakEwma`] ([`LeastLatency`]) | `peak-ewma` | of two at random, the one with the lower latency × (calls in flight + 1) | servers differ in speed (mixed hardware, zones) and tail latency matters |
//! | [`Policy::Hash`] ([`ConsistentHash`]) | `hash` | the endpoint that rendezvous hashing gives the call's key; least in flight for calls without one | servers keep per-key state (caches, sessions) that a key should keep finding |

mod hash;
mod least_in_flight;
mod peak_ewma;
mod round_robin;

use std::{fmt, str::FromStr, sync::Arc};

pub use hash::ConsistentHash;
pub use least_in_flight::LeastInFlight;
pub use peak_ewma::LeastLatency;
pub use round_robin::RoundRobin;

use crate::Endpoint;

/// Chooses which endpoint takes a call. Implement it for a policy of your own.
pub trait Balancer: Send + Sync + std::fmt::Debug + 'static {
    /// The index in `usable` (never empty, sorted by address) of the endpoint that takes a
    /// call; `key` is the call's hash key, when the caller gave one.
    fn pick(&self, usable: &[Arc<Endpoint>], key: Option<u64>) -> usize;

    /// Whether it reads [`Endpoint::latency`]: only then is each call timed.
    fn measures_latency(&self) -> bool {
        false
    }
}

/// The balancing policies ferry ships, by the names a configuration gives them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Policy {
    /// [`LeastInFlight`]: `least-in-flight` (or `p2c`).
    #[default]
    LeastInFlight,
    /// [`RoundRobin`]: `round-robin`.
    RoundRobin,
    /// [`LeastLatency`]: `peak-ewma`.
    PeakEwma,
    /// [`ConsistentHash`]: `hash`.
    Hash,
}

impl Policy {
    /// The canonical names, as [`Display`](fmt::Display) writes them, for help texts.
    pub const NAMES: &[&str] = &["least-in-flight", "round-robin", "peak-ewma", "hash"];

    /// A new balancer of this policy; each balanced client needs its own, since a balancer
    /// keeps state (a turn) of its own.
    pub fn balancer(self) -> Arc<dyn Balancer> {
        match self {
            Policy::LeastInFlight => Arc::new(LeastInFlight),
            Policy::RoundRobin => Arc::new(RoundRobin::default()),
            Policy::PeakEwma => Arc::new(LeastLatency),
            Policy::Hash => Arc::new(ConsistentHash::default()),
        }
    }
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Policy::LeastInFlight => "least-in-flight",
            Policy::RoundRobin => "round-robin",
            Policy::PeakEwma => "peak-ewma",
            Policy::Hash => "hash",
        })
    }
}

impl FromStr for Policy {
    type Err = UnknownPolicy;

    fn from_str(name: &str) -> Result<Policy, UnknownPolicy> {
        match name {
            "least-in-flight" | "p2c" => Ok(Policy::LeastInFlight),
            "round-robin" => Ok(Policy::RoundRobin),
            "peak-ewma" => Ok(Policy::PeakEwma),
            "hash" => Ok(Policy::Hash),
            _ => Err(UnknownPolicy(name.to_owned())),
        }
    }
}

/// A policy name that is none of [`Policy::NAMES`] (nor `p2c`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownPolicy(String);

impl fmt::Display for UnknownPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = Policy::NAMES.join(", ");
        write!(
            f,
            "no balancing policy is named {:?}; use one of {names}",
            self.0
        )
    }
}

impl std::error::Error for UnknownPolicy {}

/// Power of two choices: two distinct endpoints drawn at random, the one `cost` ranks lower.
/// A tie keeps the first drawn, which is as random as the draw.
fn pick_of_two<K: Ord>(usable: &[Arc<Endpoint>], cost: impl Fn(&Endpoint) -> K) -> usize {
    let len = usable.len();
    if len == 1 {
        return 0;
    }
    let first = fastrand::usize(..len);
    // An offset of 1..len from the first lands on each other endpoint with equal chance.
    let second = (first + fastrand::usize(1..len)) % len;
    if cost(&usable[second]) < cost(&usable[first]) {
        second
    } else {
        first
    }
}

#[cfg(test)]
pub(crate) mod testing {
    use std::sync::Arc;

    use tokio::time::Instant;

    use super::Balancer;
    use crate::{Endpoint, Instance};

    /// Endpoints at these addresses, in the order given; no connection is ever made.
    pub(crate) fn at(addresses: &[impl AsRef<str>]) -> Vec<Arc<Endpoint>> {
        let endpoint = |address: &str| {
            let client = ferry::Client::lazy(address, ferry::ClientConfig::default());
            Arc::new(Endpoint::new(
                Instance::new(address),
                client,
                Instant::now(),
            ))
        };
        addresses
            .iter()
            .map(|address| endpoint(address.as_ref()))
            .collect()
    }

    /// Endpoints, sorted by address, with these many calls in flight.
    pub(crate) fn loaded(in_flight: &[u32]) -> Vec<Arc<Endpoint>> {
        let addresses: Vec<String> = (0..in_flight.len())
            .map(|index| format!("server-{index:03}:7070"))
            .collect();
        let usable = at(&addresses);
        for (endpoint, &calls) in usable.iter().zip(in_flight) {
            (0..calls).for_each(|_| endpoint.started());
        }
        usable
    }

    /// How many of `rounds` picks each endpoint got.
    pub(crate) fn picks(
        balancer: &dyn Balancer,
        usable: &[Arc<Endpoint>],
        rounds: usize,
    ) -> Vec<usize> {
        let mut counts = vec![0; usable.len()];
        for _ in 0..rounds {
            counts[balancer.pick(usable, None)] += 1;
        }
        counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_reads_back_as_the_policy_it_names() {
        for name in Policy::NAMES {
            let policy: Policy = name.parse().unwrap();
            assert_eq!(policy.to_string(), *name);
        }
        assert_eq!("p2c".parse(), Ok(Policy::LeastInFlight));
        assert_eq!(Policy::default(), Policy::LeastInFlight);
    }

    #[test]
    fn an_unknown_name_is_refused_with_the_names_there_are() {
        let refusal = "random".parse::<Policy>().unwrap_err().to_string();
        assert_eq!(
            refusal,
            "no balancing policy is named \"random\"; \
             use one of least-in-flight, round-robin, peak-ewma, hash"
        );
    }

    #[test]
    fn each_policy_makes_its_own_balancer() {
        let balancers: Vec<String> = Policy::NAMES
            .iter()
            .map(|name| format!("{:?}", name.parse::<Policy>().unwrap().balancer()))
            .collect();
        assert_eq!(
            balancers,
            [
                "LeastInFlight",
                "RoundRobin { next: 0 }",
                "LeastLatency",
                "ConsistentHash { unkeyed: LeastInFlight }"
            ]
        );
    }
}
