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

mod current;
mod traceparent;

pub(crate) use current::{call_span, for_call, propagate, run_in};
pub use current::{current, is_trace_key, scope, CALL_TARGET, TRACEPARENT, TRACESTATE};
pub use traceparent::{Span, SpanId, TraceContext, TraceId};
