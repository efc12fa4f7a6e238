//! Stream item and credit frames into one stream's receive window, checked against a model of the sender's credit.
//! The body, and the properties it asserts, are `ferry_http::fuzzing::stream_frames`, which the corpus
//! replay test (`crates/ferry-http/tests/fuzz_corpora.rs`) runs too.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ferry_http::fuzzing::stream_frames(data));
