//! The Trace Context parser over arbitrary text, its first line as `traceparent` and the rest as
//! `tracestate`: never panics, and whatever parses renders to headers that parse back to the
//! same context.
#![no_main]

use ferry::trace::TraceContext;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (traceparent, tracestate) = match text.split_once('\n') {
        Some((traceparent, tracestate)) => (traceparent, Some(tracestate)),
        None => (text, None),
    };
    let Some(context) = TraceContext::parse(traceparent, tracestate) else {
        return;
    };
    let again = TraceContext::parse(&context.traceparent(), context.tracestate());
    assert_eq!(again.as_ref(), Some(&context));
});
