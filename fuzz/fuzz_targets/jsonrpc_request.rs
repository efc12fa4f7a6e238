//! The JSON-RPC 2.0 request parser over arbitrary bodies: never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = ferry_http::fuzzing::jsonrpc_request(data);
});
