//! What a `files.put` call streams each way.

use ferry::Bytes;
use serde::{Deserialize, Serialize};

/// What the server of a `files.put` sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PutEvent {
    /// The first item: how many bytes of this source are already stored, and their BLAKE3.
    /// The sender sends from `resume_from` if its own first `resume_from` bytes hash to
    /// `prefix_blake3`, else sends [`PutItem::Restart`] and then everything.
    Offer {
        /// Bytes already stored, durably, from an earlier upload of the same source.
        resume_from: u64,
        /// The BLAKE3 of those bytes as stored, 64 lowercase hexadecimal digits.
        prefix_blake3: String,
    },
    /// The last item: the file landed, verified.
    Landed {
        /// The normalised path it landed at.
        path: String,
        /// Its size in bytes.
        bytes: u64,
        /// The BLAKE3 of what was stored, 64 lowercase hexadecimal digits.
        blake3: String,
    },
}

/// What the sender of a `files.put` streams.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PutItem {
    /// Only as the first item: the offered prefix is not the sender's, so the server drops it
    /// and the data starts at byte 0. Restarting inside the call keeps the partial's lock:
    /// a second call would race the first one's release of it.
    Restart,
    /// The next bytes of the file.
    Data(Bytes),
}
