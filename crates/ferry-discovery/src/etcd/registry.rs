//! [`EtcdRegistry`]: a service's prefix listed, then followed by a watch.

use std::time::Duration;

use etcd_client::{Client, EventType, GetOptions, KeyValue, WatchOptions, WatchResponse};
use futures_util::future::BoxFuture;
use tokio::sync::watch;
use tracing::{debug, info, warn};

use super::{
    backoff::Backoff,
    client::Etcd,
    layout::{check_service, parse_key, prefix_of, PREFIX},
    set::{decode, InstanceSet},
};
use crate::{DiscoveryError, Instances, Registered, Registry};

/// The longest wait between two lists while etcd is down: a client finds a restarted etcd
/// within a second of its return.
const RELIST_CAP: Duration = Duration::from_secs(1);

/// Instances registered in etcd under [`PREFIX`](super::PREFIX) by a
/// [`Registration`](super::Registration) (or any tool writing the same layout).
///
/// [`resolve`](Registry::resolve) lists a service once, then follows it with a watch in a
/// task of its own, until every receiver is dropped. What the receiver holds while etcd is
/// away is the module docs' [part](super#when-etcd-goes-away).
#[derive(Debug, Clone)]
pub struct EtcdRegistry {
    etcd: Etcd,
}

impl EtcdRegistry {
    /// A registry on the etcd cluster at `endpoints` (`HOST:PORT` each). Nothing connects
    /// until a service is resolved or listed.
    pub fn new(endpoints: Vec<String>) -> EtcdRegistry {
        EtcdRegistry {
            etcd: Etcd::new(endpoints),
        }
    }

    async fn follow(&self, service: &str) -> Result<watch::Receiver<Instances>, DiscoveryError> {
        check_service(service)?;
        let prefix = prefix_of(service);
        let mut client = self.etcd.connect().await?;
        let (set, revision) = list_prefix(&self.etcd, &mut client, &prefix).await?;
        let (sender, receiver) = watch::channel(set.instances());
        let follower = Follower {
            etcd: self.etcd.clone(),
            client,
            prefix,
            sender,
            set,
            revision,
            backoff: Backoff::new(RELIST_CAP),
            outage: false,
        };
        tokio::spawn(follower.run());
        Ok(receiver)
    }

    async fn list_now(&self, service: Option<&str>) -> Result<Vec<Registered>, DiscoveryError> {
        let prefix = match service {
            Some(service) => {
                check_service(service)?;
                prefix_of(service)
            }
            None => PREFIX.to_owned(),
        };
        let mut client = self.etcd.connect().await?;
        let options = GetOptions::new().with_prefix();
        let listing = client.get(prefix.as_str(), Some(options));
        let response = self.etcd.call(format!("listing {prefix}"), listing).await?;
        let mut listed: Vec<Registered> = response.kvs().iter().filter_map(registered).collect();
        listed.sort_by(|a, b| {
            (&a.service, &a.instance.address).cmp(&(&b.service, &b.instance.address))
        });
        Ok(listed)
    }
}

impl Registry for EtcdRegistry {
    fn resolve<'a>(
        &'a self,
        service: &'a str,
    ) -> BoxFuture<'a, Result<watch::Receiver<Instances>, DiscoveryError>> {
        Box::pin(self.follow(service))
    }

    fn list<'a>(
        &'a self,
        service: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Vec<Registered>, DiscoveryError>> {
        Box::pin(self.list_now(service))
    }
}

/// The instance one key names, with its service; `None` for a key outside the layout or a
/// value that is not an instance.
fn registered(pair: &KeyValue) -> Option<Registered> {
    let Some((service, _)) = std::str::from_utf8(pair.key()).ok().and_then(parse_key) else {
        let key = String::from_utf8_lossy(pair.key());
        warn!(%key, "skipping a key outside the layout");
        return None;
    };
    Some(Registered {
        service: service.to_owned(),
        instance: decode(pair.key(), pair.value())?,
    })
}

/// The set under `prefix` now, and the revision it was read at.
async fn list_prefix(
    etcd: &Etcd,
    client: &mut Client,
    prefix: &str,
) -> Result<(InstanceSet, i64), DiscoveryError> {
    let listing = client.get(prefix, Some(GetOptions::new().with_prefix()));
    let response = etcd.call(format!("listing {prefix}"), listing).await?;
    let Some(header) = response.header() else {
        return Err(etcd.error(format_args!("listing {prefix}: no revision in the answer")));
    };
    let pairs = response.kvs().iter().map(|pair| (pair.key(), pair.value()));
    Ok((InstanceSet::listed(pairs), header.revision()))
}

/// Why a watch stopped; every reason leads to a new list.
#[derive(Debug)]
enum Stopped {
    /// etcd no longer holds the revisions the watch needed.
    Compacted(i64),
    /// etcd canceled the watch, saying why.
    Canceled(String),
    /// The stream ended or failed, or the watch could not be made: etcd is away.
    Lost(DiscoveryError),
}

/// The task following one service: it owns the sender every receiver of the resolve reads.
struct Follower {
    etcd: Etcd,
    client: Client,
    prefix: String,
    sender: watch::Sender<Instances>,
    set: InstanceSet,
    /// The revision the set was listed at; the watch starts just after it.
    revision: i64,
    backoff: Backoff,
    /// Whether etcd's loss was logged and its return is not yet.
    outage: bool,
}

impl Follower {
    async fn run(mut self) {
        let sender = self.sender.clone();
        tokio::select! {
            () = sender.closed() => debug!(prefix = %self.prefix, "no receiver left; unwatching"),
            () = self.follow() => {}
        }
    }

    async fn follow(&mut self) {
        loop {
            let stopped = self.watch().await;
            match stopped {
                Stopped::Compacted(revision) => {
                    info!(prefix = %self.prefix, revision, "watch compacted; listing again");
                }
                Stopped::Canceled(reason) => {
                    info!(prefix = %self.prefix, %reason, "watch canceled; listing again");
                }
                Stopped::Lost(error) => self.lost(&error),
            }
            self.relist().await;
        }
    }

    /// Watches from just after the listed revision, applying each event, until the watch
    /// stops.
    async fn watch(&mut self) -> Stopped {
        let options = WatchOptions::new()
            .with_prefix()
            .with_start_revision(self.revision + 1);
        let watching = self.client.watch(self.prefix.as_str(), Some(options));
        let what = format!("watching {}", self.prefix);
        // Dropping the watcher would close the stream's request half; it is kept so that only
        // etcd (or this task's end) ends the watch.
        let (_watcher, mut stream) = match self.etcd.call(what, watching).await {
            Ok(watch) => watch,
            Err(error) => return Stopped::Lost(error),
        };
        self.watching();
        loop {
            let response = match stream.message().await {
                Ok(Some(response)) => response,
                Ok(None) => return Stopped::Lost(self.etcd.error("the watch stream ended")),
                Err(error) => {
                    return Stopped::Lost(self.etcd.error(format_args!("watch: {error}")))
                }
            };
            if let Some(stopped) = stopped_by(&response) {
                return stopped;
            }
            self.apply(&response);
        }
    }

    /// Applies one response's events, publishing the set when they changed it.
    fn apply(&mut self, response: &WatchResponse) {
        let mut changed = false;
        for event in response.events() {
            let Some(pair) = event.kv() else { continue };
            changed |= match event.event_type() {
                EventType::Put => self.set.put(pair.key(), pair.value()),
                EventType::Delete => self.set.delete(pair.key()),
            };
        }
        if changed {
            self.sender.send_replace(self.set.instances());
        }
    }

    /// Lists until a list works, waiting between tries, and publishes what it found: a set
    /// from a list is etcd's word, even when empty, while a failed list leaves the last one.
    async fn relist(&mut self) {
        loop {
            tokio::time::sleep(self.backoff.next(fastrand::f64())).await;
            match list_prefix(&self.etcd, &mut self.client, &self.prefix).await {
                Ok((set, revision)) => {
                    self.set = set;
                    self.revision = revision;
                    let instances = self.set.instances();
                    self.sender.send_if_modified(|current| {
                        let changed = *current != instances;
                        *current = instances;
                        changed
                    });
                    return;
                }
                Err(error) => self.lost(&error),
            }
        }
    }

    /// Logs etcd's loss once per outage; the tries after the first are only debug.
    fn lost(&mut self, error: &DiscoveryError) {
        if self.outage {
            debug!(prefix = %self.prefix, %error, "etcd still away");
            return;
        }
        self.outage = true;
        let kept = self.sender.borrow().len();
        warn!(prefix = %self.prefix, %error, kept, "lost etcd; keeping the last instances");
    }

    /// The watch is made: the outage, if any, is over, and the next one starts its waits from
    /// the base.
    fn watching(&mut self) {
        self.backoff.reset();
        if std::mem::take(&mut self.outage) {
            info!(prefix = %self.prefix, revision = self.revision, "etcd back; watching again");
        }
    }
}

/// Whether `response` ends the watch. A compacted watch is canceled too; the compaction is
/// the better reason to give.
fn stopped_by(response: &WatchResponse) -> Option<Stopped> {
    if response.compact_revision() > 0 {
        return Some(Stopped::Compacted(response.compact_revision()));
    }
    if response.canceled() {
        return Some(Stopped::Canceled(response.cancel_reason().to_owned()));
    }
    None
}
