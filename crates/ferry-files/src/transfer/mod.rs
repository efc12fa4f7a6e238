//! The native transfer protocol: the `files` service's methods and the items they stream, as
//! `ferry serve --files DIR` serves them ([`FilesService`](crate::FilesService)) and
//! `ferry put` / `ferry get` call them ([`FilesClient`]), with the blocking-thread plumbing
//! both sides use to overlap disk and socket.
//!
//! ```text
//!  put:  request(path, size, modified_ns, blake3)  ─▶
//!                         ◀─ Offer { resume_from, prefix_blake3 }
//!        [Restart] Data … Data, end               ─▶   (from resume_from, or 0 after Restart)
//!                         ◀─ Landed { path, bytes, blake3 }, answer ok
//!  get:  request(path, offset, blake3)            ─▶
//!                         ◀─ bytes … bytes, answer ok   (from offset to the end)
//! ```
//!
//! Every path is confined to the store's root exactly as [`Root`](crate::Root)'s own calls
//! are, and every failure is answered with [`FilesError::status`](crate::FilesError::status)
//! and the error's one-line message.

mod chunks;
mod events;
mod feed;

use ferry::{Bytes, CallError, Sink, Source};

pub use crate::info::modified_ns;
pub use chunks::{read_chunks, CHUNK};
pub use events::{PutEvent, PutItem};
pub use feed::{Feed, Writer};

use crate::{Entry, FileInfo};

/// A file store on the native protocol: describe, list, upload and download files under one
/// directory.
#[ferry::service]
pub trait Files {
    /// Describes the file or directory at `path` (the empty path is the root), a file with
    /// its BLAKE3.
    async fn stat(&self, path: String) -> Result<FileInfo, CallError>;
    /// The entries of the directory at `path`, sorted by name.
    async fn list(&self, path: String) -> Result<Vec<Entry>, CallError>;
    /// The BLAKE3 of the first `len` bytes of the file at `path`: for a downloader checking
    /// the part it already holds.
    async fn prefix_hash(&self, path: String, len: u64) -> Result<String, CallError>;
    /// Uploads a file of `size` bytes, modified at `modified_ns`, hashing to `blake3`, to
    /// `path`. The first item back is an offer: how many bytes of this same file are already
    /// stored, and their BLAKE3. The caller then streams `restart` (only if its own prefix
    /// hashes differently) and the data from there; once it is all there and verified, the
    /// file lands and the last item back says so (`PutEvent`, `PutItem`).
    async fn put(
        &self,
        path: String,
        size: u64,
        modified_ns: i64,
        blake3: String,
        data: Source<PutItem>,
        out: Sink<PutEvent>,
    ) -> Result<(), CallError>;
    /// Streams the file at `path` from byte `offset` to its end, in chunks; refused when
    /// `blake3` is given and the file no longer hashes to it.
    async fn get(
        &self,
        path: String,
        offset: u64,
        blake3: Option<String>,
        out: Sink<Bytes>,
    ) -> Result<(), CallError>;
}

pub use crate::hashing::hash_prefix;
