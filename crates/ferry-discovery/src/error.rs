//! What can go wrong finding servers.

/// Why a registry could not answer or a registration could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DiscoveryError {
    /// An address that is neither `HOST:PORT`, `unix:PATH`, a comma-separated list of them,
    /// nor `etcd://HOST:PORT[,HOST:PORT...]`.
    #[error("{0}")]
    BadAddress(String),
    /// etcd could not be reached or refused a request.
    #[error("etcd at {endpoints}: {message}")]
    Etcd {
        /// The endpoints tried, comma-separated.
        endpoints: String,
        /// What failed, in one line.
        message: String,
    },
    /// A service name etcd's key layout cannot hold: empty, or with a `/`, which would read
    /// back as part of the address.
    #[error("bad service name {0:?}: it must be non-empty and hold no '/'")]
    BadService(String),
    /// The service has no instance registered.
    #[error("no instance of {service} is registered{where_}")]
    NoInstances {
        /// The service asked for.
        service: String,
        /// Where it was looked for, with a leading space (" in etcd at ...").
        where_: String,
    },
}
