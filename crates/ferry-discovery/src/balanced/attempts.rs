//! One call through the balanced client, in the steps its `ferry::Client` takes: choose an
//! instance, then, once the attempt on it ended, record how it went and say whether to send
//! the call again elsewhere, where the rule, the attempts left, the deadline and the budget all
//! allow.

use std::sync::Arc;

use tokio::time::Instant;

use ferry::{
    client::{AttemptError, Chosen, RawCall, MAX_ATTEMPTS},
    CallError, Client, Reply, Status,
};

use super::pool::{Pool, ServiceSet};
use crate::{endpoint::hash_key, health::Failure, resend::may_resend, Endpoint};

/// The instance for the next attempt of `call`; `None` while its service is not resolved.
pub(super) fn choose(
    pool: &Pool,
    call: &RawCall<'_>,
    tried: &[u64],
) -> Result<Option<Chosen>, CallError> {
    let service = service_of(call.method)?;
    let key = call.hash_key.map(hash_key);
    let Some(chosen) = pool.with_known(service, |set| choose_in(set, key, tried, pool)) else {
        return Ok(None);
    };
    let (endpoint, client) = chosen?;
    endpoint.started();
    let chosen = Chosen::new(client, endpoint.hash(), endpoint);
    let timed = pool.config.balancer.measures_latency();
    Ok(Some(if timed { chosen.timed() } else { chosen }))
}

/// Resolves the service of `call`, so that [`choose`] finds its set.
pub(super) async fn prepare(pool: &Arc<Pool>, call: &RawCall<'_>) -> Result<(), CallError> {
    pool.service(service_of(call.method)?).await.map(drop)
}

/// Counts the attempt on `chosen` in its endpoint's health, and says whether to send the call
/// again. Its calls in flight and answered are counted when `chosen` is dropped, right after,
/// or without a settling when the caller dropped the call mid-attempt.
pub(super) fn settle(
    pool: &Pool,
    call: &RawCall<'_>,
    chosen: &Chosen,
    outcome: &Result<Reply, AttemptError>,
    attempts: usize,
) -> bool {
    let Some(endpoint) = chosen.server().as_any().downcast_ref::<Endpoint>() else {
        return false;
    };
    if outcome.is_err() {
        pool.count_unanswered();
    }
    // Only a good answer is a latency: one that fails fast would look like a fast server.
    let good = matches!(outcome, Ok(reply) if !is_trouble(reply.status));
    if let (Some(sent), true) = (chosen.sent(), good) {
        let now = Instant::now();
        endpoint.observe_latency(now - sent, now);
    }
    if let Some(fresh) = chosen.client().refreshed() {
        endpoint.keep_client(fresh);
        pool.rebuild();
    }
    record(pool, endpoint, outcome);
    if attempts >= MAX_ATTEMPTS || !may_resend(outcome, call.idempotent) {
        return false;
    }
    let now = Instant::now();
    let out_of_time = call.deadline.is_some_and(|deadline| deadline <= now);
    !out_of_time && pool.withdraw_retry(now)
}

/// The client of the instance that takes a streaming call, connected: an instance that
/// cannot be reached is ejected and another tried, as nothing of the call was sent yet.
pub(super) async fn stream_client(
    pool: &Arc<Pool>,
    call: RawCall<'_>,
) -> Result<Client, CallError> {
    let service = service_of(call.method)?;
    let set = match pool.known(service) {
        Some(set) => set,
        None => pool.service(service).await?,
    };
    let key = call.hash_key.map(hash_key);
    let mut tried = [0; MAX_ATTEMPTS];
    let mut attempts = 0;
    loop {
        let (endpoint, _) = choose_in(&set, key, &tried[..attempts], pool)?;
        tried[attempts] = endpoint.hash();
        attempts += 1;
        let err = match connect(&endpoint, call.deadline).await {
            Ok(client) => {
                if !endpoint.client().is_connected() {
                    endpoint.keep_client(client.clone());
                    pool.rebuild();
                }
                return Ok(client);
            }
            Err(err) => err,
        };
        // The caller's time running out says nothing of the instance, and leaves none for
        // another.
        if err.status() == Status::DeadlineExceeded {
            return Err(err);
        }
        failed(pool, &endpoint, Failure::Connection, &err);
        if attempts == MAX_ATTEMPTS {
            return Err(err);
        }
    }
}

/// The endpoint's client with its connection up, connecting within `deadline`.
async fn connect(endpoint: &Endpoint, deadline: Option<Instant>) -> Result<Client, CallError> {
    let client = endpoint.client();
    let Some(deadline) = deadline else {
        return client.connected().await;
    };
    let connecting = tokio::time::timeout_at(deadline, client.connected()).await;
    connecting.unwrap_or_else(|_| {
        let message = "the deadline passed while connecting";
        Err(CallError::new(Status::DeadlineExceeded, message))
    })
}

/// `calc` of `calc.add`.
fn service_of(method: &str) -> Result<&str, CallError> {
    match method.rsplit_once('.') {
        Some((service, _)) if !service.is_empty() => Ok(service),
        _ => Err(CallError::new(
            Status::UnknownMethod,
            format!("{method:?} names no service: a method is called as service.method"),
        )),
    }
}

/// The endpoint the balancer picks in `set`, or when it picked one already tried, the next
/// untried one after it; and the client to call it through.
fn choose_in(
    set: &ServiceSet,
    key: Option<u64>,
    tried: &[u64],
    pool: &Pool,
) -> Result<(Arc<Endpoint>, Arc<Client>), CallError> {
    let snapshot = set.usable();
    let usable = &snapshot.endpoints;
    if usable.is_empty() {
        let message = format!(
            "no instance of {} is known; is any server of it running and registered?",
            set.name()
        );
        return Err(CallError::new(Status::Unavailable, message));
    }
    // Modulo: an index out of range from a balancer of a user's own picks, not panics.
    let picked = pool.config.balancer.pick(usable, key) % usable.len();
    let untried = (0..usable.len())
        .map(|offset| (picked + offset) % usable.len())
        .find(|index| !tried.contains(&usable[*index].hash()));
    let index = untried.unwrap_or(picked);
    Ok((usable[index].clone(), snapshot.clients[index].clone()))
}

/// Counts the attempt's outcome in the endpoint's health: a failed connection, or the server
/// in trouble; what says nothing of the server (a call refused as too large, the method's own
/// error) counts as neither.
fn record(pool: &Pool, endpoint: &Endpoint, outcome: &Result<Reply, AttemptError>) {
    match outcome {
        Ok(reply) if is_trouble(reply.status) => {
            failed(pool, endpoint, Failure::Trouble, &reply.status)
        }
        Ok(_) => endpoint.succeeded(),
        Err(err) if err.is_connection_failure() => {
            failed(pool, endpoint, Failure::Connection, err.error())
        }
        Err(err) if is_trouble(err.error().status()) => {
            failed(pool, endpoint, Failure::Trouble, err.error())
        }
        Err(_) => {}
    }
}

/// Counts a failure, ejecting the endpoint when its health says so.
fn failed(pool: &Pool, endpoint: &Endpoint, kind: Failure, why: &dyn std::fmt::Display) {
    endpoint.mark_failing();
    let now = Instant::now();
    let Some(until) = endpoint.health().failure(kind, now) else {
        return;
    };
    let seconds = until.saturating_duration_since(now).as_secs();
    tracing::warn!(
        instance = endpoint.address(),
        "ferry: {} ejected for {seconds} s: {why}",
        endpoint.address()
    );
    pool.rebuild();
}

/// A status that says the instance is in trouble rather than the call wrong.
fn is_trouble(status: Status) -> bool {
    matches!(
        status,
        Status::Unavailable | Status::Overloaded | Status::Internal | Status::DeadlineExceeded
    )
}
