//! The length-prefixed dialect's framing and request parser, for the fuzz targets (reached as
//! `ferry::server::fuzzing`). Not a stable API.

use bytes::{Bytes, BytesMut};

use crate::{Metadata, Router, Status};

/// A request as the dialect resolved it.
#[derive(Debug)]
pub struct Parsed {
    /// The full method name the request is dispatched to.
    pub method: String,
    /// The JSON arguments.
    pub args: Bytes,
    /// The call's metadata.
    pub metadata: Metadata,
}

/// The next whole message body in `input`; `Err` with the announced length when the header
/// announces more than `max`.
pub fn lpjson_decode(input: &mut BytesMut, max: u32) -> Result<Option<Bytes>, u32> {
    super::frame::decode(input, max).map_err(|too_large| too_large.len)
}

/// Appends one framed message.
pub fn lpjson_encode(body: &[u8], out: &mut BytesMut) {
    super::frame::encode(body, out);
}

/// Parses a request body against `router`; the refusal's status and message otherwise.
pub fn lpjson_parse(body: &[u8], router: &Router) -> Result<Parsed, (Status, String)> {
    super::message::parse(body, router).map(|resolved| Parsed {
        method: resolved.method,
        args: resolved.args,
        metadata: resolved.metadata,
    })
}
