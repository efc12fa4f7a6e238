//! [`Registration`]: a server's keys under a lease, kept alive, put again when lost.

use std::{
    sync::{
        atomic::{AtomicI64, Ordering},
        Arc,
    },
    time::Duration,
};

use etcd_client::{Client, PutOptions, Txn, TxnOp};
use tokio::{
    task::JoinHandle,
    time::{Instant, MissedTickBehavior},
};
use tracing::{debug, info, warn};

use super::{
    backoff::Backoff,
    client::{Etcd, PATIENCE},
    layout::{check_service, key_of},
};
use crate::{DiscoveryError, Instance};

/// How long [`Registration::revoke`] waits for etcd: a server shutting down should not hang
/// on an etcd that is away, whose keys expire with the lease anyway.
const REVOKE_TIMEOUT: Duration = Duration::from_secs(2);

/// One server's keys in etcd, one per service it serves, under a lease that a task of its own
/// keeps alive. The module docs tell what it does when etcd goes
/// [away](super#when-etcd-goes-away).
///
/// [`revoke`](Registration::revoke) removes the keys at once; dropping it instead stops the
/// keepalive, and the keys expire with the lease.
pub struct Registration {
    etcd: Etcd,
    client: Client,
    keys: Arc<[String]>,
    lease: Arc<AtomicI64>,
    task: JoinHandle<()>,
}

impl std::fmt::Debug for Registration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registration")
            .field("etcd", &self.etcd)
            .field("keys", &self.keys)
            .field("lease", &self.lease_id())
            .finish_non_exhaustive()
    }
}

impl Registration {
    /// Registers `instance` for each of `services` on the etcd cluster at `endpoints`
    /// (`HOST:PORT` each): grants a lease of `ttl` (whole seconds, at least 1), puts the keys
    /// under it, and returns once they are put. Fails when a service name cannot be a key, or
    /// etcd does not answer within a few seconds; the caller decides whether to serve anyway.
    pub async fn start(
        endpoints: Vec<String>,
        services: Vec<String>,
        instance: Instance,
        ttl: Duration,
    ) -> Result<Registration, DiscoveryError> {
        for service in &services {
            check_service(service)?;
        }
        let mut keys: Vec<String> = services
            .iter()
            .map(|service| key_of(service, &instance.address))
            .collect();
        // One transaction puts every key, and etcd refuses one that puts a key twice.
        keys.sort();
        keys.dedup();
        let plan = Arc::new(Plan {
            ttl: Duration::from_secs(ttl.as_secs().max(1)),
            keys: keys.into(),
            value: serde_json::to_string(&instance).expect("an Instance is always JSON"),
        });
        let etcd = Etcd::new(endpoints);
        let mut client = etcd.connect().await?;
        let lease = Arc::new(AtomicI64::new(0));
        plan.register(&etcd, &mut client, &lease).await?;
        info!(lease = lease.load(Ordering::Relaxed), keys = ?plan.keys, "registered");
        let keeper = Keeper {
            etcd: etcd.clone(),
            client: client.clone(),
            plan: plan.clone(),
            lease: lease.clone(),
            backoff: Backoff::new(plan.ttl / 3),
            expires: Instant::now() + plan.ttl,
            outage: false,
        };
        Ok(Registration {
            etcd,
            client,
            keys: plan.keys.clone(),
            lease,
            task: tokio::spawn(keeper.run()),
        })
    }

    /// The lease the keys are under now; a new one after a lost lease was granted again.
    pub fn lease_id(&self) -> i64 {
        self.lease.load(Ordering::Relaxed)
    }

    /// The keys registered, one per service, sorted.
    pub fn keys(&self) -> &[String] {
        &self.keys
    }

    /// Stops the keepalive and revokes the lease, which deletes the keys at once. Waits up to
    /// 2 s for etcd; on failure it logs a warning, and the keys expire with the lease.
    pub async fn revoke(mut self) {
        self.task.abort();
        // Waiting for the task to be gone makes the lease read next the last one it granted.
        let _ = (&mut self.task).await;
        let lease = self.lease_id();
        let revoking = self.client.lease_revoke(lease);
        match tokio::time::timeout(REVOKE_TIMEOUT, revoking).await {
            Ok(Ok(_)) => info!(lease, keys = ?self.keys, "revoked"),
            Ok(Err(error)) => {
                warn!(lease, %error, "revoking failed; the keys expire with the lease")
            }
            Err(_) => warn!(
                lease,
                "etcd did not answer the revoke; the keys expire with the lease"
            ),
        }
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// What a registration puts, whichever lease it is under.
#[derive(Debug)]
struct Plan {
    ttl: Duration,
    keys: Arc<[String]>,
    /// The instance's JSON, the value of every key.
    value: String,
}

impl Plan {
    /// Grants a lease and puts every key under it, in one transaction so that no reader sees
    /// some keys of a server and not the others. The lease is stored as soon as it is granted,
    /// so that a revoke in between finds it.
    async fn register(
        &self,
        etcd: &Etcd,
        client: &mut Client,
        lease: &AtomicI64,
    ) -> Result<(), DiscoveryError> {
        let ttl = i64::try_from(self.ttl.as_secs()).unwrap_or(i64::MAX);
        let granting = client.lease_grant(ttl, None);
        let id = etcd.call("granting a lease", granting).await?.id();
        lease.store(id, Ordering::Relaxed);
        let puts: Vec<TxnOp> = self
            .keys
            .iter()
            .map(|key| {
                let under_lease = PutOptions::new().with_lease(id);
                TxnOp::put(key.as_str(), self.value.as_str(), Some(under_lease))
            })
            .collect();
        let putting = client.txn(Txn::new().and_then(puts));
        etcd.call("putting the keys", putting).await?;
        Ok(())
    }
}

/// Why a lease stopped being kept alive.
#[derive(Debug)]
enum Lost {
    /// etcd said the lease is gone: it expired, was revoked, or etcd lost its data.
    Lease,
    /// etcd could not be reached, or stopped answering.
    Etcd(DiscoveryError),
}

/// The task keeping a registration's lease alive.
struct Keeper {
    etcd: Etcd,
    client: Client,
    plan: Arc<Plan>,
    lease: Arc<AtomicI64>,
    backoff: Backoff,
    /// When etcd lets the lease go, as far as this side knows: the last renewal plus the TTL.
    expires: Instant,
    /// Whether etcd's loss was logged and its return is not yet.
    outage: bool,
}

impl Keeper {
    async fn run(mut self) {
        loop {
            match self.keep_alive().await {
                Lost::Lease => {
                    warn!(lease = self.lease_id(), "lost the lease; registering again");
                    self.register_again().await;
                }
                Lost::Etcd(error) => {
                    self.lost(&error);
                    self.pause().await;
                    // Past its TTL the lease is gone unless etcd was away all along and kept
                    // it; a new one is sure either way.
                    if Instant::now() >= self.expires {
                        self.register_again().await;
                    }
                }
            }
        }
    }

    /// Renews the lease every third of its TTL, until etcd says it is gone or stops
    /// answering.
    async fn keep_alive(&mut self) -> Lost {
        let lease = self.lease_id();
        let every = self.plan.ttl / 3;
        let opening = tokio::time::timeout(PATIENCE, self.client.lease_keep_alive(lease)).await;
        let (mut keeper, mut answers) = match opening {
            Ok(Ok(stream)) => stream,
            // etcd-client's word for a first answer with TTL 0.
            Ok(Err(etcd_client::Error::LeaseKeepAliveError(_))) => return Lost::Lease,
            Ok(Err(error)) => return self.unreachable(format_args!("keepalive: {error}")),
            Err(_) => {
                return self.unreachable(format_args!("keepalive: no answer in {PATIENCE:?}"))
            }
        };
        self.renewed();
        let mut ticks = tokio::time::interval_at(Instant::now() + every, every);
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            if let Err(error) = keeper.keep_alive().await {
                return self.unreachable(format_args!("keepalive: {error}"));
            }
            // An answer is due before the next renewal; a late one means a connection that
            // only looks alive, so a fresh stream is opened while the lease still stands.
            match tokio::time::timeout(every, answers.message()).await {
                Ok(Ok(Some(answer))) if answer.ttl() > 0 => self.renewed(),
                Ok(Ok(Some(_))) => return Lost::Lease,
                Ok(Ok(None)) => return self.unreachable("the keepalive stream ended"),
                Ok(Err(error)) => return self.unreachable(format_args!("keepalive: {error}")),
                Err(_) => {
                    return self.unreachable(format_args!("no keepalive answer in {every:?}"))
                }
            }
        }
    }

    /// Grants a new lease and puts the keys again, until it works.
    async fn register_again(&mut self) {
        loop {
            match self
                .plan
                .register(&self.etcd, &mut self.client, &self.lease)
                .await
            {
                Ok(()) => {
                    info!(lease = self.lease_id(), keys = ?self.plan.keys, "registered");
                    self.renewed();
                    return;
                }
                Err(error) => {
                    self.lost(&error);
                    self.pause().await;
                }
            }
        }
    }

    /// etcd answered for the lease: it stands for another TTL, and any outage is over.
    fn renewed(&mut self) {
        self.expires = Instant::now() + self.plan.ttl;
        self.backoff.reset();
        if std::mem::take(&mut self.outage) {
            info!(
                lease = self.lease_id(),
                "etcd back; the lease is kept alive again"
            );
        }
    }

    fn unreachable(&self, message: impl std::fmt::Display) -> Lost {
        Lost::Etcd(self.etcd.error(message))
    }

    /// Logs etcd's loss once per outage; the tries after the first are only debug.
    fn lost(&mut self, error: &DiscoveryError) {
        if std::mem::replace(&mut self.outage, true) {
            debug!(lease = self.lease_id(), %error, "etcd still away");
        } else {
            warn!(lease = self.lease_id(), %error, "lost etcd; retrying the lease");
        }
    }

    /// Waits before the next try. The waits are capped at a third of the TTL, so that an etcd
    /// back within the TTL finds a renewal before the lease runs out.
    async fn pause(&mut self) {
        tokio::time::sleep(self.backoff.next(fastrand::f64())).await;
    }

    fn lease_id(&self) -> i64 {
        self.lease.load(Ordering::Relaxed)
    }
}
