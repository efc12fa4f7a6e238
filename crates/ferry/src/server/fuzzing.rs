//! Entry points for the cargo-fuzz targets in `fuzz/` (through `ferry_http::fuzzing`) to the
//! parsers the server keeps private. Not a stable API.

pub use super::lpjson::fuzzing::{lpjson_decode, lpjson_encode, lpjson_parse, Parsed};

/// The longest TLS record the server reads before a handshake: see [`tls_record_len`].
pub const MAX_TLS_RECORD_LEN: usize = super::sniff::MAX_TLS_RECORD_LEN;

/// How many bytes the TLS record that opens `first` takes, once its header has arrived.
pub fn tls_record_len(first: &[u8]) -> Option<usize> {
    super::sniff::tls_record_len(first)
}
