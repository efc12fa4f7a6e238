//! Running one call through the router with the server's guards: the metadata bounds, the
//! layers, the method lookup, the deadline, and a panic turned into an `internal` answer.
//! Every dialect dispatches through [`begin`]; the native one polls the handler itself.
//!
//! ```text
//!  call ─▶ metadata bounds ─▶ layers' before ─▶ lookup ─▶ deadline ─▶ handler ─▶ layers' after
//!               │ too_large        │ refused      │ unknown_method  │ no time left
//!               ▼                  ▼              ▼                 ▼
//!             reply       reply (+ after)   reply (+ after)   reply (+ after)
//! ```

use std::{
    any::Any,
    fmt::{self, Display},
    panic::{self, AssertUnwindSafe},
    sync::Arc,
    task::{Context, Poll},
    time::Duration,
};

use futures_util::FutureExt;
use tokio::time::Instant;

use ferry_wire::Status;

use super::{
    stats::{Limit, ServerStats},
    Shared,
};
use crate::{
    layer::{Layers, Subject, Watch},
    metrics::{counted::Counted, recent::Answered, Telemetry},
    router::Route,
    trace::{self, Span, TraceId},
    Call, Codec, Dialect, Reply, ReplyFuture, Router, ServerConfig,
};

/// A server's dispatch, as a dialect sees it. Cloning is cheap.
#[derive(Clone)]
pub struct Dispatcher {
    shared: Arc<Shared>,
}

impl fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
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

    /// Runs `call` through the layers to its reply: `too_large` for metadata over the bounds,
    /// a layer's refusal, `unknown_method` when no handler has its name, `deadline_exceeded`
    /// when its deadline passes first, `internal` when the handler panics.
    pub async fn dispatch(&self, call: Call) -> Reply {
        let arrived = Instant::now();
        let ctx = call.context();
        let (method, peer, dialect) =
            (ctx.method_name().clone(), ctx.peer().clone(), ctx.dialect());
        let codec = call.codec();
        let route = self.shared.router.route(&method);
        let descriptor = route.and_then(Route::descriptor);
        let mut watched = Watched::start(&self.shared, route, &call, arrived);
        if descriptor.is_some_and(|described| described.is_streaming() && !call.has_streams()) {
            let reply = Reply::error(codec, Status::InvalidArgs, &cannot_stream(&method, dialect));
            return watched.finish(reply, &self.shared, &method, &peer);
        }
        let reply = match begin(&self.shared, call, route, arrived) {
            Begun::Answered(reply) => reply,
            Begun::Started(started) => {
                ServerStats::count(&self.shared.stats.calls);
                watched.trace_id = started.trace_id;
                let subject = Subject {
                    method: &method,
                    descriptor,
                    dialect,
                    peer: &peer,
                };
                let layers = self.shared.router.layers();
                // Held across the handler: a caller that goes away drops it, which reports
                // `cancelled`.
                let guard = started.watch.map(|watch| watch.guard(layers, subject));
                let reply = run_guarded(started.handler, &method, started.deadline, codec).await;
                if let Some(guard) = guard {
                    guard.finish(reply.status);
                }
                reply
            }
        };
        watched.finish(reply, &self.shared, &method, &peer)
    }

    /// The per-method figures, their last minutes and the recent calls.
    pub fn telemetry(&self) -> &Telemetry {
        &self.shared.telemetry
    }

    /// The server's running totals.
    pub fn stats(&self) -> &ServerStats {
        &self.shared.stats
    }

    /// Counts a call or request refused for going over `limit`.
    pub fn count_refusal(&self, limit: Limit) {
        self.shared.stats.refused(limit);
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

/// A call of a dialect with no tally of its own, counted while it runs and, if it was picked
/// on arrival, kept for `/rpcz` once answered.
struct Watched {
    counted: Option<Counted>,
    /// The bytes of its arguments, when it is to be kept.
    kept_bytes_in: Option<usize>,
    /// The trace it ran under.
    trace_id: Option<TraceId>,
}

impl Watched {
    fn start(shared: &Shared, route: Option<&Route>, call: &Call, arrived: Instant) -> Watched {
        let telemetry = &shared.telemetry;
        if !telemetry.enabled() {
            return Watched {
                counted: None,
                kept_bytes_in: None,
                trace_id: None,
            };
        }
        let metrics = route.map_or(shared.router.other_metrics(), Route::metrics);
        let dialect = call.context().dialect();
        Watched {
            counted: Some(Counted::start(metrics.clone(), dialect, arrived)),
            kept_bytes_in: telemetry.recent().keep_shared().then(|| call.body().len()),
            trace_id: None,
        }
    }

    /// Counts the call as answered with `reply`, then hands the reply on.
    fn finish(self, reply: Reply, shared: &Shared, method: &str, peer: &crate::Peer) -> Reply {
        let Some(counted) = self.counted else {
            return reply;
        };
        let dialect = counted.dialect();
        let elapsed = counted.finish(reply.status);
        if let Some(bytes_in) = self.kept_bytes_in {
            shared.telemetry.keep(Answered {
                method,
                dialect,
                peer,
                status: reply.status,
                elapsed,
                bytes: (bytes_in, reply.body.len()),
                trace_id: self.trace_id,
            });
        }
        reply
    }
}

/// What the start of a call decided.
pub(crate) enum Begun {
    /// Answered without running a handler.
    Answered(Reply),
    /// The handler's future, to be run to its reply.
    Started(Started),
}

/// A handler on its way, and what answering it takes.
pub(crate) struct Started {
    pub(crate) handler: ReplyFuture,
    pub(crate) deadline: Option<Deadline>,
    /// The layers waiting for the outcome; `None` on a router without layers.
    pub(crate) watch: Option<Watch>,
    /// The trace the handler runs under, if the call is traced.
    pub(crate) trace_id: Option<TraceId>,
}

/// Starts `call` of `route` (`None`: no handler has its name) at `now`: everything up to the
/// handler's first poll. Counting the call is left to the caller, who may count many at once.
#[inline]
pub(crate) fn begin(shared: &Shared, mut call: Call, route: Option<&Route>, now: Instant) -> Begun {
    let codec = call.codec();
    if let Err(message) = check_metadata(&call, &shared.config) {
        shared.stats.refused(Limit::MaxMetadata);
        return Begun::Answered(Reply::error(codec, Status::TooLarge, &message));
    }
    if let Some(route) = route {
        call.context_mut().set_descriptor(route.descriptor());
    }
    let traced = trace::for_call(call.context());
    if let Some(span) = &traced {
        call.context_mut().set_trace(span.clone());
    }
    let layers = shared.router.layers();
    let watch = if layers.is_empty() {
        None
    } else {
        let (watch, verdict) = layers.before(call.context_mut(), now);
        if let Err(refusal) = verdict {
            let reply = call.reply_call_error(&refusal);
            return answered(Some(watch), layers, &call, reply);
        }
        Some(watch)
    };
    let Some(route) = route else {
        let reply = Reply::error(codec, Status::UnknownMethod, &unknown_method(call.method()));
        return answered(watch, layers, &call, reply);
    };
    let deadline = match call.context().deadline() {
        None => None,
        Some(at) => match Deadline::until(at, now) {
            Some(deadline) => Some(deadline),
            None => {
                let message = format!("{} arrived with no time left", call.method());
                let reply = Reply::error(codec, Status::DeadlineExceeded, &message);
                return answered(watch, layers, &call, reply);
            }
        },
    };
    let trace_id = traced.as_ref().map(Span::trace_id);
    let handler = match traced {
        None => (route.handler())(call),
        Some(span) => {
            let call_span = trace::call_span(&span, call.context());
            trace::run_in(span, call_span, (route.handler())(call))
        }
    };
    Begun::Started(Started {
        handler,
        deadline,
        watch,
        trace_id,
    })
}

/// `reply`, reported to the layers that let `call` through.
fn answered(watch: Option<Watch>, layers: &Layers, call: &Call, reply: Reply) -> Begun {
    if let Some(watch) = watch {
        watch.finish(layers, Subject::of(call.context()), reply.status);
    }
    Begun::Answered(reply)
}

/// The one-line reason a call's metadata is over the server's bounds.
fn check_metadata(call: &Call, config: &ServerConfig) -> Result<(), String> {
    let (entries, len) = call.context().metadata_size();
    if entries > config.max_metadata_entries || len > config.max_metadata_len {
        return Err(format!(
            "the metadata of {} is {entries} pairs of {len} bytes, over this server's bounds \
             of {} pairs and {} bytes",
            call.method(),
            config.max_metadata_entries,
            config.max_metadata_len
        ));
    }
    Ok(())
}

/// The one-line message for a streaming method called in a dialect that carries no streams.
fn cannot_stream(method: &str, dialect: Dialect) -> String {
    let route = method.replacen('.', "/", 1);
    format!(
        "{method} streams, which {dialect} cannot carry: call it over the native protocol, or \
         over REST at POST /api/{route} (NDJSON; Server-Sent Events with Accept: \
         text/event-stream)"
    )
}

/// The one-line message for a method no handler serves.
pub(crate) fn unknown_method(method: &str) -> String {
    format!("no method {method} on this server (`ferry list` shows what it offers)")
}

/// When a call must finish by, and the time it was given, for the message that says it did not.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Deadline {
    at: Instant,
    limit: Duration,
}

impl Deadline {
    /// The deadline `at`, if it is still ahead of `now`.
    fn until(at: Instant, now: Instant) -> Option<Deadline> {
        let limit = at.checked_duration_since(now)?;
        (!limit.is_zero()).then_some(Deadline { at, limit })
    }

    fn exceeded(self, method: &(dyn Display + Sync), codec: Codec) -> Reply {
        let message = format!(
            "{method} did not finish within its {:?} deadline",
            self.limit
        );
        Reply::error(codec, Status::DeadlineExceeded, &message)
    }
}

/// Awaits a handler, cut off at `deadline`, with a panic answered `internal`.
pub(crate) async fn run_guarded(
    handler: ReplyFuture,
    method: &(dyn Display + Sync),
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
    outcome.unwrap_or_else(|panic| panicked(method, codec, &*panic))
}

/// Polls a handler once, with a panic answered `internal`. A handler that finishes in its first
/// poll (most do) is answered without a task of its own. `method` is only formatted for the
/// message of a panic: a `ByteStr` checks its UTF-8 each time it is turned into `&str`.
pub(crate) fn poll_guarded(
    handler: &mut ReplyFuture,
    method: &(dyn Display + Sync),
    codec: Codec,
    cx: &mut Context<'_>,
) -> Poll<Reply> {
    match panic::catch_unwind(AssertUnwindSafe(|| handler.as_mut().poll(cx))) {
        Ok(poll) => poll,
        Err(panic) => Poll::Ready(panicked(method, codec, &*panic)),
    }
}

fn panicked(method: &(dyn Display + Sync), codec: Codec, panic: &(dyn Any + Send)) -> Reply {
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
