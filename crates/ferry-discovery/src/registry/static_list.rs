//! A fixed list of addresses: the registry when no etcd is named.

use futures_util::future::{self, BoxFuture};
use tokio::sync::watch;

use super::{Registered, Registry};
use crate::{DiscoveryError, Instance, Instances};

/// The same instances for every service, as given: `HOST:PORT,HOST:PORT`.
#[derive(Debug, Clone)]
pub struct StaticList {
    instances: Instances,
    /// Kept so that every receiver it hands out stays open (a static set never changes).
    sender: watch::Sender<Instances>,
}

impl StaticList {
    /// A list of these instances, sorted by address, duplicates dropped.
    pub fn new(instances: impl IntoIterator<Item = Instance>) -> StaticList {
        let mut instances: Vec<Instance> = instances.into_iter().collect();
        instances.sort_by(|a, b| a.address.cmp(&b.address));
        instances.dedup_by(|a, b| a.address == b.address);
        let instances = Instances::from(instances);
        let (sender, _) = watch::channel(instances.clone());
        StaticList { instances, sender }
    }

    /// A list of instances at these addresses, weight 1 each.
    pub fn of_addresses<S: Into<String>>(addresses: impl IntoIterator<Item = S>) -> StaticList {
        StaticList::new(addresses.into_iter().map(Instance::new))
    }
}

impl Registry for StaticList {
    fn resolve<'a>(
        &'a self,
        _service: &'a str,
    ) -> BoxFuture<'a, Result<watch::Receiver<Instances>, DiscoveryError>> {
        Box::pin(future::ready(Ok(self.sender.subscribe())))
    }

    fn list<'a>(
        &'a self,
        _service: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Vec<Registered>, DiscoveryError>> {
        let listed = self.instances.iter().map(|instance| Registered {
            service: String::new(),
            instance: instance.clone(),
        });
        Box::pin(future::ready(Ok(listed.collect())))
    }
}
