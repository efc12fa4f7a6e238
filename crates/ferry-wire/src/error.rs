//! What can be wrong with the bytes a peer sent.

use crate::{compress::DecompressError, Kind};

/// A decoding failure. [`WireError::is_fatal`] tells whether the byte stream is still in step.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WireError {
    /// The connection did not start with the ferry magic: this peer does not speak ferry.
    #[error("not a ferry connection: the first bytes are not the ferry preface")]
    BadMagic,
    /// A frame header announced a body over the configured maximum. The body is skipped, not
    /// buffered, and the stream stays in step.
    #[error("frame of {len} bytes is over the {max}-byte limit (call {call_id})")]
    FrameTooLarge {
        /// The frame's kind byte.
        kind: u8,
        /// The frame's call id, so the call can be answered `too_large`.
        call_id: u32,
        /// The announced body length.
        len: u32,
        /// The configured maximum.
        max: u32,
    },
    /// A zstd-compressed body (see [`crate::compress`]) that was refused: it would decompress
    /// past the limit, or is not a zstd frame. The frame was consumed and the stream is in
    /// step, so the call can be answered (`too_large` or `protocol`) and the connection go on.
    #[error("the compressed body of call {call_id} was refused: {fault}")]
    Compressed {
        /// The frame's kind byte.
        kind: u8,
        /// The frame's call id, so the call can be answered.
        call_id: u32,
        /// What was wrong.
        fault: DecompressError,
    },
    /// A frame kind this version does not know. The frame was consumed.
    #[error("unknown frame kind {0:#04x}")]
    UnknownKind(u8),
    /// A frame whose body does not match its kind's layout. The frame was consumed.
    #[error("malformed {kind:?} frame: {reason}")]
    Malformed {
        /// The kind whose layout was violated.
        kind: Kind,
        /// What was wrong, in a few words.
        reason: &'static str,
    },
}

impl WireError {
    /// Whether the stream can no longer be decoded. Only a bad preface is; after any other error
    /// the decoder has consumed or is skipping exactly the offending frame.
    pub fn is_fatal(&self) -> bool {
        matches!(self, WireError::BadMagic)
    }
}
