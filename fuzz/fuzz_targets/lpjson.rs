//! The length-prefixed JSON dialect: framing split across reads, and the request parser.
//! The body, and the properties it asserts, are `ferry_http::fuzzing::lpjson`, which the corpus
//! replay test (`crates/ferry-http/tests/fuzz_corpora.rs`) runs too.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ferry_http::fuzzing::lpjson(data));
