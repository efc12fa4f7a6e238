//! etcd as a registry: servers register under a lease, clients list then watch.
//!
//! # Keys
//!
//! Each server puts one key per service it serves, its value the [`Instance`](crate::Instance)
//! as JSON, every key of a server under one lease:
//!
//! ```text
//! /ferry/v1/services/                          PREFIX
//! ├── echo/                                    prefix_of("echo")
//! │   ├── 10.0.0.5:7070   {"address":"10.0.0.5:7070","weight":1,...}   lease A
//! │   └── 10.0.0.6:7070   {"address":"10.0.0.6:7070","weight":1,...}   lease B
//! └── files/
//!     └── 10.0.0.5:7070   {"address":"10.0.0.5:7070","weight":1,...}   lease A
//! ```
//!
//! A service's name holds no `/`; an address may (`unix:/run/echo.sock`), and [`parse_key`]
//! takes everything after the service's `/` as the address.
//!
//! # Leases
//!
//! A [`Registration`] grants a lease of its TTL in whole seconds (at least 1) and renews it
//! every third of the TTL, so two renewals may be lost before etcd lets it go. When the lease
//! is gone (etcd answers TTL 0, the renewals failed for longer than the TTL, or etcd came back
//! with fresh data) it grants a new one and puts every key again. A server that stops without
//! [`revoke`](Registration::revoke) leaves its keys until the TTL runs out.
//!
//! # When etcd goes away
//!
//! - A registration retries with backoff and full jitter, each wait at most a third of the
//!   TTL: an etcd restarted within the TTL finds the lease renewed in time, and the keys
//!   never left. It warns once per outage, not once per try.
//! - A resolve keeps the last set it had: the receiver never sees an empty set that came from
//!   an error. It lists again with backoff (each wait at most 1 s), publishes what the list
//!   found (empty included: that is etcd's word), then watches from the list's revision. It
//!   lists again after a compaction or a canceled watch too, so no change is missed.
//! - A first list that fails fails the resolve, and a first grant or put that fails fails
//!   [`Registration::start`]: there is nothing to keep yet.

mod backoff;
mod client;
mod layout;
mod registration;
mod registry;
mod set;

pub use layout::{key_of, parse_key, prefix_of, PREFIX};
pub use registration::Registration;
pub use registry::EtcdRegistry;
