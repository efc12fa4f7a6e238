//! The XML-RPC parser over arbitrary bodies, as a call and as a response: never panics, never
//! expands an entity, stays within its depth and size bounds.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = ferry_http::fuzzing::xmlrpc_method_call(data);
    let _ = ferry_http::fuzzing::xmlrpc_method_response(data);
});
