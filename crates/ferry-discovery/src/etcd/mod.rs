//! etcd as a registry: servers register under a lease, clients list then watch.

mod layout;

pub use layout::{key_of, parse_key, prefix_of, PREFIX};
