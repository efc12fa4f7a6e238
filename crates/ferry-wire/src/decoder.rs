//! Turning a byte stream into frames, without buffering what the limit forbids.

use bytes::{Buf, Bytes, BytesMut};

use crate::{
    compress::{DecompressError, Decompressor},
    frame::Header,
    Frame, Kind, Request, Response, WireError, FLAG_ZSTD, HEADER_LEN,
};

/// The default largest frame body: 16 MiB.
pub const DEFAULT_MAX_FRAME_LEN: u32 = 16 * 1024 * 1024;

/// The most a decoder reserves ahead of the bytes that have arrived.
const RESERVE_AHEAD: usize = 64 * 1024;

/// Decodes frames from a growing buffer, in the manner of tokio-util's `Decoder`.
///
/// The header's length is checked before any body byte is buffered: an oversize frame yields
/// [`WireError::FrameTooLarge`] once, and its body is then skipped as it arrives, so the
/// connection stays usable and memory stays bounded. Once [`FrameDecoder::accept_zstd`] is
/// called, compressed request and response bodies come out decompressed, bounded by the same
/// limit: a frame decompresses to at most `max_frame_len` bytes, or is refused with
/// [`WireError::Compressed`].
///
/// ```
/// use bytes::BytesMut;
/// use ferry_wire::{Frame, FrameDecoder};
///
/// let mut buf = BytesMut::new();
/// Frame::Ping { payload: 7 }.encode(&mut buf);
/// let mut decoder = FrameDecoder::new(1024);
/// assert_eq!(decoder.decode(&mut buf).unwrap(), Some(Frame::Ping { payload: 7 }));
/// assert_eq!(decoder.decode(&mut buf).unwrap(), None);
/// ```
#[derive(Debug)]
pub struct FrameDecoder {
    max_frame_len: u32,
    skipping: usize,
    /// Set once both prefaces accepted zstd.
    zstd: Option<Decompressor>,
}

impl FrameDecoder {
    /// A decoder that refuses frame bodies over `max_frame_len` bytes.
    pub fn new(max_frame_len: u32) -> FrameDecoder {
        FrameDecoder {
            max_frame_len,
            skipping: 0,
            zstd: None,
        }
    }

    /// Accepts zstd-compressed bodies from now on (both prefaces said so); without this a
    /// frame flagged [`FLAG_ZSTD`] is malformed.
    pub fn accept_zstd(&mut self) {
        self.zstd.get_or_insert_with(Decompressor::default);
    }

    /// The configured maximum body length.
    pub fn max_frame_len(&self) -> u32 {
        self.max_frame_len
    }

    /// Takes the next whole frame off the front of `src`; `Ok(None)` means more bytes are needed.
    pub fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Frame>, WireError> {
        if !self.skip(src) {
            return Ok(None);
        }
        let Some(header) = Header::peek(src) else {
            return Ok(None);
        };
        if header.len > self.max_frame_len {
            src.advance(HEADER_LEN);
            self.skipping = header.len as usize;
            self.skip(src);
            return Err(WireError::FrameTooLarge {
                kind: header.kind,
                call_id: header.call_id,
                len: header.len,
                max: self.max_frame_len,
            });
        }
        let frame_len = HEADER_LEN + header.len as usize;
        if src.len() < frame_len {
            // Grow with the bytes that arrive, not with what a header claims: a peer announcing
            // many large frames and sending nothing must not cost their size in memory.
            src.reserve((frame_len - src.len()).min(RESERVE_AHEAD));
            return Ok(None);
        }
        src.advance(HEADER_LEN);
        let body = src.split_to(header.len as usize).freeze();
        let carries_body =
            header.kind == Kind::Request as u8 || header.kind == Kind::Response as u8;
        if header.flags & FLAG_ZSTD != 0 && carries_body {
            return self.decompressed(header, body).map(Some);
        }
        header.parse(body).map(Some)
    }

    /// The frame of a header flagged [`FLAG_ZSTD`], its body decompressed: the fields before
    /// the body and the decompressed body together stay within the limit.
    fn decompressed(&mut self, mut header: Header, body: Bytes) -> Result<Frame, WireError> {
        let kind = Kind::from_u8(header.kind).ok_or(WireError::UnknownKind(header.kind))?;
        let malformed = |reason| WireError::Malformed { kind, reason };
        let Some(decompressor) = &mut self.zstd else {
            if kind == Kind::Request {
                // Named as before zstd existed: an unknown request flag.
                return header.parse(body);
            }
            return Err(malformed(
                "zstd flag on a connection that did not accept zstd",
            ));
        };
        header.flags &= !FLAG_ZSTD;
        let mut frame = header.parse(body)?;
        let (Frame::Request(Request {
            body: compressed, ..
        })
        | Frame::Response(Response {
            body: compressed, ..
        })) = &mut frame
        else {
            unreachable!("only requests and responses are decompressed")
        };
        let fields = header.len as usize - compressed.len();
        let max = self.max_frame_len as usize - fields;
        let refused = |fault: DecompressError| WireError::Compressed {
            kind: header.kind,
            call_id: header.call_id,
            fault,
        };
        *compressed = decompressor.decompress(compressed, max).map_err(refused)?;
        Ok(frame)
    }

    /// Drops bytes of an oversize body; true once nothing is left to skip.
    fn skip(&mut self, src: &mut BytesMut) -> bool {
        let n = self.skipping.min(src.len());
        src.advance(n);
        self.skipping -= n;
        self.skipping == 0
    }
}
