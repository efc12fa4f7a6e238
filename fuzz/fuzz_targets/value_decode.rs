//! `ferry::Time`'s ISO 8601 reader over arbitrary text, and `ferry::Value` over arbitrary
//! MessagePack. The body, and the properties it asserts, are `ferry_http::fuzzing::value_decode`,
//! which the corpus replay test (`crates/ferry-http/tests/fuzz_corpora.rs`) runs too.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ferry_http::fuzzing::value_decode(data));
