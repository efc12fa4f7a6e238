//! Where ferry servers are, and which one takes each call.
//!
//! - [`Registry`]: where instances are listed. [`StaticList`] (a fixed list of addresses, the
//!   default: no process to run) and [`etcd::EtcdRegistry`] (list, then watch).
//! - [`etcd::Registration`]: a server's keys under a lease, kept alive and put again when lost.
//! - [`Balancer`]: which instance takes a call; see [`balance`] for the four policies.
//! - [`budget::RetryBudget`]: how many failed calls may be sent again.

pub mod balance;
mod balanced;
pub mod budget;
mod endpoint;
mod error;
pub mod etcd;
pub mod ewma;
mod health;
mod instance;
mod registry;
pub mod resend;
mod target;

pub use balance::{Balancer, Policy};
pub use balanced::{Balanced, BalancedConfig};
pub use endpoint::{Endpoint, EndpointFigures};
pub use error::DiscoveryError;
pub use instance::{Instance, Instances};
pub use registry::{Registered, Registry, StaticList};
pub use target::{Target, ETCD_SCHEME};
