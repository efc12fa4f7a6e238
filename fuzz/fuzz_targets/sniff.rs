//! Dialect sniffing (native, TLS, HTTP, length-prefixed): a decision never changes as bytes arrive.
//! The body, and the properties it asserts, are `ferry_http::fuzzing::sniff`, which the corpus
//! replay test (`crates/ferry-http/tests/fuzz_corpora.rs`) runs too.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ferry_http::fuzzing::sniff(data));
