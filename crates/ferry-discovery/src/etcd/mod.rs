//! etcd as a registry: servers register under a lease, clients list then watch.

mod backoff;
mod layout;
mod set;

pub use layout::{key_of, parse_key, prefix_of, PREFIX};
