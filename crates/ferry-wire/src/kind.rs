//! Frame kinds and header flags.

/// What a frame is. The byte values are part of the protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[repr(u8)]
pub enum Kind {
    /// A call: method, optional deadline and metadata, arguments.
    Request = 0x01,
    /// The answer to a call: status and result or error object.
    Response = 0x02,
    /// The caller gave up on a call.
    Cancel = 0x03,
    /// Liveness probe; the peer answers with a pong carrying the same payload.
    Ping = 0x04,
    /// The answer to a ping.
    Pong = 0x05,
    /// Graceful shutdown: no new calls; calls up to the carried id will be answered.
    GoAway = 0x06,
    /// One item of a streaming call.
    StreamItem = 0x07,
    /// The end of a stream, with its status.
    StreamEnd = 0x08,
    /// Flow control: the receiver grants the sender more bytes of items.
    StreamCredit = 0x09,
    /// The answer to a call the server did not run (refused before dispatch: shutting down,
    /// over a limit): same layout as a response. A caller may send the call again elsewhere.
    Refused = 0x0A,
}

impl Kind {
    /// The kind for a wire byte.
    pub fn from_u8(byte: u8) -> Option<Kind> {
        Some(match byte {
            0x01 => Kind::Request,
            0x02 => Kind::Response,
            0x03 => Kind::Cancel,
            0x04 => Kind::Ping,
            0x05 => Kind::Pong,
            0x06 => Kind::GoAway,
            0x07 => Kind::StreamItem,
            0x08 => Kind::StreamEnd,
            0x09 => Kind::StreamCredit,
            0x0A => Kind::Refused,
            _ => return None,
        })
    }
}

/// Request flag: a 4-byte deadline (milliseconds left) follows the method name.
pub const FLAG_DEADLINE: u8 = 0x01;
/// Request flag: a metadata block follows the deadline.
pub const FLAG_METADATA: u8 = 0x02;
/// Stream item flag: the item goes on in the next item frame of the same call.
pub const FLAG_MORE: u8 = 0x01;
/// Request and response flag: the body (the arguments or the result, after every other field)
/// is one zstd frame. Only on a connection whose prefaces both accept zstd.
pub const FLAG_ZSTD: u8 = 0x80;
