//! The 12 bytes each side sends first.
//!
//! ```text
//!  0                       6       7       8                              12
//!  +-----------------------+-------+-------+-------------------------------+
//!  | magic "FERRY\0"       | ver   | codec | Z | max frame body length (31) |
//!  +-----------------------+-------+-------+-------------------------------+
//! ```
//!
//! `Z`, the top bit of the last four bytes, says the side accepts zstd bodies (see
//! [`crate::compress`]). A peer that predates it reads the bit as part of a length over 2 GiB,
//! which only loosens its own early check of what it sends: the receiver's limit still holds,
//! so old and new peers still talk, without compression. Each side sets it only when its
//! peer may read it: a server only in answer to a client that set it.

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
/// The bit of the preface's last four bytes that says the side accepts zstd bodies.
pub const PREFACE_ZSTD: u32 = 1 << 31;
/// The largest frame limit a preface can state: the rest of the four bytes.
pub const MAX_PREFACE_FRAME_LEN: u32 = PREFACE_ZSTD - 1;

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
    /// The raw last four bytes: the largest frame body this side accepts (the peer must not
    /// send more) and, in the top bit, [`PREFACE_ZSTD`]. Read them with
    /// [`Preface::frame_limit`] and [`Preface::accepts_zstd`].
    pub max_frame_len: u32,
}

impl Preface {
    /// A preface of this version saying it speaks `codec`, accepts frame bodies up to
    /// `max_frame_len` (at most [`MAX_PREFACE_FRAME_LEN`]) and, if `zstd`, compressed ones.
    pub fn new(codec: u8, max_frame_len: u32, zstd: bool) -> Preface {
        let zstd = if zstd { PREFACE_ZSTD } else { 0 };
        Preface {
            version: VERSION,
            codec,
            max_frame_len: max_frame_len.min(MAX_PREFACE_FRAME_LEN) | zstd,
        }
    }

    /// The largest frame body this side accepts.
    pub fn frame_limit(&self) -> u32 {
        self.max_frame_len & MAX_PREFACE_FRAME_LEN
    }

    /// Whether this side accepts zstd bodies.
    pub fn accepts_zstd(&self) -> bool {
        self.max_frame_len & PREFACE_ZSTD != 0
    }

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
