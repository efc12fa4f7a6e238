//! The JSON-RPC 2.0 request parser: refuses exactly what is not JSON, or an empty batch.
//! The body, and the properties it asserts, are `ferry_http::fuzzing::jsonrpc_request`, which the corpus
//! replay test (`crates/ferry-http/tests/fuzz_corpora.rs`) runs too.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ferry_http::fuzzing::jsonrpc_request(data));
