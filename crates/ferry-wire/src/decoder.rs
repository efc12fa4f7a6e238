//! Turning a byte stream into frames, without buffering what the limit forbids.

use bytes::{Buf, BytesMut};

use crate::{frame::Header, Frame, WireError, HEADER_LEN};

/// The default largest frame body: 16 MiB.
pub const DEFAULT_MAX_FRAME_LEN: u32 = 16 * 1024 * 1024;

/// The most a decoder reserves ahead of the bytes that have arrived.
const RESERVE_AHEAD: usize = 64 * 1024;

/// Decodes frames from a growing buffer, in the manner of tokio-util's `Decoder`.
///
/// The header's length is checked before any body byte is buffered: an oversize frame yields
/// [`WireError::FrameTooLarge`] once, and its body is then skipped as it arrives, so the
/// connection stays usable and memory stays bounded.
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
#[derive(Debug, Clone)]
pub struct FrameDecoder {
    max_frame_len: u32,
    skipping: usize,
}

impl FrameDecoder {
    /// A decoder that refuses frame bodies over `max_frame_len` bytes.
    pub fn new(max_frame_len: u32) -> FrameDecoder {
        FrameDecoder {
            max_frame_len,
            skipping: 0,
        }
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
        header.parse(body).map(Some)
    }

    /// Drops bytes of an oversize body; true once nothing is left to skip.
    fn skip(&mut self, src: &mut BytesMut) -> bool {
        let n = self.skipping.min(src.len());
        src.advance(n);
        self.skipping -= n;
        self.skipping == 0
    }
}
