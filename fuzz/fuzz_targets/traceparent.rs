//! The Trace Context parser: what parses renders to headers that parse back the same.
//! The body, and the properties it asserts, are `ferry_http::fuzzing::traceparent`, which the corpus
//! replay test (`crates/ferry-http/tests/fuzz_corpora.rs`) runs too.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ferry_http::fuzzing::traceparent(data));
