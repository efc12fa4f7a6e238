//! An upload in progress: bytes appended to a partial file, hashed as they pass, fsynced
//! every so often, and landed by one rename once they are all there and verified.

use std::{fs::File, os::unix::fs::FileExt};

use serde::{Deserialize, Serialize};

use crate::{
    hashing,
    land::{check_destination, land},
    partial,
    partial::PartialNames,
    sidecar::Sidecar,
    FilesError, Flusher, RemotePath, Root,
};

/// What a resumable upload sends, as the sender sees it: its identity. A partial upload is
/// resumed only by an upload of an equal `Source`; a changed file (another size, time or
/// hash) starts again from 0.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// The file's size in bytes; exactly this many must be written before `finish`.
    pub size: u64,
    /// The sender's modification time, in nanoseconds since the Unix epoch.
    pub modified_ns: i64,
    /// The BLAKE3 of the whole file, 64 hexadecimal digits (any case).
    pub blake3: String,
}

/// A file that landed: what is now at its path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Landed {
    /// The normalised path it landed at.
    pub path: String,
    /// Its size in bytes.
    pub bytes: u64,
    /// The BLAKE3 of its bytes, 64 lowercase hexadecimal digits.
    pub blake3: String,
    /// Whether it replaced a file that was there.
    pub replaced: bool,
}

/// What kind of upload it is.
#[derive(Debug)]
enum Kind {
    /// [`Root::begin_upload`]: declared size and hash, resumable.
    Resumable(Source),
    /// [`Root::begin_put`]: size and hash learnt as the bytes arrive.
    Put {
        /// The hash the bytes must have, when the sender gave one.
        expected: Option<String>,
    },
}

/// An upload in progress, holding its partial file under `DIR/.partial/` (and that file's
/// exclusive lock) until it lands or is dropped.
///
/// **Resumable** ([`Root::begin_upload`]): the partial is named after the target path, so
/// an upload of the same [`Source`] to the same path after a disconnect or a crash takes it
/// over: [`resume_from`](Upload::resume_from) says how many bytes are already stored (those
/// fsynced: at most [`fsync_every`](crate::RootConfig::fsync_every) bytes are sent twice)
/// and [`prefix_blake3`](Upload::prefix_blake3) their hash, for the sender to check against
/// its own bytes, calling [`restart`](Upload::restart) if they differ. Two live uploads to
/// one path: the one that began first holds the lock and lands; the other gets
/// [`FilesError::Busy`]. Dropping an upload keeps its partial for the next one.
///
/// **Put** ([`Root::begin_put`]): a partial of its own, removed when the upload is dropped
/// unfinished; nothing resumes it.
///
/// Either way, [`finish`](Upload::finish) verifies the hash and then lands the file by
/// renaming it into place, so a reader of the target path sees the old file or the whole
/// new one, never a part.
#[derive(Debug)]
pub struct Upload {
    root: Root,
    target: RemotePath,
    names: PartialNames,
    file: File,
    kind: Kind,
    /// Bytes in the partial file, all of them hashed into `hasher`.
    written: u64,
    /// Bytes written since the last fsync.
    since_sync: u64,
    resume_from: u64,
    prefix_blake3: String,
    hasher: blake3::Hasher,
    /// Whether the partial has landed or been discarded: nothing left to clean up.
    done: bool,
    /// The checkpoint running beside the writes (see [`Upload::write`]).
    syncing: Flusher,
}

impl Upload {
    /// Opens (or takes over) the partial of a resumable upload of `source` to `target`.
    pub(crate) fn resumable(
        root: Root,
        target: RemotePath,
        mut source: Source,
    ) -> Result<Upload, FilesError> {
        check_target(&root, &target)?;
        source.blake3 = canonical_hash(&target, &source.blake3)?;
        let max = root.config().max_file_size;
        if source.size > max {
            let (path, size) = (target.to_string(), source.size);
            return Err(FilesError::TooLarge { path, size, max });
        }
        let names = PartialNames::for_target(&target);
        let file = lock(&root, &target, &names.data, false)?;
        let sidecar = Sidecar::read(root.partial(), &names);
        let mut upload = Upload::new(root, target, names, file, Kind::Resumable(source));
        upload.resume(sidecar)?;
        Ok(upload)
    }

    /// A `PUT` to `target` with a fresh partial, checked against `expected` when given.
    pub(crate) fn put(
        root: Root,
        target: RemotePath,
        expected: Option<&str>,
    ) -> Result<Upload, FilesError> {
        check_target(&root, &target)?;
        let expected = expected
            .map(|hash| canonical_hash(&target, hash))
            .transpose()?;
        let names = PartialNames::for_put();
        let file = lock(&root, &target, &names.data, true)?;
        Ok(Upload::new(
            root,
            target,
            names,
            file,
            Kind::Put { expected },
        ))
    }

    fn new(root: Root, target: RemotePath, names: PartialNames, file: File, kind: Kind) -> Upload {
        let hasher = blake3::Hasher::new();
        Upload {
            root,
            target,
            names,
            file,
            kind,
            written: 0,
            since_sync: 0,
            resume_from: 0,
            prefix_blake3: hashing::hex(&hasher),
            hasher,
            done: false,
            syncing: Flusher::default(),
        }
    }

    /// The normalised target path.
    pub fn path(&self) -> &str {
        self.target.as_str()
    }

    /// How many bytes were already stored when the upload began: the sender sends from here.
    pub fn resume_from(&self) -> u64 {
        self.resume_from
    }

    /// The BLAKE3 of the first [`resume_from`](Upload::resume_from) bytes as stored, read
    /// back from disk (of nothing, when starting from 0).
    pub fn prefix_blake3(&self) -> &str {
        &self.prefix_blake3
    }

    /// How many bytes are stored now.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// The declared size of a resumable upload; `None` for a `PUT`.
    pub fn size(&self) -> Option<u64> {
        match &self.kind {
            Kind::Resumable(source) => Some(source.size),
            Kind::Put { .. } => None,
        }
    }

    /// Starts from byte 0, dropping what was stored: for a sender whose own prefix does not
    /// hash to [`prefix_blake3`](Upload::prefix_blake3).
    pub fn restart(&mut self) -> Result<(), FilesError> {
        // A checkpoint still running would record its durable bytes over the restart's 0.
        self.wait_for_sync()?;
        self.file
            .set_len(0)
            .map_err(|err| self.failed("truncate the partial upload of", err))?;
        self.hasher = blake3::Hasher::new();
        (self.written, self.since_sync, self.resume_from) = (0, 0, 0);
        self.prefix_blake3 = hashing::hex(&self.hasher);
        self.record_progress()
    }

    /// Appends `bytes`. Every half [`fsync_every`](crate::RootConfig::fsync_every) bytes the
    /// data is fsynced, and only then recorded as durable, on a thread of its own while the
    /// writes go on (once the previous checkpoint is done): the disk flushes while more bytes
    /// arrive, and no more than `fsync_every` bytes are ever unsynced. Bytes past the declared
    /// size (or past [`max_file_size`](crate::RootConfig::max_file_size) for a `PUT`) are
    /// refused and not written.
    pub fn write(&mut self, bytes: &[u8]) -> Result<(), FilesError> {
        let end = self.written + bytes.len() as u64;
        self.check_room(end)?;
        self.file
            .write_all_at(bytes, self.written)
            .map_err(|err| self.failed("write", err))?;
        self.hasher.update(bytes);
        self.written = end;
        self.since_sync += bytes.len() as u64;
        if self.since_sync >= (self.root.config().fsync_every / 2).max(1) {
            self.checkpoint_beside()?;
        }
        Ok(())
    }

    /// Starts a checkpoint of what is written so far on a thread of its own, after the one
    /// before it finished.
    fn checkpoint_beside(&mut self) -> Result<(), FilesError> {
        let file = self
            .file
            .try_clone()
            .map_err(|err| self.failed("sync", err))?;
        let record = self.progress();
        let (root, names) = (self.root.clone(), self.names.clone());
        self.since_sync = 0;
        let started = self.syncing.start(move || {
            file.sync_data()?;
            match record {
                Some(sidecar) => sidecar.write(root.partial(), &names),
                None => Ok(()),
            }
        });
        started.map_err(|err| self.failed("sync", err))
    }

    /// Waits for the checkpoint running beside the writes, if one is.
    fn wait_for_sync(&mut self) -> Result<(), FilesError> {
        let synced = self.syncing.wait();
        synced.map_err(|err| self.failed("sync", err))
    }

    /// Fsyncs what was written and records it as durable now, rather than at the next
    /// [`fsync_every`](crate::RootConfig::fsync_every) boundary: for a server whose sender went
    /// away, so that the next upload of the same source resends none of the bytes received.
    pub fn save(&mut self) -> Result<(), FilesError> {
        self.wait_for_sync()?;
        self.checkpoint()
    }

    /// Verifies and lands the upload: every declared byte must be there (for a resumable
    /// upload) and the whole hash must be the declared one (when one was declared). On a
    /// mismatch nothing lands and the partial is removed, so a retry starts clean. Landing
    /// creates the target's missing parent directories, renames the partial into place and
    /// fsyncs the directory, so the file is durable once this returns.
    pub fn finish(mut self) -> Result<Landed, FilesError> {
        self.wait_for_sync()?;
        let expected = self.expected_hash()?;
        self.file
            .sync_all()
            .map_err(|err| self.failed("sync", err))?;
        let actual = hashing::hex(&self.hasher);
        if let Some(expected) = expected.filter(|expected| *expected != actual) {
            self.discard();
            let path = self.target.to_string();
            return Err(FilesError::HashMismatch {
                path,
                expected,
                actual,
            });
        }
        // A landing refused now (say a directory in the way) resumes at the end next time.
        self.since_sync = 0;
        self.record_progress()?;
        let replaced = land(&self.root, &self.target, &self.names.data)?;
        self.root.remember_hash(&self.file, actual.clone());
        self.done = true;
        self.forget_progress();
        Ok(Landed {
            path: self.target.to_string(),
            bytes: self.written,
            blake3: actual,
            replaced,
        })
    }

    /// Picks up where the partial's record says the last upload of the same source got to;
    /// anything else starts from 0.
    fn resume(&mut self, sidecar: Option<Sidecar>) -> Result<(), FilesError> {
        let Kind::Resumable(source) = &self.kind else {
            return self.restart();
        };
        let on_disk = self
            .file
            .metadata()
            .map_err(|err| self.failed("read the partial upload of", err))?
            .len();
        let durable = sidecar
            .filter(|sidecar| sidecar.target == self.target.as_str() && sidecar.source == *source)
            .map(|sidecar| sidecar.durable)
            .filter(|durable| *durable <= on_disk);
        match durable {
            Some(durable) => self.resume_at(durable),
            None => self.restart(),
        }
    }

    /// Cuts the data back to its `durable` bytes (a crash may have left more, unsynced) and
    /// hashes them from disk.
    fn resume_at(&mut self, durable: u64) -> Result<(), FilesError> {
        let failed = |err| FilesError::from_io(self.target.as_str(), "resume", err);
        self.file.set_len(durable).map_err(failed)?;
        self.hasher = hashing::hash_prefix(&self.file, durable).map_err(failed)?;
        (self.written, self.resume_from) = (durable, durable);
        self.prefix_blake3 = hashing::hex(&self.hasher);
        Ok(())
    }

    fn check_room(&self, end: u64) -> Result<(), FilesError> {
        let path = || self.target.to_string();
        let max = self.root.config().max_file_size;
        match &self.kind {
            Kind::Resumable(source) if end > source.size => Err(FilesError::BeyondSize {
                path: path(),
                size: source.size,
            }),
            _ if end > max => Err(FilesError::TooLarge {
                path: path(),
                size: end,
                max,
            }),
            _ => Ok(()),
        }
    }

    /// The hash `finish` must find, once it is sure every declared byte is there.
    fn expected_hash(&self) -> Result<Option<String>, FilesError> {
        match &self.kind {
            Kind::Resumable(source) if self.written != source.size => Err(FilesError::Incomplete {
                path: self.target.to_string(),
                written: self.written,
                size: source.size,
            }),
            Kind::Resumable(source) => Ok(Some(source.blake3.clone())),
            Kind::Put { expected } => Ok(expected.clone()),
        }
    }

    /// Fsyncs the data, then records it as durable.
    fn checkpoint(&mut self) -> Result<(), FilesError> {
        self.file
            .sync_all()
            .map_err(|err| self.failed("sync", err))?;
        self.since_sync = 0;
        self.record_progress()
    }

    /// Records `written` as durable in the sidecar of a resumable upload; the caller has
    /// fsynced those bytes (or there are none).
    fn record_progress(&self) -> Result<(), FilesError> {
        let Some(sidecar) = self.progress() else {
            return Ok(());
        };
        sidecar
            .write(self.root.partial(), &self.names)
            .map_err(|err| self.failed("record the progress of", err))
    }

    /// The record saying every byte written so far is durable, for a resumable upload.
    fn progress(&self) -> Option<Sidecar> {
        let Kind::Resumable(source) = &self.kind else {
            return None;
        };
        Some(Sidecar {
            target: self.target.to_string(),
            source: source.clone(),
            durable: self.written,
        })
    }

    /// Removes the progress record of a landed upload; a leftover one only costs a little
    /// space, as the next upload to the path finds no data file to resume.
    fn forget_progress(&self) {
        let partial = self.root.partial();
        let _ = partial::remove(partial, &self.names.sidecar);
        let _ = rustix::fs::fsync(partial);
    }

    /// Removes the partial files; what is gone cannot be resumed.
    fn discard(&mut self) {
        let _ = self.wait_for_sync();
        let partial = self.root.partial();
        let _ = partial::remove(partial, &self.names.data);
        let _ = partial::remove(partial, &self.names.sidecar);
        self.done = true;
    }

    fn failed(&self, action: &'static str, err: std::io::Error) -> FilesError {
        FilesError::from_io(self.target.as_str(), action, err)
    }
}

impl Drop for Upload {
    fn drop(&mut self) {
        // The checkpoint finishes (and records what it synced) before the lock is let go.
        let _ = self.wait_for_sync();
        // A resumable partial is kept for the next upload; a PUT's is of no use to anyone.
        if !self.done && matches!(self.kind, Kind::Put { .. }) {
            self.discard();
        }
    }
}

/// Refuses a target that cannot land: the root, or a path through a link or to a directory.
fn check_target(root: &Root, target: &RemotePath) -> Result<(), FilesError> {
    if target.is_root() {
        return Err(FilesError::WrongKind {
            path: "the root".to_owned(),
            found: "a directory",
            wanted: "a regular file",
        });
    }
    check_destination(root, target)
}

fn canonical_hash(target: &RemotePath, given: &str) -> Result<String, FilesError> {
    hashing::canonical(given).ok_or_else(|| FilesError::BadHash {
        path: target.to_string(),
        given: given.to_owned(),
    })
}

/// The partial file `name`, locked; [`FilesError::Busy`] when another upload holds it.
fn lock(
    root: &Root,
    target: &RemotePath,
    name: &str,
    create_new: bool,
) -> Result<File, FilesError> {
    let failed = |err| FilesError::from_io(target.as_str(), "open the partial upload of", err);
    partial::open_locked(root.partial(), name, create_new)
        .map_err(failed)?
        .ok_or_else(|| FilesError::Busy {
            path: target.to_string(),
        })
}
