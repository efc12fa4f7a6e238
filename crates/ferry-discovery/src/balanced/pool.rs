//! The instances a balanced client knows: one endpoint per address, shared by every service
//! served there, and per service the set the registry lists and the part of it usable now.

use std::{
    collections::BTreeMap,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex, OnceLock, Weak,
    },
};

use arc_swap::ArcSwap;
use tokio::{sync::watch, time::Instant};
use tokio_util::sync::CancellationToken;

use ferry::{CallError, Client, Status};

use super::BalancedConfig;
use crate::{
    budget::RetryBudget,
    endpoint::{lock, EndpointFigures},
    Endpoint, Instances, Registry,
};

/// The most services one balanced client calls.
const MAX_SERVICES: usize = 64;

/// Everything a balanced client shares between its clones and its upkeep task.
#[derive(Debug)]
pub(super) struct Pool {
    registry: Arc<dyn Registry>,
    pub(super) config: BalancedConfig,
    /// The services called so far, each in the first free slot for good: a call finds its
    /// own with plain loads, no lock and no reference count.
    /// without a lock.
    services: [OnceLock<Arc<ServiceSet>>; MAX_SERVICES],
    resolving: tokio::sync::Mutex<()>,
    endpoints: Mutex<BTreeMap<String, Arc<Endpoint>>>,
    budget: Mutex<RetryBudget>,
    /// Attempts made again after a failed one, the budget's withdrawals.
    resent: AtomicU64,
    /// Attempts that got no answer: with the answered ones, every attempt made.
    unanswered: AtomicU64,
    /// Cancelled when the pool goes, so the tasks following the registry end with it rather
    /// than at the registry's next change.
    gone: CancellationToken,
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.gone.cancel();
    }
}

/// One service's instances.
#[derive(Debug)]
pub(super) struct ServiceSet {
    service: String,
    /// Every instance the registry lists, sorted by address.
    all: Mutex<Vec<Arc<Endpoint>>>,
    /// The ones that take calls now: those not ejected, or all of them when more than half
    /// are ejected.
    usable: ArcSwap<Usable>,
}

/// The endpoints that take calls now, and beside each the client its calls go through, taken
/// when the set was last rebuilt: a call takes both from the one snapshot it loads.
#[derive(Debug, Default)]
pub(super) struct Usable {
    pub(super) endpoints: Vec<Arc<Endpoint>>,
    pub(super) clients: Vec<Arc<Client>>,
}

impl ServiceSet {
    /// The endpoints that take calls now.
    pub(super) fn usable(&self) -> arc_swap::Guard<Arc<Usable>> {
        self.usable.load()
    }

    pub(super) fn name(&self) -> &str {
        &self.service
    }

    fn rebuild(&self) {
        let all = lock(&self.all);
        let healthy: Vec<Arc<Endpoint>> = all
            .iter()
            .filter(|endpoint| endpoint.health().usable())
            .cloned()
            .collect();
        let ejected = all.len() - healthy.len();
        let endpoints = if ejected * 2 > all.len() {
            all.clone()
        } else {
            healthy
        };
        let clients = endpoints.iter().map(|endpoint| endpoint.client()).collect();
        self.usable.store(Arc::new(Usable { endpoints, clients }));
    }
}

impl Pool {
    pub(super) fn new(registry: Arc<dyn Registry>, config: BalancedConfig) -> Pool {
        Pool {
            registry,
            config,
            services: std::array::from_fn(|_| OnceLock::new()),
            resolving: tokio::sync::Mutex::new(()),
            endpoints: Mutex::new(BTreeMap::new()),
            budget: Mutex::new(RetryBudget::new()),
            resent: AtomicU64::new(0),
            unanswered: AtomicU64::new(0),
            gone: CancellationToken::new(),
        }
    }

    /// The set of `service`, resolving it in the registry on its first call.
    pub(super) async fn service(
        self: &Arc<Self>,
        service: &str,
    ) -> Result<Arc<ServiceSet>, CallError> {
        if let Some(set) = self.known(service) {
            return Ok(set);
        }
        let _one_at_a_time = self.resolving.lock().await;
        if let Some(set) = self.known(service) {
            return Ok(set);
        }
        let receiver = self.registry.resolve(service).await.map_err(|err| {
            CallError::new(Status::Unavailable, format!("cannot find {service}: {err}"))
        })?;
        let set = Arc::new(ServiceSet {
            service: service.to_owned(),
            all: Mutex::new(Vec::new()),
            usable: ArcSwap::default(),
        });
        self.apply(&set, &receiver.borrow().clone());
        let free = self.services.iter().find(|slot| slot.get().is_none());
        let Some(free) = free else {
            let message = format!(
                "{service} is one service more than the {MAX_SERVICES} one balanced client calls; \
                 use another client for it"
            );
            return Err(CallError::new(Status::InvalidArgs, message));
        };
        let _ = free.set(set.clone());
        let gone = self.gone.clone();
        tokio::spawn(gone.run_until_cancelled_owned(follow(
            Arc::downgrade(self),
            set.clone(),
            receiver,
        )));
        Ok(set)
    }

    /// The set of `service` when it was resolved already.
    pub(super) fn known(&self, service: &str) -> Option<Arc<ServiceSet>> {
        self.with_known(service, |set| set.clone())
    }

    /// `look` at the set of `service`, when it was resolved already, in place.
    pub(super) fn with_known<R>(
        &self,
        service: &str,
        look: impl FnOnce(&Arc<ServiceSet>) -> R,
    ) -> Option<R> {
        let found = self.known_sets().find(|set| set.service == service);
        found.map(look)
    }

    /// Makes `set` hold `instances`: endpoints of addresses already known are kept (with their
    /// connections and figures), new ones made, and ones no service lists any more let go of
    /// their connections but stay known, so their figures still count what they answered.
    fn apply(&self, set: &ServiceSet, instances: &Instances) {
        let now = Instant::now();
        let mut endpoints = lock(&self.endpoints);
        let listed: Vec<Arc<Endpoint>> = instances
            .iter()
            .map(|instance| {
                let endpoint = endpoints
                    .entry(instance.address.clone())
                    .or_insert_with(|| {
                        let client =
                            Client::lazy(instance.address.as_str(), self.config.client.clone());
                        Arc::new(Endpoint::new(instance.clone(), client, now))
                    });
                endpoint.clone()
            })
            .collect();
        *lock(&set.all) = listed;
        set.rebuild();
        let sets = || std::iter::once(set).chain(self.known_sets().map(|other| &**other));
        for (address, endpoint) in endpoints.iter() {
            let listed =
                sets().any(|service| lock(&service.all).iter().any(|e| e.address() == address));
            endpoint.set_listed(listed);
            if !listed && endpoint.client().is_connected() {
                endpoint.keep_client(Client::lazy(address.as_str(), self.config.client.clone()));
            }
        }
    }

    /// The sets of the services resolved so far.
    fn known_sets(&self) -> impl Iterator<Item = &Arc<ServiceSet>> {
        self.services.iter().map_while(OnceLock::get)
    }

    /// Recomputes every service's usable endpoints, after an ejection, a passed probe, or an
    /// endpoint's client replaced.
    pub(super) fn rebuild(&self) {
        for set in self.known_sets() {
            set.rebuild();
        }
    }

    /// Every endpoint known, sorted by address.
    pub(super) fn endpoints(&self) -> Vec<Arc<Endpoint>> {
        lock(&self.endpoints).values().cloned().collect()
    }

    /// Each endpoint's figures now, by address.
    pub(super) fn figures(&self) -> Vec<EndpointFigures> {
        let endpoints = lock(&self.endpoints);
        endpoints
            .values()
            .map(|endpoint| endpoint.figures())
            .collect()
    }

    /// Samples the calls made so far for the retry budget.
    pub(super) fn budget_tick(&self, now: Instant, calls: u64) {
        lock(&self.budget).tick(now, calls);
    }

    /// Whether the retry budget has room for one more re-send, taking it if so.
    pub(super) fn withdraw_retry(&self, now: Instant) -> bool {
        let calls = self.calls();
        let allowed = lock(&self.budget).try_withdraw(now, calls);
        if allowed {
            self.resent.fetch_add(1, Ordering::Relaxed);
        } else {
            tracing::warn!("ferry: retry budget spent; a failed call is not sent again");
        }
        allowed
    }

    /// Calls sent again after a failed attempt, so far.
    pub(super) fn resent(&self) -> u64 {
        self.resent.load(Ordering::Relaxed)
    }

    /// An attempt got no answer (the answered ones each endpoint counts).
    pub(super) fn count_unanswered(&self) {
        self.unanswered.fetch_add(1, Ordering::Relaxed);
    }

    /// Calls made so far, each counted once however often it was sent: what the retry budget
    /// is a share of. Attempts are those answered and those not; the re-sends among them are
    /// known. Counted so, a call costs no shared counter of its own, and re-sends earn no
    /// re-sends.
    pub(super) fn calls(&self) -> u64 {
        let answered: u64 = lock(&self.endpoints).values().map(|e| e.answered()).sum();
        let attempts = answered + self.unanswered.load(Ordering::Relaxed);
        attempts.saturating_sub(self.resent())
    }
}

/// Applies every change of the registry's set while the pool lives.
async fn follow(pool: Weak<Pool>, set: Arc<ServiceSet>, mut receiver: watch::Receiver<Instances>) {
    while receiver.changed().await.is_ok() {
        let Some(pool) = pool.upgrade() else {
            return;
        };
        let instances = receiver.borrow_and_update().clone();
        if instances.is_empty() && !lock(&set.all).is_empty() {
            tracing::warn!(
                service = set.name(),
                "ferry: the registry lists no instance of {}; calls go on to the last ones \
                 known until it lists some again",
                set.name()
            );
            continue;
        }
        tracing::info!(
            service = set.name(),
            instances = instances.len(),
            "ferry: the set of instances changed"
        );
        pool.apply(&set, &instances);
    }
}
