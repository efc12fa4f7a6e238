//! What the store says about a file or a directory entry.

use std::{fs::Metadata, os::unix::fs::MetadataExt};

use serde::{Deserialize, Serialize};

/// A file or directory under the root, as [`Root::stat`](crate::Root::stat) describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FileInfo {
    /// The normalised path (see [`RemotePath`](crate::RemotePath)); empty for the root.
    pub path: String,
    /// The size in bytes (a directory's is what the file system reports).
    pub size: u64,
    /// The last modification, in nanoseconds since the Unix epoch (negative before 1970).
    pub modified_ns: i64,
    /// Whether it is a directory.
    pub is_dir: bool,
    /// The BLAKE3 hash of the whole file, 64 lowercase hexadecimal digits; `None` for a
    /// directory.
    pub blake3: Option<String>,
}

/// One entry of a directory listing ([`Root::list`](crate::Root::list)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Entry {
    /// The entry's name within its directory.
    pub name: String,
    /// Whether it is a directory.
    pub is_dir: bool,
    /// The size in bytes.
    pub size: u64,
    /// The last modification, in nanoseconds since the Unix epoch.
    pub modified_ns: i64,
}

/// The modification time of `metadata` in nanoseconds since the epoch, saturating far from
/// it: how [`FileInfo::modified_ns`] and a sender's [`Source::modified_ns`](crate::Source)
/// count time.
pub fn modified_ns(metadata: &Metadata) -> i64 {
    metadata
        .mtime()
        .saturating_mul(1_000_000_000)
        .saturating_add(metadata.mtime_nsec())
}
