//! The 12 bytes each side sends first.
//!
//! ```text
//!  0                       6       7       8                              12
//!  +-----------------------+-------+-------+-------------------------------+
//!  | magic "FERRY\0"       | ver   | codec | max frame body length (u32 BE)|
//!  +-----------------------+-------+-------+-------------------------------+
//! ```

use bytes::{Buf, BufMut, BytesMut};

use crate::WireError;

/// The first six bytes of every native connection.
pub const MAGIC: [u8; 6] = *b"FERRY\0";
/// The protocol version this crate speaks.
pub const VERSION: u8 = 1;
/// The encoded size of a preface.
pub const PREFACE_LEN: usize = 12;
/// Codec byte: MessagePack with named fields.
pub const CODEC_MSGPACK: u8 = 1;
/// Codec byte: JSON.
pub const CODEC_JSON: u8 = 2;

/// One side's opening: the version and codec it speaks and the largest frame body it accepts.
///
/// Version and codec are kept as raw bytes so that a server can name what it was offered when it
/// refuses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Preface {
    /// Protocol version ([`VERSION`]).
    pub version: u8,
    /// Body codec ([`CODEC_MSGPACK`] or [`CODEC_JSON`]).
    pub codec: u8,
    /// The largest frame body this side accepts; the peer must not send more.
    pub max_frame_len: u32,
}

impl Preface {
    /// Appends the 12 preface bytes to `dst`.
    pub fn encode(&self, dst: &mut BytesMut) {
        dst.reserve(PREFACE_LEN);
        dst.put_slice(&MAGIC);
        dst.put_u8(self.version);
        dst.put_u8(self.codec);
        dst.put_u32(self.max_frame_len);
    }

    /// Takes a preface off the front of `src`, or returns `Ok(None)` until 12 bytes are there.
    /// Wrong magic is reported as soon as the first differing byte arrives.
    pub fn decode(src: &mut BytesMut) -> Result<Option<Preface>, WireError> {
        let seen = src.len().min(MAGIC.len());
        if src[..seen] != MAGIC[..seen] {
            return Err(WireError::BadMagic);
        }
        if src.len() < PREFACE_LEN {
            return Ok(None);
        }
        src.advance(MAGIC.len());
        Ok(Some(Preface {
            version: src.get_u8(),
            codec: src.get_u8(),
            max_frame_len: src.get_u32(),
        }))
    }
}
