//! ferry's wire protocol, sans-IO: the connection preface, frames and status codes, encoded to
//! and decoded from bytes. No sockets, no runtime: I/O drivers are small loops around
//! [`Preface::decode`] and [`FrameDecoder::decode`], and tests and fuzzers drive the same code
//! byte by byte.
//!
//! A connection is a preface from each side, then frames:
//!
//! ```text
//!  client                                   server
//!    | preface: "FERRY\0" ver codec max  --->  |
//!    | <---  preface: "FERRY\0" ver codec max  |
//!    | request(call 1) -->                     |
//!    | request(call 2) -->                     |
//!    |                  <-- response(call 2)   |   answers in any order
//!    | cancel(call 1)  -->                     |
//!    |                  <-- goaway(last = 2)   |   graceful shutdown
//! ```
//!
//! `docs/PROTOCOL.md` in the repository describes every byte.

// Lengths and counts cross between u16, u32 and usize here: every narrowing is checked.
#![warn(
    clippy::cast_possible_truncation,
    clippy::cast_possible_wrap,
    clippy::cast_sign_loss,
    clippy::cast_lossless
)]

mod byte_str;
pub mod compress;
mod decoder;
mod error;
mod frame;
pub mod keepalive;
mod kind;
mod preface;
mod status;
pub mod stream;

#[cfg(test)]
mod tests;

pub use byte_str::ByteStr;
pub use decoder::{FrameDecoder, DEFAULT_MAX_FRAME_LEN};
pub use error::WireError;
pub use frame::{
    encode_item_head, Frame, GoAway, Metadata, Request, RequestHead, Response, HEADER_LEN,
};
pub use kind::{Kind, FLAG_DEADLINE, FLAG_METADATA, FLAG_MORE, FLAG_ZSTD};
pub use preface::{
    Preface, CODEC_JSON, CODEC_MSGPACK, MAGIC, MAX_PREFACE_FRAME_LEN, PREFACE_LEN, PREFACE_ZSTD,
    VERSION,
};
pub use status::Status;
