//! A confined, resumable, verified and atomic file store under one directory: what ferry's
//! file transfer (the native `files` service, `ferry put` / `ferry get`) and the HTTP
//! `/files/` routes are built on. No networking here: the store is plain blocking file-system
//! code, for a blocking thread (`tokio::task::spawn_blocking`) of whatever serves it.
//!
//! - **Confined**: [`Root::open`] holds the directory open; every path a client names is
//!   checked by the [path rules](RemotePath) and resolved beneath that descriptor with
//!   `openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS)`, or component by component with
//!   `O_NOFOLLOW` where `openat2` is missing ([`Resolve`]). Symbolic links are never
//!   followed, inside or out.
//! - **Verified**: every file is described with its BLAKE3 ([`Root::stat`]); an upload lands
//!   only if its bytes hash to what the sender declared.
//! - **Resumable**: an upload writes under `DIR/.partial/`, fsyncs every
//!   [`fsync_every`](RootConfig::fsync_every) bytes and records how much is durable, so the
//!   same upload after a disconnect or a crash goes on from there ([`Upload`]).
//! - **Atomic**: a finished upload is renamed into place and its directory fsynced: readers
//!   see the old file or the new one, whole.
//!
//! ```
//! use ferry_files::{Root, RootConfig, Source};
//!
//! let dir = std::env::temp_dir().join(format!("ferry-files-lib-{}", std::process::id()));
//! let root = Root::open(&dir, RootConfig::default())?;
//! let bytes = b"twelve bytes";
//! let source = Source {
//!     size: bytes.len() as u64,
//!     modified_ns: 0,
//!     blake3: blake3::hash(bytes).to_hex().to_string(),
//! };
//! let mut upload = root.begin_upload("inbox/a.txt", source)?;
//! assert_eq!(upload.resume_from(), 0);
//! upload.write(&bytes[upload.resume_from() as usize..])?;
//! let landed = upload.finish()?;
//! assert_eq!(landed.bytes, 12);
//!
//! let download = root.open_read("inbox/a.txt")?;
//! let mut buf = [0u8; 6];
//! assert_eq!(download.read_at(6, &mut buf)?, 6);
//! assert_eq!(&buf, b" bytes");
//! assert_eq!(download.info.blake3.as_deref(), Some(landed.blake3.as_str()));
//! # std::fs::remove_dir_all(&dir).unwrap();
//! # Ok::<(), ferry_files::FilesError>(())
//! ```

mod config;
mod download;
mod error;
mod flusher;
mod hash_cache;
mod hashing;
mod info;
mod land;
mod partial;
mod remote_path;
mod resolver;
mod root;
mod service;
mod sidecar;
pub mod transfer;
mod upload;

pub use config::{Resolve, RootConfig};
pub use download::Download;
pub use error::FilesError;
pub use flusher::Flusher;
pub use info::{Entry, FileInfo};
pub use remote_path::RemotePath;
pub use root::Root;
pub use service::FilesService;
pub use transfer::{
    read_chunks, Feed, Files, FilesClient, FilesServer, PutEvent, PutItem, Writer, CHUNK,
};
pub use upload::{Landed, Source, Upload};
