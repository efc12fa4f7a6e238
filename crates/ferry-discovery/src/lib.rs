//! Where ferry servers are, and which one takes each call.
//!
//! - [`Registry`]: where instances are listed. [`StaticList`] (a fixed list of addresses, the
//!   default: no process to run) and [`etcd::EtcdRegistry`] (list, then watch).
//! - [`etcd::Registration`]: a server's keys under a lease, kept alive and put again when lost.
//! - [`Balancer`]: which instance takes a call; see [`balance`] for the four policies.
//! - [`budget::RetryBudget`]: how many failed calls may be sent again.

pub mod balance;
pub mod budget;
// `expect` rather than `allow`, here and on `health`, so that each goes once the balanced
// client uses what it covers.
#[expect(
    dead_code,
    reason = "endpoints are made and called through by the balanced client, not yet here"
)]
mod endpoint;
mod error;
pub mod etcd;
pub mod ewma;
#[cfg_attr(
    not(test),
    expect(
        dead_code,
        reason = "the balanced client, not yet here, ejects through it"
    )
)]
mod health;
mod instance;
mod registry;

pub use balance::{Balancer, Policy};
pub use endpoint::Endpoint;
pub use error::DiscoveryError;
pub use instance::{Instance, Instances};
pub use registry::{Registered, Registry, StaticList};
