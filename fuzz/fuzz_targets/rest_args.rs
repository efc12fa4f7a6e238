//! REST argument decoding from a query string or a body.
//! The body, and the properties it asserts, are `ferry_http::fuzzing::rest_args`, which the corpus
//! replay test (`crates/ferry-http/tests/fuzz_corpora.rs`) runs too.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ferry_http::fuzzing::rest_args(data));
