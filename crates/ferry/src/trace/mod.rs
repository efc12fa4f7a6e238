//! W3C Trace Context (Level 1): the `traceparent` and `tracestate` values that carry a trace
//! from call to call, read and written without any I/O.
//!
//! ```
//! use ferry::trace::{Span, TraceContext};
//!
//! // A server continues the caller's trace, or starts one when it sent none or an invalid one.
//! let traceparent = Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
//! let span = traceparent
//!     .and_then(|value| TraceContext::parse(value, Some("congo=t61rcWkgMzE")))
//!     .map_or_else(|| Span::root(false), Span::continue_from);
//! assert_eq!(span.trace_id().to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
//! assert_eq!(span.parent_id().unwrap().to_string(), "00f067aa0ba902b7");
//!
//! // A call made from within the span sends it as the parent.
//! let sent = format!("00-4bf92f3577b34da6a3ce929d0e0e4736-{}-01", span.span_id());
//! assert_eq!(span.traceparent(), sent);
//! assert_eq!(span.tracestate(), Some("congo=t61rcWkgMzE"));
//! ```
//!
//! # Call spans
//!
//! A server runs each traced call's handler in a `tracing` span of target [`CALL_TARGET`]
//! (`ferry::call`), level DEBUG, named `call`, with the fields `rpc.method`, `dialect`,
//! `peer`, `trace_id`, `span_id`, `parent_id` and, once the call is over, `rpc.status` and
//! `duration_us`. Any `tracing` subscriber sees them; one that listens for them makes a call
//! that brought no `traceparent` start a trace.
//!
//! # Exporting to OpenTelemetry (the `otel` feature)
//!
//! With the cargo feature `otel` (off by default: without it no OpenTelemetry crate is
//! compiled), a call span becomes an OpenTelemetry span through a [`tracing-opentelemetry`]
//! layer, when the application installs one:
//!
//! - its parent is the caller's span from `traceparent` (trace id, parent id, `sampled` flag)
//!   and its trace state the caller's `tracestate`, so a collector sees the caller's span, this
//!   server's and those of the servers its handler calls as one tree;
//! - its ids are the ones ferry uses: in the `trace_id` and `span_id` fields, in [`current`],
//!   and as the parent in the `traceparent` a ferry call made from the handler sends. With
//!   this module's `CallIds` (there with the feature) as the tracer provider's id generator,
//!   they are the ids ferry drew for the call, which [`Context::trace`](crate::Context::trace)
//!   and `/rpcz` show too; with another generator they are the SDK's (and for a trace begun
//!   here its trace id and sampling decision), which only those two places do not show;
//! - its name is the method (`calc.add`), its kind server, its attributes the fields above
//!   (`rpc.status` among them), and its status an error when the call ended with
//!   [`Status::UnknownMethod`](crate::Status::UnknownMethod), `DeadlineExceeded`,
//!   `Unavailable` or `Internal`, the statuses that are the server's failure.
//!
//! Without an OpenTelemetry layer the feature changes no id. An application installs one with
//! a filter that lets the call spans through, in Cargo.toml `ferry = { features = ["otel"] }`
//! beside opentelemetry_sdk 0.33 (with an exporter such as opentelemetry-otlp 0.33) and
//! tracing-opentelemetry 0.34, the versions this feature is built on:
//!
//! ```ignore
//! use opentelemetry::trace::TracerProvider as _;
//! use tracing_subscriber::{filter::Targets, prelude::*};
//!
//! let exporter = opentelemetry_otlp::SpanExporter::builder().with_http().build()?;
//! let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder()
//!     .with_batch_exporter(exporter)
//!     .with_id_generator(ferry::trace::CallIds)
//!     .build();
//! let calls = Targets::new().with_target(ferry::trace::CALL_TARGET, tracing::Level::DEBUG);
//! let otel = tracing_opentelemetry::layer().with_tracer(provider.tracer("my-server"));
//! tracing_subscriber::registry().with(otel.with_filter(calls)).init();
//! // ... serve; then, so that the last spans are sent:
//! provider.shutdown()?;
//! ```
//!
//! `ferry serve --otlp-endpoint URL` of the `ferry` command, built with its own `otel`
//! feature, does this (docs/OBSERVABILITY.md).
//!
//! [`tracing-opentelemetry`]: https://docs.rs/tracing-opentelemetry/0.34

mod current;
#[cfg(feature = "otel")]
mod otel;
mod traceparent;

pub(crate) use current::{call_span, for_call, propagate, run_in};
pub use current::{current, is_trace_key, scope, CALL_TARGET, TRACEPARENT, TRACESTATE};
#[cfg(feature = "otel")]
pub use otel::CallIds;
pub use traceparent::{Span, SpanId, TraceContext, TraceId};
