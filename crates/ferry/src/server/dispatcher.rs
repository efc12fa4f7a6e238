//! Running one call through the router with the server's guards: the method lookup, the
//! deadline, and a panic turned into an `internal` answer. Every dialect dispatches through it.

use std::{any::Any, panic::AssertUnwindSafe, sync::Arc, time::Duration};

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
                Some(left) if !left.is_zero() => Some(left),
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

/// Awaits a handler, cut off at `deadline`, with a panic answered `internal`.
pub(crate) async fn run_guarded(
    handler: BoxFuture<Reply>,
    method: &str,
    deadline: Option<Duration>,
    codec: Codec,
) -> Reply {
    let guarded = AssertUnwindSafe(handler).catch_unwind();
    let outcome = match deadline {
        None => guarded.await,
        Some(limit) => match tokio::time::timeout(limit, guarded).await {
            Ok(outcome) => outcome,
            Err(_) => {
                let message = format!("{method} did not finish within its {limit:?} deadline");
                return Reply::error(codec, Status::DeadlineExceeded, &message);
            }
        },
    };
    outcome.unwrap_or_else(|panic| {
        let message = format!(
            "the handler of {method} panicked: {}",
            panic_message(&*panic)
        );
        Reply::error(codec, Status::Internal, &message)
    })
}

fn panic_message(panic: &(dyn Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("a non-text panic payload")
}
