//! etcd as a registry: servers register under a lease, clients list then watch.

mod backoff;
mod client;
mod layout;
mod registration;
mod registry;
mod set;

pub use layout::{key_of, parse_key, prefix_of, PREFIX};
pub use registration::Registration;
pub use registry::EtcdRegistry;
