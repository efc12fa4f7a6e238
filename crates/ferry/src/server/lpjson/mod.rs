//! The length-prefixed JSON dialect, for small hand-written clients.
//!
//! Every message, both ways, is a 4-byte little-endian length and then that many bytes of JSON:
//!
//! ```text
//! +----------------+----------------------------------------------+
//! | len: u32 LE    | {"in": "ping", "params": "ireader 0", "meta": {"user": "alice"}} |  request
//! +----------------+----------------------------------------------+
//! | len: u32 LE    | {"out": "pong", "result": "ireader 0"}       |  answer
//! +----------------+----------------------------------------------+
//! | len: u32 LE    | {"out": "error", "error": {"status": "unknown_method",
//! |                |   "message": "...", "data": null}}           |  failure
//! +----------------+----------------------------------------------+
//! ```
//!
//! `in` is a full method name (`echo.ping`) or a bare one (`ping`) when exactly one service has
//! a method of that name. `params` is an object of named arguments, an array of positional ones,
//! any other value as the only argument, or absent for none. `meta`, optional, is an object of
//! text values: the call's metadata. Requests are answered one by one in the order they arrive.

mod connection;
mod frame;
pub(super) mod fuzzing;
mod message;

use bytes::BytesMut;
use ferry_wire::Status;

use super::{DialectDriver, Dispatcher, Serving, Socket};

/// The length-prefixed JSON dialect, which every server speaks.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LengthPrefixedJson;

impl DialectDriver for LengthPrefixedJson {
    fn serve(&self, socket: Socket, dispatcher: Dispatcher) -> Serving {
        Box::pin(connection::serve(socket, dispatcher))
    }
}

/// A failure in this dialect's framing, for a connection refused before it is served.
pub(super) fn refusal(status: Status, message: &str) -> BytesMut {
    let mut out = BytesMut::new();
    frame::encode(&message::failure(status, message, None), &mut out);
    out
}
