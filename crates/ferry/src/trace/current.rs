//! The trace a call runs under, carried from the server that took the call to the ferry calls
//! its handler makes: the server continues the caller's trace (or starts one when a `tracing`
//! subscriber listens for call spans), runs the handler inside it, and a client called from
//! inside the handler sends it on as `traceparent` and `tracestate` metadata.

use std::{future::Future, time::Instant};

use tracing::{field, Instrument, Level};

use ferry_wire::{ByteStr, Metadata};

use super::{Span, TraceContext};
use crate::{Context, Reply, ReplyFuture};

/// The `tracing` target of the span each traced call runs in.
pub const CALL_TARGET: &str = "ferry::call";

/// The metadata key (and HTTP header) of the W3C trace parent.
pub const TRACEPARENT: &str = "traceparent";

/// The metadata key (and HTTP header) of the W3C trace state.
pub const TRACESTATE: &str = "tracestate";

tokio::task_local! {
    static CURRENT: Span;
}

/// The span of the call whose handler is running now, if it is traced.
pub fn current() -> Option<Span> {
    CURRENT.try_with(Span::clone).ok()
}

/// Runs `future` inside `span`: the ferry calls it makes carry the span as their parent. A
/// handler's own future is run so already; use this for a task the handler spawns.
pub fn scope<F: Future>(span: Span, future: F) -> impl Future<Output = F::Output> {
    CURRENT.scope(span, future)
}

/// The span of a call with `ctx`: the caller's trace continued when it sent a valid
/// `traceparent` (an invalid one is ignored, as the W3C rules say), a new trace when a
/// `tracing` subscriber listens for [`CALL_TARGET`] spans, and none otherwise, so an untraced
/// call costs a metadata scan and one check of the subscriber's interest.
pub(crate) fn for_call(ctx: &Context) -> Option<Span> {
    let continued =
        received(ctx).and_then(|(parent, state)| TraceContext::parse(parent, state.as_deref()));
    match continued {
        Some(context) => Some(Span::continue_from(context)),
        None => tracing::enabled!(target: CALL_TARGET, Level::DEBUG).then(|| Span::root(true)),
    }
}

/// The `traceparent` a call carries and its `tracestate` values joined, as the W3C rules have
/// repeated headers combined; `None` without one, or with more than one `traceparent`, which
/// the rules make invalid.
fn received(ctx: &Context) -> Option<(&str, Option<String>)> {
    let mut parents = ctx
        .metadata_pairs()
        .filter(|(key, _)| key.eq_ignore_ascii_case(TRACEPARENT));
    let parent = parents.next()?.1;
    if parents.next().is_some() {
        return None;
    }
    let mut states = ctx
        .metadata_pairs()
        .filter(|(key, _)| key.eq_ignore_ascii_case(TRACESTATE));
    let state = states.next().map(|(_, first)| {
        states.fold(first.to_owned(), |joined, (_, more)| {
            format!("{joined},{more}")
        })
    });
    Some((parent, state))
}

/// The `tracing` span of the call with `ctx`, traced as `span`: it records the method,
/// dialect, peer and trace ids, and once the call is over its status and duration.
pub(crate) fn call_span(span: &Span, ctx: &Context) -> tracing::Span {
    // With the `otel` feature the ids are the OpenTelemetry span's, known once it has started.
    #[cfg(not(feature = "otel"))]
    let ids = (
        field::display(span.trace_id()),
        field::display(span.span_id()),
    );
    #[cfg(feature = "otel")]
    let ids = (field::Empty, field::Empty);
    let call = tracing::debug_span!(
        target: CALL_TARGET,
        "call",
        rpc.method = ctx.method(),
        dialect = ctx.dialect().name(),
        peer = %ctx.peer(),
        trace_id = ids.0,
        span_id = ids.1,
        parent_id = span.parent_id().map(field::display),
        rpc.status = field::Empty,
        duration_us = field::Empty,
        otel.name = field::Empty,
        otel.kind = field::Empty,
    );
    #[cfg(feature = "otel")]
    super::otel::start(span, ctx, &call);
    call
}

/// `handler` run inside `span`, as the current trace, and inside `call_span`.
pub(crate) fn run_in(span: Span, call_span: tracing::Span, handler: ReplyFuture) -> ReplyFuture {
    if call_span.is_disabled() {
        // No subscriber takes the span: the trace still goes on to the calls the handler makes.
        return Box::pin(CURRENT.scope(span, handler));
    }
    let started = Instant::now();
    #[cfg(feature = "otel")]
    let span = super::otel::adopt(span, &call_span);
    Box::pin(async move {
        let reply: Reply = CURRENT
            .scope(span, handler)
            .instrument(call_span.clone())
            .await;
        call_span.record("rpc.status", reply.status.name());
        #[cfg(feature = "otel")]
        super::otel::finish(&call_span, reply.status);
        call_span.record("duration_us", started.elapsed().as_micros() as u64);
        reply
    })
}

/// Whether `key` is `traceparent` or `tracestate`, in any case: a caller that sets either
/// keeps its own.
pub fn is_trace_key(key: &str) -> bool {
    key.eq_ignore_ascii_case(TRACEPARENT) || key.eq_ignore_ascii_case(TRACESTATE)
}

/// `metadata` with the current trace added, when a handler's call sends it and the caller has
/// not set a `traceparent` of its own.
pub(crate) fn propagate(metadata: &mut std::borrow::Cow<'_, [(ByteStr, ByteStr)]>) {
    let Ok(Some(pair)) = CURRENT.try_with(|span| {
        let set = metadata
            .iter()
            .any(|(key, _)| key.as_bytes() == TRACEPARENT.as_bytes());
        (!set).then(|| (span.traceparent(), span.tracestate().map(str::to_owned)))
    }) else {
        return;
    };
    let (parent, state) = pair;
    let metadata: &mut Metadata = metadata.to_mut();
    metadata.push((ByteStr::from_static(TRACEPARENT), ByteStr::from(parent)));
    if let Some(state) = state {
        metadata.push((ByteStr::from_static(TRACESTATE), ByteStr::from(state)));
    }
}
