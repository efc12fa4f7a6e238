//! Frames: a fixed 10-byte header, then a body whose layout depends on the kind.
//!
//! ```text
//!  0                   4       5       6                   10
//!  +-------------------+-------+-------+-------------------+--------------------+
//!  | body length u32BE | kind  | flags | call id u32 BE    | body (length bytes)|
//!  +-------------------+-------+-------+-------------------+--------------------+
//! ```

use std::time::Duration;

use bytes::{Buf, BufMut, Bytes, BytesMut};

use crate::{ByteStr, Kind, Status, WireError, FLAG_DEADLINE, FLAG_METADATA, FLAG_MORE, FLAG_ZSTD};

/// The size of a frame header.
pub const HEADER_LEN: usize = 10;

/// Key/value pairs carried with a request (trace id, auth token, ...).
pub type Metadata = Vec<(ByteStr, ByteStr)>;

/// One decoded frame.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Frame {
    /// A call.
    Request(Request),
    /// The answer to a call.
    Response(Response),
    /// The caller gave up on `call_id`.
    Cancel {
        /// The abandoned call.
        call_id: u32,
    },
    /// Liveness probe.
    Ping {
        /// Opaque; echoed in the pong.
        payload: u64,
    },
    /// The answer to a ping.
    Pong {
        /// The ping's payload.
        payload: u64,
    },
    /// Graceful shutdown.
    GoAway(GoAway),
    /// One item of a streaming call, or one fragment of an item larger than a frame.
    StreamItem {
        /// The streaming call.
        call_id: u32,
        /// The item (or this fragment of it), encoded with the connection's codec.
        body: Bytes,
        /// True when the item goes on in the next item frame of this call.
        more: bool,
    },
    /// The end of a stream: same layout as a response.
    StreamEnd(Response),
    /// The answer to a call the server did not run: same layout as a response.
    Refused(Response),
    /// Flow control: the sender on `call_id` may send `bytes` more (see [`crate::stream`]).
    StreamCredit {
        /// The streaming call.
        call_id: u32,
        /// The credit granted, counted as [`crate::stream::cost`] counts it.
        bytes: u32,
    },
}

/// A call: `service.method`, time left, metadata and the codec-encoded arguments.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Request {
    /// Chosen by the caller, unique among its calls in flight on this connection.
    pub call_id: u32,
    /// The method's full name, `service.method`.
    pub method: ByteStr,
    /// Time left for the call, counted from when the server reads the frame.
    /// Sent in whole milliseconds, rounded up.
    pub deadline: Option<Duration>,
    /// Key/value pairs for middleware and handlers.
    pub metadata: Metadata,
    /// The arguments, encoded with the connection's codec.
    pub body: Bytes,
}

/// The answer to a call (and the layout of a stream end).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The call answered.
    pub call_id: u32,
    /// The outcome.
    pub status: Status,
    /// The result when `status` is ok, otherwise the codec-encoded error object.
    pub body: Bytes,
}

/// "No new calls on this connection": calls up to `last_call_id` will still be answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoAway {
    /// The highest call id the sender accepted.
    pub last_call_id: u32,
    /// Why: `unavailable` for a shutdown, `protocol` or `too_large` for a peer at fault, ...
    pub status: Status,
    /// One human-readable line.
    pub message: ByteStr,
}

fn put_header(dst: &mut BytesMut, body_len: usize, kind: Kind, flags: u8, call_id: u32) {
    dst.reserve(HEADER_LEN + body_len);
    dst.put_u32(u32::try_from(body_len).unwrap_or(u32::MAX));
    dst.put_u8(kind as u8);
    dst.put_u8(flags);
    dst.put_u32(call_id);
}

/// How many bytes of `text` go on the wire: at most 65,535, cut on a character boundary so the
/// cut text is still UTF-8.
/// How much of `text` fits a u16 length, cut at a character boundary. Works on the bytes:
/// a `ByteStr`'s `&str` view checks its UTF-8 again on every use.
fn short_len(text: &ByteStr) -> usize {
    let bytes = text.as_bytes();
    let mut len = bytes.len().min(usize::from(u16::MAX));
    // In valid UTF-8 a character starts at any byte that is not a continuation byte.
    while len < bytes.len() && bytes[len] & 0xc0 == 0x80 {
        len -= 1;
    }
    len
}

fn put_short_str(dst: &mut BytesMut, text: &ByteStr) {
    let len = short_len(text);
    dst.put_u16(u16::try_from(len).unwrap_or(u16::MAX));
    dst.put_slice(&text.as_bytes()[..len]);
}

/// Whole milliseconds, rounded up, without `as_nanos`' 128-bit division.
fn deadline_millis(deadline: Duration) -> u32 {
    let part = u64::from(deadline.subsec_nanos().div_ceil(1_000_000));
    let millis = deadline.as_secs().saturating_mul(1000).saturating_add(part);
    u32::try_from(millis).unwrap_or(u32::MAX)
}

/// A request frame's head, from borrowed parts: what a client that keeps the method, metadata
/// and body itself writes before the body, with nothing cloned.
#[derive(Debug, Clone, Copy)]
pub struct RequestHead<'a> {
    /// As [`Request::call_id`].
    pub call_id: u32,
    /// As [`Request::method`].
    pub method: &'a ByteStr,
    /// As [`Request::deadline`].
    pub deadline: Option<Duration>,
    /// As [`Request::metadata`].
    pub metadata: &'a [(ByteStr, ByteStr)],
    /// The length of the body that follows.
    pub body_len: usize,
    /// Whether the body that follows is zstd-compressed ([`FLAG_ZSTD`]).
    pub zstd: bool,
}

impl RequestHead<'_> {
    fn flags(&self) -> u8 {
        let mut flags = 0;
        if self.deadline.is_some() {
            flags |= FLAG_DEADLINE;
        }
        if !self.metadata.is_empty() {
            flags |= FLAG_METADATA;
        }
        if self.zstd {
            flags |= FLAG_ZSTD;
        }
        flags
    }

    /// The length the frame header announces: everything after the header.
    pub fn frame_body_len(&self) -> usize {
        let deadline = if self.deadline.is_some() { 4 } else { 0 };
        let metadata = if self.metadata.is_empty() {
            0
        } else {
            let pairs = self.metadata.iter().take(usize::from(u16::MAX));
            2 + pairs
                .map(|(k, v)| 4 + short_len(k) + short_len(v))
                .sum::<usize>()
        };
        2 + short_len(self.method) + deadline + metadata + self.body_len
    }

    /// Appends the frame's header and every field before the body. Names and metadata longer
    /// than 65,535 bytes are cut.
    pub fn encode(&self, dst: &mut BytesMut) {
        let frame_body_len = self.frame_body_len();
        put_header(
            dst,
            frame_body_len,
            Kind::Request,
            self.flags(),
            self.call_id,
        );
        put_short_str(dst, self.method);
        if let Some(deadline) = self.deadline {
            dst.put_u32(deadline_millis(deadline));
        }
        if !self.metadata.is_empty() {
            dst.put_u16(u16::try_from(self.metadata.len()).unwrap_or(u16::MAX));
            for (key, value) in self.metadata.iter().take(usize::from(u16::MAX)) {
                put_short_str(dst, key);
                put_short_str(dst, value);
            }
        }
    }
}

impl Request {
    /// This request's head, borrowing its parts.
    pub fn head(&self) -> RequestHead<'_> {
        RequestHead {
            call_id: self.call_id,
            method: &self.method,
            deadline: self.deadline,
            metadata: &self.metadata,
            body_len: self.body.len(),
            zstd: false,
        }
    }

    /// The length the frame header announces: everything after the header.
    pub fn body_len(&self) -> usize {
        self.head().frame_body_len()
    }

    /// Appends this request as one frame. Names and metadata longer than 65,535 bytes are cut.
    pub fn encode(&self, dst: &mut BytesMut) {
        self.encode_head(dst);
        dst.put_slice(&self.body);
    }

    /// Appends the frame without its body, which the caller sends right after: a large body
    /// can then go to the socket from where it is instead of being copied behind its head.
    pub fn encode_head(&self, dst: &mut BytesMut) {
        self.head().encode(dst);
    }
}

impl Response {
    /// Appends this response as one frame.
    pub fn encode(&self, dst: &mut BytesMut) {
        self.encode_as(Kind::Response, dst);
    }

    /// Appends the frame without its body, which the caller sends right after (see
    /// [`Request::encode_head`]).
    pub fn encode_head(&self, dst: &mut BytesMut) {
        self.encode_head_as(Kind::Response, dst);
    }

    /// Appends the head of this response, whose body holds zstd-compressed bytes, with
    /// [`FLAG_ZSTD`] set; the body follows, as with [`Response::encode_head`].
    pub fn encode_zstd_head(&self, dst: &mut BytesMut) {
        self.encode_head_with(Kind::Response, FLAG_ZSTD, dst);
    }

    fn encode_as(&self, kind: Kind, dst: &mut BytesMut) {
        self.encode_head_as(kind, dst);
        dst.put_slice(&self.body);
    }

    fn encode_head_as(&self, kind: Kind, dst: &mut BytesMut) {
        self.encode_head_with(kind, 0, dst);
    }

    fn encode_head_with(&self, kind: Kind, flags: u8, dst: &mut BytesMut) {
        put_header(dst, 1 + self.body.len(), kind, flags, self.call_id);
        dst.put_u8(self.status.as_u8());
    }
}

impl Frame {
    /// The call this frame belongs to (0 for connection-level frames).
    pub fn call_id(&self) -> u32 {
        match self {
            Frame::Request(request) => request.call_id,
            Frame::Response(response) | Frame::StreamEnd(response) | Frame::Refused(response) => {
                response.call_id
            }
            Frame::Cancel { call_id }
            | Frame::StreamItem { call_id, .. }
            | Frame::StreamCredit { call_id, .. } => *call_id,
            Frame::GoAway(goaway) => goaway.last_call_id,
            Frame::Ping { .. } | Frame::Pong { .. } => 0,
        }
    }

    /// Appends this frame's bytes to `dst`.
    pub fn encode(&self, dst: &mut BytesMut) {
        match self {
            Frame::Request(request) => request.encode(dst),
            Frame::Response(response) => response.encode(dst),
            Frame::StreamEnd(response) => response.encode_as(Kind::StreamEnd, dst),
            Frame::Refused(response) => response.encode_as(Kind::Refused, dst),
            Frame::Cancel { call_id } => put_header(dst, 0, Kind::Cancel, 0, *call_id),
            Frame::Ping { payload } => encode_u64(dst, Kind::Ping, *payload),
            Frame::Pong { payload } => encode_u64(dst, Kind::Pong, *payload),
            Frame::GoAway(goaway) => {
                put_header(
                    dst,
                    1 + goaway.message.len(),
                    Kind::GoAway,
                    0,
                    goaway.last_call_id,
                );
                dst.put_u8(goaway.status.as_u8());
                dst.put_slice(goaway.message.as_bytes());
            }
            Frame::StreamItem {
                call_id,
                body,
                more,
            } => {
                encode_item_head(dst, *call_id, body.len(), *more);
                dst.put_slice(body);
            }
            Frame::StreamCredit { call_id, bytes } => {
                put_header(dst, 4, Kind::StreamCredit, 0, *call_id);
                dst.put_u32(*bytes);
            }
        }
    }
}

/// Appends a stream item frame's header, for a body of `body_len` bytes the caller sends right
/// after (a large item then goes to the socket from where it is).
pub fn encode_item_head(dst: &mut BytesMut, call_id: u32, body_len: usize, more: bool) {
    let flags = if more { FLAG_MORE } else { 0 };
    put_header(dst, body_len, Kind::StreamItem, flags, call_id);
}

fn encode_u64(dst: &mut BytesMut, kind: Kind, payload: u64) {
    put_header(dst, 8, kind, 0, 0);
    dst.put_u64(payload);
}

/// A frame header, already checked against the length limit.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Header {
    pub(crate) len: u32,
    pub(crate) kind: u8,
    pub(crate) flags: u8,
    pub(crate) call_id: u32,
}

impl Header {
    pub(crate) fn peek(src: &[u8]) -> Option<Header> {
        let mut bytes = src.get(..HEADER_LEN)?;
        Some(Header {
            len: bytes.get_u32(),
            kind: bytes.get_u8(),
            flags: bytes.get_u8(),
            call_id: bytes.get_u32(),
        })
    }

    /// Parses a whole frame body according to this header.
    pub(crate) fn parse(self, body: Bytes) -> Result<Frame, WireError> {
        let kind = Kind::from_u8(self.kind).ok_or(WireError::UnknownKind(self.kind))?;
        let mut body = BodyReader { kind, rest: body };
        let call_id = self.call_id;
        let frame = match kind {
            Kind::Request => Frame::Request(body.request(self.flags, call_id)?),
            Kind::Response => Frame::Response(body.response(call_id)?),
            Kind::StreamEnd => Frame::StreamEnd(body.response(call_id)?),
            Kind::Refused => Frame::Refused(body.response(call_id)?),
            Kind::Cancel => Frame::Cancel { call_id },
            Kind::Ping => Frame::Ping {
                payload: body.u64()?,
            },
            Kind::Pong => Frame::Pong {
                payload: body.u64()?,
            },
            Kind::GoAway => Frame::GoAway(GoAway {
                last_call_id: call_id,
                status: body.status()?,
                message: body.text(body.rest.len())?,
            }),
            Kind::StreamItem => {
                if self.flags & !FLAG_MORE != 0 {
                    return Err(body.malformed("unknown stream item flags"));
                }
                Frame::StreamItem {
                    call_id,
                    body: body.rest(),
                    more: self.flags & FLAG_MORE != 0,
                }
            }
            Kind::StreamCredit => Frame::StreamCredit {
                call_id,
                bytes: body.u32()?,
            },
        };
        body.finish(frame)
    }
}

/// A cursor over one frame body that names the kind in every error.
struct BodyReader {
    kind: Kind,
    rest: Bytes,
}

impl BodyReader {
    fn malformed(&self, reason: &'static str) -> WireError {
        WireError::Malformed {
            kind: self.kind,
            reason,
        }
    }

    fn take(&mut self, n: usize) -> Result<Bytes, WireError> {
        self.check_left(n)?;
        Ok(self.rest.split_to(n))
    }

    fn check_left(&self, n: usize) -> Result<(), WireError> {
        if self.rest.len() < n {
            return Err(self.malformed("body shorter than its fields"));
        }
        Ok(())
    }

    /// Numbers are read in place: splitting them off as `Bytes` would cost a reference count
    /// increment and decrement each, on every frame.
    fn u16(&mut self) -> Result<u16, WireError> {
        self.check_left(2)?;
        Ok(self.rest.get_u16())
    }

    fn u32(&mut self) -> Result<u32, WireError> {
        self.check_left(4)?;
        Ok(self.rest.get_u32())
    }

    fn u64(&mut self) -> Result<u64, WireError> {
        self.check_left(8)?;
        Ok(self.rest.get_u64())
    }

    fn text(&mut self, len: usize) -> Result<ByteStr, WireError> {
        let bytes = self.take(len)?;
        ByteStr::from_utf8(bytes).map_err(|_| self.malformed("text is not UTF-8"))
    }

    fn short_text(&mut self) -> Result<ByteStr, WireError> {
        let len = self.u16()?;
        self.text(usize::from(len))
    }

    fn status(&mut self) -> Result<Status, WireError> {
        self.check_left(1)?;
        let byte = self.rest.get_u8();
        Status::from_u8(byte).ok_or_else(|| self.malformed("unknown status code"))
    }

    fn rest(&mut self) -> Bytes {
        std::mem::take(&mut self.rest)
    }

    fn finish(self, frame: Frame) -> Result<Frame, WireError> {
        if self.rest.is_empty() {
            Ok(frame)
        } else {
            Err(self.malformed("trailing bytes after the body"))
        }
    }

    fn response(&mut self, call_id: u32) -> Result<Response, WireError> {
        let status = self.status()?;
        Ok(Response {
            call_id,
            status,
            body: self.rest(),
        })
    }

    fn request(&mut self, flags: u8, call_id: u32) -> Result<Request, WireError> {
        if flags & !(FLAG_DEADLINE | FLAG_METADATA) != 0 {
            return Err(self.malformed("unknown request flags"));
        }
        let method = self.short_text()?;
        let deadline = if flags & FLAG_DEADLINE != 0 {
            Some(Duration::from_millis(u64::from(self.u32()?)))
        } else {
            None
        };
        let metadata = if flags & FLAG_METADATA != 0 {
            self.metadata()?
        } else {
            Vec::new()
        };
        Ok(Request {
            call_id,
            method,
            deadline,
            metadata,
            body: self.rest(),
        })
    }

    fn metadata(&mut self) -> Result<Metadata, WireError> {
        let count = usize::from(self.u16()?);
        // Each pair takes at least 4 bytes, which bounds the allocation by the frame size.
        if count * 4 > self.rest.len() {
            return Err(self.malformed("metadata count larger than the body"));
        }
        let mut pairs = Vec::with_capacity(count);
        for _ in 0..count {
            pairs.push((self.short_text()?, self.short_text()?));
        }
        Ok(pairs)
    }
}
