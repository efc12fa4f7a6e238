//! Running one call through the router with the server's guards: the method lookup, the
//! deadline, and a panic turned into an `internal` answer. Every dialect dispatches through it.

use std::{
    any::Any,
    fmt::Display,
    panic::{self, AssertUnwindSafe},
    sync::Arc,
    task::{Context, Poll},
    time::Duration,
};

use futures_util::FutureExt;

use ferry_wire::Status;

use super::{stats::ServerStats, Shared};
use crate::{BoxFuture, Call, Codec, Reply, Router, ServerConfig};

/// A server's dispatch, as a dialect sees it. Cloning is cheap.
#[derive(Clone)]
pub struct Dispatcher {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dispatcher").finish_non_exhaustive()
    }
}

impl Dispatcher {
    pub(crate) fn new(shared: Arc<Shared>) -> Dispatcher {
        Dispatcher { shared }
    }

    /// The services and their descriptors.
    pub fn router(&self) -> &Router {
        &self.shared.router
    }

    /// The server's limits.
    pub fn config(&self) -> &ServerConfig {
        &self.shared.config
    }

    /// Runs `call` to its reply: `unknown_method` when no handler has its name, `deadline_exceeded`
    /// when its deadline passes first, `internal` when the handler panics.
    pub async fn dispatch(&self, call: Call) -> Reply {
        let codec = call.codec();
        let Some(handler) = self.shared.router.handler(call.method()) else {
            return Reply::error(codec, Status::UnknownMethod, &unknown_method(call.method()));
        };
        let method = call.method().to_owned();
        let deadline = call.deadline();
        ServerStats::count(&self.shared.stats.calls);
        let time_left = match deadline {
            None => None,
            Some(deadline) => match deadline.checked_duration_since(std::time::Instant::now()) {
                Some(left) if !left.is_zero() => Some(Deadline::after(left)),
                _ => {
                    let message = format!("{method} arrived with no time left");
                    return Reply::error(codec, Status::DeadlineExceeded, &message);
                }
            },
        };
        run_guarded(handler(call), &method, time_left, codec).await
    }

    /// Resolves once the server begins shutting down.
    pub async fn closing(&self) {
        self.shared.shutdown.cancelled().await;
    }

    /// Whether the server is shutting down.
    pub fn is_closing(&self) -> bool {
        self.shared.shutdown.is_cancelled()
    }

    /// Counts a connection closed because its peer broke the dialect's rules.
    pub fn count_protocol_error(&self) {
        ServerStats::count(&self.shared.stats.protocol_errors);
    }
}

/// The one-line message for a method no handler serves.
pub(crate) fn unknown_method(method: &str) -> String {
    format!("no method {method} on this server (`ferry list` shows what it offers)")
}

/// When a call must finish by, and the time it was given, for the message that says it did not.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Deadline {
    at: tokio::time::Instant,
    limit: Duration,
}

impl Deadline {
    /// `limit` from now.
    pub(crate) fn after(limit: Duration) -> Deadline {
        Deadline::at(std::time::Instant::now(), limit)
    }

    /// `limit` from `now`.
    pub(crate) fn at(now: std::time::Instant, limit: Duration) -> Deadline {
        Deadline {
            at: tokio::time::Instant::from_std(now) + limit,
            limit,
        }
    }

    fn exceeded(self, method: &str, codec: Codec) -> Reply {
        let message = format!(
            "{method} did not finish within its {:?} deadline",
            self.limit
        );
        Reply::error(codec, Status::DeadlineExceeded, &message)
    }
}

/// Awaits a handler, cut off at `deadline`, with a panic answered `internal`.
pub(crate) async fn run_guarded(
    handler: BoxFuture<Reply>,
    method: &str,
    deadline: Option<Deadline>,
    codec: Codec,
) -> Reply {
    let guarded = AssertUnwindSafe(handler).catch_unwind();
    let outcome = match deadline {
        None => guarded.await,
        Some(deadline) => match tokio::time::timeout_at(deadline.at, guarded).await {
            Ok(outcome) => outcome,
            Err(_) => return deadline.exceeded(method, codec),
        },
    };
    outcome.unwrap_or_else(|panic| panicked(&method, codec, &*panic))
}

/// Polls a handler once, with a panic answered `internal`. A handler that finishes in its first
/// poll (most do) is answered without a task of its own. `method` is only formatted for the
/// message of a panic: a `ByteStr` checks its UTF-8 each time it is turned into `&str`.
pub(crate) fn poll_guarded(
    handler: &mut BoxFuture<Reply>,
    method: &dyn Display,
    codec: Codec,
    cx: &mut Context<'_>,
) -> Poll<Reply> {
    match panic::catch_unwind(AssertUnwindSafe(|| handler.as_mut().poll(cx))) {
        Ok(poll) => poll,
        Err(panic) => Poll::Ready(panicked(method, codec, &*panic)),
    }
}

fn panicked(method: &dyn Display, codec: Codec, panic: &(dyn Any + Send)) -> Reply {
    let message = format!("the handler of {method} panicked: {}", panic_message(panic));
    Reply::error(codec, Status::Internal, &message)
}

fn panic_message(panic: &(dyn Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("a non-text panic payload")
}
