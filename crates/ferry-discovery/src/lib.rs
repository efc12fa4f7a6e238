//! Where ferry servers are, and which one takes each call.
//!
//! ```no_run
//! use ferry::CallOptions;
//! use ferry_discovery::{BalancedConfig, Policy, Target};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! // `HOST:PORT`, a list `HOST:PORT,HOST:PORT`, or `etcd://HOST:PORT[,HOST:PORT]`.
//! let target = Target::parse("etcd://127.0.0.1:2379")?;
//! let client = target.client(BalancedConfig::default().policy(Policy::LeastInFlight));
//! // Each call goes to an instance of `calc`; a generated `CalcClient::new(client)` works too.
//! let sum: i64 = client.call("calc.add", &[2, 3], &CallOptions::new()).await?;
//! # let _ = sum;
//! # Ok(())
//! # }
//! ```
//!
//! - [`Target`]: an address parsed, and the client of it: direct, or a [`Balanced`] client.
//! - [`Balanced`]: a `ferry::Client`'s channel over a registry's instances: it chooses per
//!   call, ejects failing instances and probes them back, and re-sends a failed call by the
//!   rule in [`resend`], within three attempts, one deadline and the [`budget`].
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
