//! Choosing the instance for each call: the [`Balancer`] trait and the four policies ferry
//! ships.

use std::sync::Arc;

use crate::Endpoint;

/// Chooses which endpoint takes a call. Implement it for a policy of your own.
pub trait Balancer: Send + Sync + std::fmt::Debug + 'static {
    /// The index in `usable` (never empty, sorted by address) of the endpoint that takes a
    /// call; `key` is the call's hash key, when the caller gave one.
    fn pick(&self, usable: &[Arc<Endpoint>], key: Option<u64>) -> usize;
}
