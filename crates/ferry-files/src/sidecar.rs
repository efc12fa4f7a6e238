//! The progress record of a resumable upload: which upload the partial bytes belong to, and
//! how many of them are known to be on disk.

use std::{
    fs::File,
    io::{self, Read, Write},
    os::fd::BorrowedFd,
};

use rustix::fs::{Mode, OFlags};
use serde::{Deserialize, Serialize};

use crate::{error::io_error, partial::PartialNames, Source};

/// A record longer than this is not one the store wrote.
const MAX_LEN: u64 = 64 * 1024;

/// `DIR/.partial/<H>.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Sidecar {
    /// The normalised target path, so that a hash collision of two targets cannot mix them.
    pub(crate) target: String,
    /// What is being uploaded.
    pub(crate) source: Source,
    /// How many bytes of the data file were fsynced before this record was written.
    pub(crate) durable: u64,
}

impl Sidecar {
    /// The record in `partial`, if there is one the store can read.
    pub(crate) fn read(partial: BorrowedFd<'_>, names: &PartialNames) -> Option<Sidecar> {
        let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let fd = rustix::fs::openat(partial, &names.sidecar, flags, Mode::empty()).ok()?;
        let mut text = Vec::new();
        File::from(fd).take(MAX_LEN).read_to_end(&mut text).ok()?;
        serde_json::from_slice(&text).ok()
    }

    /// Replaces the record in `partial`, never leaving a torn one: written to a temporary
    /// name, fsynced, then renamed over the old one.
    pub(crate) fn write(&self, partial: BorrowedFd<'_>, names: &PartialNames) -> io::Result<()> {
        let flags =
            OFlags::WRONLY | OFlags::CREATE | OFlags::TRUNC | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let mode = Mode::from_raw_mode(0o600);
        let fd = rustix::fs::openat(partial, &names.temp, flags, mode).map_err(io_error)?;
        let mut file = File::from(fd);
        file.write_all(&serde_json::to_vec(self).map_err(io::Error::other)?)?;
        file.sync_all()?;
        rustix::fs::renameat(partial, &names.temp, partial, &names.sidecar).map_err(io_error)
    }
}
