//! What a balanced client does once a second: sample the calls for the retry budget, and
//! probe the instances whose ejection ended and that a registry still lists.

use std::{sync::Weak, time::Duration};

use tokio::time::{Instant, MissedTickBehavior};

use ferry::Client;

use super::pool::Pool;
use crate::Endpoint;

/// How long a probe may take to connect.
const PROBE_TIMEOUT: Duration = Duration::from_secs(1);

/// Starts the task; it ends once the pool is gone.
pub(super) fn start(pool: &std::sync::Arc<Pool>) {
    let pool = std::sync::Arc::downgrade(pool);
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(Duration::from_secs(1));
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            if !tick(&pool).await {
                return;
            }
        }
    });
}

/// One turn; false once the pool is gone.
async fn tick(pool: &Weak<Pool>) -> bool {
    let Some(pool) = pool.upgrade() else {
        return false;
    };
    let now = Instant::now();
    let calls = pool.calls();
    pool.budget_tick(now, calls);
    let due = pool
        .endpoints()
        .into_iter()
        .filter(|endpoint| endpoint.is_listed() && endpoint.health().probe_due(now));
    let mut changed = false;
    for endpoint in due.collect::<Vec<_>>() {
        changed |= probe(&pool, &endpoint).await;
    }
    if changed {
        pool.rebuild();
    }
    true
}

/// Connects to an instance whose ejection ended: a ferry preface answered lets it take calls
/// again; true if it did.
async fn probe(pool: &Pool, endpoint: &Endpoint) -> bool {
    let connecting = Client::connect_with(endpoint.address(), pool.config.client.clone());
    let connected = tokio::time::timeout(PROBE_TIMEOUT, connecting).await;
    let connected = connected.unwrap_or_else(|_| {
        let message = format!("no ferry preface within {PROBE_TIMEOUT:?}");
        Err(ferry::CallError::new(ferry::Status::Unavailable, message))
    });
    match connected {
        Ok(client) => {
            endpoint.keep_client(client);
            endpoint.health().probe_passed();
            tracing::info!(
                instance = endpoint.address(),
                "ferry: {} is back",
                endpoint.address()
            );
            true
        }
        Err(err) => {
            let until = endpoint.health().probe_failed(Instant::now());
            let seconds = until.saturating_duration_since(Instant::now()).as_secs();
            tracing::warn!(
                instance = endpoint.address(),
                "ferry: probe of {} failed, ejected for {seconds} s: {err}",
                endpoint.address()
            );
            false
        }
    }
}
