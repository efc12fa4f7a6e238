//! The bodies of the cargo-fuzz targets in `fuzz/`: each runs one parser over arbitrary bytes
//! and panics when a property it promises does not hold (more than "no panic": round trips,
//! decisions that never change, limits kept). The fuzz targets call these, and so does the
//! corpus replay test on stable (`tests/fuzz_corpora.rs`), so the two cannot drift. Not a stable
//! API.

mod decompress;
mod dialects;
mod rpc;
mod values;
mod wire;

pub use decompress::decompress;
pub use dialects::{lpjson, sniff};
pub use rpc::{jsonrpc_request, range, rest_args, traceparent, xmlrpc_parse};
pub use values::value_decode;
pub use wire::{decode_frames, stream_frames};

/// One fuzz target: its name (the `fuzz/fuzz_targets/NAME.rs` and `fuzz/corpus/NAME/` it
/// goes by) and its body.
pub type Target = (&'static str, fn(&[u8]));

/// Every fuzz target, by name.
pub const TARGETS: [Target; 11] = [
    ("decode_frames", decode_frames),
    ("stream_frames", stream_frames),
    ("sniff", sniff),
    ("lpjson", lpjson),
    ("jsonrpc_request", jsonrpc_request),
    ("xmlrpc_parse", xmlrpc_parse),
    ("rest_args", rest_args),
    ("range", range),
    ("traceparent", traceparent),
    ("value_decode", value_decode),
    ("decompress", decompress),
];

/// The rest of `data` cut in two where its first byte, scaled onto the rest's length, says:
/// long inputs are split anywhere, not only early. Two reads are what a parser fed from a
/// socket sees at worst that one read does not.
fn split(data: &[u8]) -> Option<(&[u8], &[u8])> {
    let (&first, input) = data.split_first()?;
    Some(input.split_at(usize::from(first) * input.len() / 255))
}
