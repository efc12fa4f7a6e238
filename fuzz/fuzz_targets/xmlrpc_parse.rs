//! The XML-RPC parser, as a call and as a response: within its bounds, and what parses writes back the same.
//! The body, and the properties it asserts, are `ferry_http::fuzzing::xmlrpc_parse`, which the corpus
//! replay test (`crates/ferry-http/tests/fuzz_corpora.rs`) runs too.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ferry_http::fuzzing::xmlrpc_parse(data));
