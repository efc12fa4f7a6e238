//! With the `otel` feature: a call's `tracing` span made an OpenTelemetry span of the caller's
//! trace, whose ids are the ones ferry shows and sends on.
//!
//! tracing-opentelemetry builds the OpenTelemetry span lazily, when the `tracing` span is first
//! entered or asked for its context, and the SDK's id generator gives it its span id then (and
//! a trace id, for a trace begun here); the caller's span can be set as its parent until then.
//! So the call span's parent is set right after it is made, its context is asked for at once,
//! which starts the OpenTelemetry span, and ferry takes that span's ids and sampling decision
//! as its own; with [`CallIds`] as the generator, those are the ids ferry drew for the call in
//! the first place. Without an OpenTelemetry layer listening there is no such span, and
//! ferry's own ids stand.

use std::cell::Cell;

use opentelemetry::trace::{
    SpanContext, Status as OtelStatus, TraceContextExt as _, TraceFlags, TraceState,
};
use opentelemetry_sdk::trace::IdGenerator;
use tracing::field;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

use super::{Span, SpanId, TraceId};
use crate::{Context, Status};

thread_local! {
    /// The ids ferry drew for the call whose OpenTelemetry span is being started on this
    /// thread, for [`CallIds`] to give that span.
    static DRAWN: Cell<Option<(TraceId, SpanId)>> = const { Cell::new(None) };
}

/// An id generator for the OpenTelemetry SDK's tracer provider
/// (`SdkTracerProvider::builder().with_id_generator(CallIds)`) that gives the span of each
/// call the ids ferry drew for the call before the span existed, so that
/// [`Context::trace`](crate::Context::trace) and the trace ids on `/rpcz` name the exported
/// span too, a trace begun here included; every other span gets random ids.
///
/// Without it a call's OpenTelemetry span has the SDK's ids, which ferry still shows and sends
/// on; only those two places keep ferry's own.
#[derive(Debug, Default, Clone, Copy)]
pub struct CallIds;

impl IdGenerator for CallIds {
    fn new_trace_id(&self) -> opentelemetry::trace::TraceId {
        let drawn = DRAWN.get().map(|(trace_id, _)| trace_id);
        let id = drawn.unwrap_or_else(TraceId::random);
        opentelemetry::trace::TraceId::from_bytes(id.to_bytes())
    }

    fn new_span_id(&self) -> opentelemetry::trace::SpanId {
        let drawn = DRAWN.get().map(|(_, span_id)| span_id);
        let id = drawn.unwrap_or_else(SpanId::random);
        opentelemetry::trace::SpanId::from_bytes(id.to_bytes())
    }
}

/// Starts the OpenTelemetry span of `call`, the `tracing` span of the call with `ctx` traced as
/// `span`: named by the method, of kind server, a child of the caller's span when the caller
/// sent one, and with its ids recorded in `call`'s `trace_id` and `span_id` fields.
pub(super) fn start(span: &Span, ctx: &Context, call: &tracing::Span) {
    call.record("otel.name", ctx.method());
    call.record("otel.kind", "server");
    if let Some(parent) = span.parent_id() {
        // An error says no OpenTelemetry layer sees the span: ferry's ids stand then.
        let _ = call.set_parent(remote_parent(span, parent));
    }
    // The SDK draws the span's ids while it starts it, within `otel_ids`, on this thread.
    DRAWN.set(Some((span.trace_id(), span.span_id())));
    let started = otel_ids(call);
    DRAWN.set(None);
    let (trace_id, span_id) = started.map_or_else(
        || (span.trace_id(), span.span_id()),
        |(trace_id, span_id, _)| (trace_id, span_id),
    );
    call.record("trace_id", field::display(trace_id));
    call.record("span_id", field::display(span_id));
}

/// `span` with the ids and the sampling decision of `call`'s OpenTelemetry span, once
/// [`start`] has started it: what the calls a handler makes send on as their parent.
pub(super) fn adopt(span: Span, call: &tracing::Span) -> Span {
    match otel_ids(call) {
        Some((trace_id, span_id, sampled)) => span.with_ids(trace_id, span_id, sampled),
        None => span,
    }
}

/// Marks `call`'s OpenTelemetry span failed when `status` is a failure of the server rather
/// than of the caller, as OpenTelemetry's RPC conventions have a server span's status (gRPC's
/// UNIMPLEMENTED, DEADLINE_EXCEEDED, UNAVAILABLE and INTERNAL); `rpc.status` names every one.
pub(super) fn finish(call: &tracing::Span, status: Status) {
    let failed = matches!(
        status,
        Status::UnknownMethod | Status::DeadlineExceeded | Status::Unavailable | Status::Internal
    );
    if failed {
        call.set_status(OtelStatus::error(status.name()));
    }
}

/// The caller's span, as OpenTelemetry's remote parent: the trace, the parent's id, the
/// `sampled` flag and the `tracestate` the caller sent.
fn remote_parent(span: &Span, parent: SpanId) -> opentelemetry::Context {
    let flags = if span.sampled() {
        TraceFlags::SAMPLED
    } else {
        TraceFlags::default()
    };
    let state = span
        .tracestate()
        .and_then(|state| state.parse::<TraceState>().ok())
        .unwrap_or_default();
    let remote = SpanContext::new(
        opentelemetry::trace::TraceId::from_bytes(span.trace_id().to_bytes()),
        opentelemetry::trace::SpanId::from_bytes(parent.to_bytes()),
        flags,
        true,
        state,
    );
    opentelemetry::Context::new().with_remote_span_context(remote)
}

/// The trace id, span id and `sampled` flag of `call`'s OpenTelemetry span (started now if it
/// was not yet), or `None` when no OpenTelemetry layer made one.
fn otel_ids(call: &tracing::Span) -> Option<(TraceId, SpanId, bool)> {
    let context = call.context();
    let otel = context.span();
    let otel = otel.span_context();
    if !otel.is_valid() {
        return None;
    }
    let trace_id = TraceId::from_bytes(otel.trace_id().to_bytes())?;
    let span_id = SpanId::from_bytes(otel.span_id().to_bytes())?;
    Some((trace_id, span_id, otel.is_sampled()))
}
