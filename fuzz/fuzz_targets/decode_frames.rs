//! The native protocol's preface and frame decoder: frames round-trip, nothing over the limit is buffered.
//! The body, and the properties it asserts, are `ferry_http::fuzzing::decode_frames`, which the corpus
//! replay test (`crates/ferry-http/tests/fuzz_corpora.rs`) runs too.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ferry_http::fuzzing::decode_frames(data));
