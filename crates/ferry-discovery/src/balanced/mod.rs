//! The balanced client: a [`ferry::Channel`] over the instances a [`Registry`] lists, choosing
//! one per call with a [`Balancer`], ejecting failing ones and re-sending where the
//! [idempotency rule](crate::resend) allows.
//!
//! ```text
//!  Client::call ─▶ Balanced ─▶ service set (resolved on first use, then watched)
//!                     │            └─ usable endpoints ─▶ Balancer::pick ─▶ Endpoint
//!                     │                                                      └─ its Client
//!                     └─ upkeep task, once a second: retry budget, probes of ejected ones
//! ```

mod attempts;
mod pool;
mod upkeep;

use std::sync::Arc;

use futures_util::future::BoxFuture;

use ferry::{
    client::{AttemptError, Channel, Chosen, RawCall},
    CallError, Client, ClientConfig, Reply,
};

use crate::{balance::Policy, endpoint::EndpointFigures, Balancer, Registry};
use pool::Pool;

/// How a balanced client chooses and connects.
#[derive(Debug, Clone)]
#[non_exhaustive]
#[must_use]
pub struct BalancedConfig {
    /// Which instance takes each call.
    pub balancer: Arc<dyn Balancer>,
    /// How each instance's client connects, and the default timeout of a call.
    pub client: ClientConfig,
}

impl Default for BalancedConfig {
    fn default() -> BalancedConfig {
        BalancedConfig {
            balancer: Policy::default().balancer(),
            client: ClientConfig::default(),
        }
    }
}

impl BalancedConfig {
    /// Chooses with one of the policies ferry ships.
    pub fn policy(self, policy: Policy) -> BalancedConfig {
        self.balancer(policy.balancer())
    }

    /// Chooses with a balancer of your own.
    pub fn balancer(mut self, balancer: Arc<dyn Balancer>) -> BalancedConfig {
        self.balancer = balancer;
        self
    }

    /// Sets how each instance's client connects.
    pub fn client(mut self, client: ClientConfig) -> BalancedConfig {
        self.client = client;
        self
    }
}

/// A client over every instance a registry lists for each service it calls. Clones share the
/// instances, their connections and their figures.
///
/// ```no_run
/// use ferry_discovery::{Balanced, BalancedConfig, StaticList};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let servers = StaticList::of_addresses(["127.0.0.1:7070", "127.0.0.1:7071"]);
/// let client = Balanced::new("127.0.0.1:7070,127.0.0.1:7071", servers, BalancedConfig::default())
///     .client();
/// let sum: i64 = client.call("calc.add", &[1, 2], &ferry::CallOptions::new()).await?;
/// # let _ = sum;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Balanced {
    pool: Arc<Pool>,
    name: String,
}

impl Balanced {
    /// A balanced client over `registry`'s instances; `name` is what its clients show as
    /// their address. Must be called inside a tokio runtime: it starts the upkeep task.
    pub fn new(
        name: impl Into<String>,
        registry: impl Registry,
        config: BalancedConfig,
    ) -> Balanced {
        let pool = Arc::new(Pool::new(Arc::new(registry), config));
        upkeep::start(&pool);
        Balanced {
            pool,
            name: name.into(),
        }
    }

    /// A `ferry::Client` whose calls go through this balanced client; generated client stubs
    /// take it as they take any other.
    pub fn client(&self) -> Client {
        let config = self.pool.config.client.clone();
        Client::over(self.name.as_str(), Arc::new(self.clone()), config)
    }

    /// What each instance known has done so far, sorted by address: the calls it answered,
    /// those in flight, whether it is ejected.
    pub fn figures(&self) -> Vec<EndpointFigures> {
        self.pool.figures()
    }

    /// Calls sent again to another instance after a failed attempt, so far: what the retry
    /// budget allowed.
    pub fn resent(&self) -> u64 {
        self.pool.resent()
    }
}

impl Channel for Balanced {
    fn choose(&self, call: &RawCall<'_>, tried: &[u64]) -> Result<Option<Chosen>, CallError> {
        attempts::choose(&self.pool, call, tried)
    }

    fn prepare<'a>(&'a self, call: &'a RawCall<'a>) -> BoxFuture<'a, Result<(), CallError>> {
        Box::pin(attempts::prepare(&self.pool, call))
    }

    fn settle(
        &self,
        call: &RawCall<'_>,
        chosen: &Chosen,
        outcome: &Result<Reply, AttemptError>,
        attempts: usize,
    ) -> bool {
        attempts::settle(&self.pool, call, chosen, outcome, attempts)
    }

    fn stream_client<'a>(&'a self, call: RawCall<'a>) -> BoxFuture<'a, Result<Client, CallError>> {
        Box::pin(attempts::stream_client(&self.pool, call))
    }
}
