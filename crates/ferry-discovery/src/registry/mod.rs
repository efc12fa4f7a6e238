//! Where a service's instances are listed: the [`Registry`] trait, and the static list that
//! needs no process to run. The etcd backend is in [`crate::etcd`].

mod static_list;

use futures_util::future::BoxFuture;
use tokio::sync::watch;

pub use static_list::StaticList;

use crate::{DiscoveryError, Instance, Instances};

/// A source of instances. Implement it to find servers elsewhere (Consul, DNS, a file); the
/// balanced client works over any implementation.
pub trait Registry: Send + Sync + std::fmt::Debug + 'static {
    /// Follows the instances of `service`. The receiver always holds the last set known and
    /// changes when the set does; a failure of the source after the first set keeps the last
    /// one (it never turns into an empty set). Fails when no first set can be had.
    fn resolve<'a>(
        &'a self,
        service: &'a str,
    ) -> BoxFuture<'a, Result<watch::Receiver<Instances>, DiscoveryError>>;

    /// The instances registered now, of `service` or of every service, sorted by service
    /// then address.
    fn list<'a>(
        &'a self,
        service: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Vec<Registered>, DiscoveryError>>;
}

/// A shared registry is one too, so one can back many balanced clients.
impl<R: Registry + ?Sized> Registry for std::sync::Arc<R> {
    fn resolve<'a>(
        &'a self,
        service: &'a str,
    ) -> BoxFuture<'a, Result<watch::Receiver<Instances>, DiscoveryError>> {
        (**self).resolve(service)
    }

    fn list<'a>(
        &'a self,
        service: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Vec<Registered>, DiscoveryError>> {
        (**self).list(service)
    }
}

/// One instance of one service, as [`Registry::list`] returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Registered {
    /// The service's name; empty for a static list, which does not know what its servers serve.
    pub service: String,
    /// The instance.
    pub instance: Instance,
}
