//! One call through the balanced client: choose an instance, make the attempt, record how it
//! went, and send it again elsewhere where the rule, the attempts left, the deadline and the
//! budget all allow.

use std::sync::Arc;

use tokio::time::Instant;

use ferry::{
    client::{AttemptError, RawCall},
    CallError, Client, Reply, Status,
};

use super::pool::{Pool, ServiceSet};
use crate::{
    endpoint::hash_key,
    health::Failure,
    resend::{may_resend, MAX_ATTEMPTS},
    Endpoint,
};

/// Makes `call` on an instance of its service, re-sending as the rule allows.
pub(super) async fn call(pool: &Arc<Pool>, call: RawCall<'_>) -> Result<Reply, CallError> {
    let mut tries = Tries::of(pool, &call).await?;
    loop {
        let endpoint = tries.next()?;
        let outcome = run(pool, &endpoint, &call).await;
        record(pool, &endpoint, &outcome);
        if tries.spent() || !may_resend(&outcome, call.idempotent) {
            return outcome.map_err(AttemptError::into_error);
        }
        let now = Instant::now();
        let out_of_time = call.deadline.is_some_and(|deadline| deadline <= now);
        if out_of_time || !pool.withdraw_retry(now) {
            return outcome.map_err(AttemptError::into_error);
        }
    }
}

/// The client of the instance that takes a streaming call, connected: an instance that
/// cannot be reached is ejected and another tried, as nothing of the call was sent yet.
pub(super) async fn stream_client(
    pool: &Arc<Pool>,
    call: RawCall<'_>,
) -> Result<Client, CallError> {
    let mut tries = Tries::of(pool, &call).await?;
    loop {
        let endpoint = tries.next()?;
        match connect(&endpoint, call.deadline).await {
            Ok(client) => {
                endpoint.keep_client(client.clone());
                return Ok(client);
            }
            Err(err) => {
                failed(pool, &endpoint, Failure::Refused, &err);
                if tries.spent() {
                    return Err(err);
                }
            }
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

/// The attempts of one call: which instances it tried, so each re-send goes to another.
struct Tries<'a> {
    pool: &'a Pool,
    service: &'a str,
    key: Option<u64>,
    tried: [u64; MAX_ATTEMPTS],
    made: usize,
}

impl<'a> Tries<'a> {
    /// The attempts of `call`, its service resolved first when it is new.
    async fn of(pool: &'a Arc<Pool>, call: &RawCall<'a>) -> Result<Tries<'a>, CallError> {
        let service = service_of(call.method)?;
        if pool.with_known(service, |_| ()).is_none() {
            pool.service(service).await?;
        }
        Ok(Tries {
            pool,
            service,
            key: call.hash_key.map(hash_key),
            tried: [0; MAX_ATTEMPTS],
            made: 0,
        })
    }

    /// The endpoint of the next attempt. The set is looked at in place, not held: a call
    /// holds only the endpoint it was given.
    fn next(&mut self) -> Result<Arc<Endpoint>, CallError> {
        let tried = &self.tried[..self.made];
        let chosen = self
            .pool
            .with_known(self.service, |set| choose(set, self.key, tried, self.pool));
        let endpoint = chosen.unwrap_or_else(|| {
            let message = format!("{} was resolved and then forgotten", self.service);
            Err(CallError::new(Status::Internal, message))
        })?;
        self.tried[self.made] = endpoint.hash();
        self.made += 1;
        Ok(endpoint)
    }

    /// Whether every attempt allowed was made.
    fn spent(&self) -> bool {
        self.made == MAX_ATTEMPTS
    }
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

/// The endpoint for the next attempt: the balancer's pick, or when it picked one already
/// tried, the next untried one after it.
fn choose(
    set: &ServiceSet,
    key: Option<u64>,
    tried: &[u64],
    pool: &Pool,
) -> Result<Arc<Endpoint>, CallError> {
    let usable = set.usable();
    if usable.is_empty() {
        let message = format!(
            "no instance of {} is known; is any server of it running and registered?",
            set.name()
        );
        return Err(CallError::new(Status::Unavailable, message));
    }
    let picked = pool.config.balancer.pick(&usable, key);
    let untried = (0..usable.len())
        .map(|offset| (picked + offset) % usable.len())
        .find(|index| !tried.contains(&usable[*index].hash()));
    Ok(usable[untried.unwrap_or(picked)].clone())
}

/// One attempt on `endpoint`, counted in its figures.
async fn run(pool: &Pool, endpoint: &Endpoint, call: &RawCall<'_>) -> Result<Reply, AttemptError> {
    let client = endpoint.client();
    endpoint.started();
    let outcome = if pool.config.balancer.measures_latency() {
        let sent = Instant::now();
        let outcome = client.attempt(call).await;
        let now = Instant::now();
        endpoint.observe_latency(now - sent, now);
        outcome
    } else {
        client.attempt(call).await
    };
    endpoint.ended(outcome.is_ok());
    if outcome.is_err() {
        pool.unanswered();
    }
    if let Some(fresh) = client.refreshed() {
        endpoint.keep_client(fresh);
    }
    outcome
}

/// Counts the attempt's outcome in the endpoint's health.
fn record(pool: &Pool, endpoint: &Endpoint, outcome: &Result<Reply, AttemptError>) {
    match outcome {
        Ok(reply) if is_failure(reply.status) => {
            failed(pool, endpoint, Failure::Failed, &reply.status)
        }
        Ok(_) => endpoint.succeeded(),
        Err(err) => failed(pool, endpoint, kind_of(err), err.error()),
    }
}

/// A failure of the connection ejects at once; any other counts toward the five in a row
/// that do.
fn kind_of(err: &AttemptError) -> Failure {
    if err.is_connection_failure() {
        Failure::Refused
    } else {
        Failure::Failed
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

/// An answer that says the instance is in trouble rather than the call wrong.
fn is_failure(status: Status) -> bool {
    matches!(
        status,
        Status::Unavailable | Status::Overloaded | Status::Internal
    )
}
