//! What a caller names to reach a service: one server, a static list, or etcd.

use std::sync::Arc;

use ferry::{Address, Client};

use crate::{etcd::EtcdRegistry, Balanced, BalancedConfig, DiscoveryError, Registry, StaticList};

/// A parsed address: `HOST:PORT` or `unix:PATH` (one server), `HOST:PORT,HOST:PORT,...` (a
/// static list) or `etcd://HOST:PORT[,HOST:PORT...]` (the servers registered in etcd).
///
/// ```
/// use ferry_discovery::Target;
///
/// assert!(matches!(Target::parse("127.0.0.1:7070"), Ok(Target::One(_))));
/// assert!(matches!(Target::parse("10.0.0.1:7070,10.0.0.2:7070"), Ok(Target::Many { .. })));
/// assert!(matches!(Target::parse("etcd://127.0.0.1:2379"), Ok(Target::Etcd { .. })));
/// assert!(Target::parse("etcd://").is_err());
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Target {
    /// One server, called directly.
    One(Address),
    /// A static list, balanced over.
    Many {
        /// The address as written.
        name: String,
        /// Its instances.
        list: StaticList,
    },
    /// The servers registered in etcd, balanced over.
    Etcd {
        /// The address as written.
        name: String,
        /// The etcd endpoints, `HOST:PORT` each.
        endpoints: Vec<String>,
        /// The registry at those endpoints.
        registry: EtcdRegistry,
    },
}

/// The scheme of an etcd address.
pub const ETCD_SCHEME: &str = "etcd://";

impl Target {
    /// Parses `text`.
    pub fn parse(text: &str) -> Result<Target, DiscoveryError> {
        if let Some(endpoints) = text.strip_prefix(ETCD_SCHEME) {
            let endpoints = split_list(text, endpoints)?;
            return Ok(Target::Etcd {
                name: text.to_owned(),
                registry: EtcdRegistry::new(endpoints.clone()),
                endpoints,
            });
        }
        if !text.contains(',') {
            return Ok(Target::One(Address::from(text)));
        }
        let list = StaticList::of_addresses(split_list(text, text)?);
        Ok(Target::Many {
            name: text.to_owned(),
            list,
        })
    }

    /// Whether it names more than one server (a list or etcd).
    pub fn is_many(&self) -> bool {
        !matches!(self, Target::One(_))
    }

    /// Where the target's servers are listed (for one server, a list of it alone).
    pub fn registry(&self) -> Arc<dyn Registry> {
        match self {
            Target::One(address) => Arc::new(StaticList::of_addresses([address.to_string()])),
            Target::Many { list, .. } => Arc::new(list.clone()),
            Target::Etcd { registry, .. } => Arc::new(registry.clone()),
        }
    }

    /// A client of the target: direct to one server (connecting on its first call), or
    /// balanced over many.
    pub fn client(&self, config: BalancedConfig) -> Client {
        match self {
            Target::One(address) => Client::lazy(address.clone(), config.client),
            Target::Many { name, .. } | Target::Etcd { name, .. } => {
                Balanced::new(name.as_str(), self.registry(), config).client()
            }
        }
    }
}

/// The non-empty, comma-separated parts of `list`, the address `text` was given as.
fn split_list(text: &str, list: &str) -> Result<Vec<String>, DiscoveryError> {
    let parts: Vec<String> = list.split(',').map(str::trim).map(str::to_owned).collect();
    if parts.iter().any(String::is_empty) {
        return Err(DiscoveryError::BadAddress(format!(
            "{text:?}: an empty address in the list; write HOST:PORT,HOST:PORT or \
             etcd://HOST:PORT[,HOST:PORT]"
        )));
    }
    Ok(parts)
}
