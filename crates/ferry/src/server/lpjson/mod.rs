//! The length-prefixed JSON dialect, for small hand-written clients.
//!
//! Every message, both ways, is a 4-byte little-endian length and then that many bytes of JSON:
//!
//! ```text
//! +----------------+----------------------------------------------+
//! | len: u32 LE    | {"in": "ping", "params": "ireader 0"}        |  request
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
//! any other value as the only argument, or absent for none. Requests are answered one by one in
//! the order they arrive.

mod connection;
mod frame;
mod message;

pub(crate) use connection::serve;
pub use message::out_name;
