//! The partial uploads directory, `DIR/.partial/`: naming, locking and removing the files an
//! upload writes before it lands.
//!
//! A resumable upload to `PATH` writes `<H>.data` and records its progress in `<H>.json`
//! (through `<H>.json.tmp`), where `<H>` is the first 32 hexadecimal digits of the BLAKE3 of
//! the normalised `PATH`: the same target always finds the same partial. A `PUT` writes
//! `put-<pid>-<n>-<nanos>.data`, a name no other upload shares.

use std::{
    fs::File,
    io,
    os::fd::{AsFd, BorrowedFd},
    sync::atomic::{AtomicU64, Ordering},
    time::{SystemTime, UNIX_EPOCH},
};

use rustix::{
    fs::{AtFlags, FlockOperation, Mode, OFlags},
    io::Errno,
};

use crate::{error::io_error, RemotePath};

/// How many hexadecimal digits of the target's hash name its partial (128 bits).
const NAME_DIGITS: usize = 32;

/// The prefix of a `PUT`'s partial file.
const PUT_PREFIX: &str = "put-";

/// The mode of every partial file: the store's own, not for other users.
const FILE_MODE: u32 = 0o600;

/// How often a lock is retaken when the name moved to another file while it was being taken.
const LOCK_RETRIES: usize = 8;

/// The names of one upload's partial files, inside `DIR/.partial/`.
#[derive(Debug, Clone)]
pub(crate) struct PartialNames {
    /// The bytes received.
    pub(crate) data: String,
    /// The progress record of a resumable upload.
    pub(crate) sidecar: String,
    /// Where a new progress record is written before it is renamed over the old one.
    pub(crate) temp: String,
}

impl PartialNames {
    /// The names of the resumable upload to `target`.
    pub(crate) fn for_target(target: &RemotePath) -> PartialNames {
        let hash = blake3::hash(target.as_str().as_bytes()).to_hex();
        PartialNames::from_stem(&hash[..NAME_DIGITS])
    }

    /// Fresh names for a `PUT`.
    pub(crate) fn for_put() -> PartialNames {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let count = COUNTER.fetch_add(1, Ordering::Relaxed);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_nanos());
        let stem = format!("{PUT_PREFIX}{:x}-{count:x}-{nanos:x}", std::process::id());
        PartialNames::from_stem(&stem)
    }

    fn from_stem(stem: &str) -> PartialNames {
        PartialNames {
            data: format!("{stem}.data"),
            sidecar: format!("{stem}.json"),
            temp: format!("{stem}.json.tmp"),
        }
    }
}

/// Opens (creating it if missing; only if missing when `create_new`) the partial file `name`
/// and takes its exclusive lock without waiting; `None` when another upload holds it.
///
/// The lock is checked to be on the file still at `name`: an upload that held it may have
/// landed (renamed it into place) or discarded it between the open and the lock, and the
/// file then locked would be the landed one, or one nobody can find.
pub(crate) fn open_locked(
    partial: BorrowedFd<'_>,
    name: &str,
    create_new: bool,
) -> io::Result<Option<File>> {
    let mut flags = OFlags::RDWR | OFlags::CREATE | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    if create_new {
        flags |= OFlags::EXCL;
    }
    for _ in 0..LOCK_RETRIES {
        let fd = rustix::fs::openat(partial, name, flags, Mode::from_raw_mode(FILE_MODE))
            .map_err(io_error)?;
        match rustix::fs::flock(&fd, FlockOperation::NonBlockingLockExclusive) {
            Err(Errno::WOULDBLOCK) => return Ok(None),
            locked => locked.map_err(io_error)?,
        }
        if still_named(partial, name, fd.as_fd())? {
            return Ok(Some(File::from(fd)));
        }
    }
    Err(io::Error::other(
        "the partial file kept changing while its lock was taken",
    ))
}

/// Whether `name` in `partial` is the file open as `fd`.
fn still_named(partial: BorrowedFd<'_>, name: &str, fd: BorrowedFd<'_>) -> io::Result<bool> {
    let open = rustix::fs::fstat(fd).map_err(io_error)?;
    match rustix::fs::statat(partial, name, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(named) => Ok(named.st_dev == open.st_dev && named.st_ino == open.st_ino),
        Err(Errno::NOENT) => Ok(false),
        Err(errno) => Err(io_error(errno)),
    }
}

/// Removes `name` from `partial`; one already gone is as good.
pub(crate) fn remove(partial: BorrowedFd<'_>, name: &str) -> io::Result<()> {
    match rustix::fs::unlinkat(partial, name, AtFlags::empty()) {
        Ok(()) | Err(Errno::NOENT) => Ok(()),
        Err(errno) => Err(io_error(errno)),
    }
}

/// Removes every `PUT` partial no live upload holds: what a crash left behind. A `PUT`
/// cannot resume, so its bytes are of no use to anyone.
pub(crate) fn remove_abandoned_puts(partial: BorrowedFd<'_>) {
    let Ok(dir) = rustix::fs::Dir::read_from(partial) else {
        return;
    };
    for entry in dir.flatten() {
        let Ok(name) = entry.file_name().to_str() else {
            continue;
        };
        if !name.starts_with(PUT_PREFIX) {
            continue;
        }
        if let Ok(Some(_locked)) = open_locked(partial, name, false) {
            // Removed while locked, so no upload can take it meanwhile.
            let _ = remove(partial, name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_target_always_has_the_same_partial_and_puts_never_share() {
        let path = RemotePath::parse("a/b.bin").unwrap();
        let (one, two) = (
            PartialNames::for_target(&path),
            PartialNames::for_target(&path),
        );
        assert_eq!(one.data, two.data);
        assert_eq!(one.data.len(), NAME_DIGITS + ".data".len());
        assert_eq!(one.sidecar, one.data.replace(".data", ".json"));
        let other = PartialNames::for_target(&RemotePath::parse("a/c.bin").unwrap());
        assert_ne!(one.data, other.data);
        assert_ne!(PartialNames::for_put().data, PartialNames::for_put().data);
        assert!(PartialNames::for_put().data.starts_with(PUT_PREFIX));
    }
}
