//! A file opened to be read, with the description it was opened under.

use std::{fs::File, os::unix::fs::FileExt};

use crate::{FileInfo, FilesError};

/// A file opened by [`Root::open_read`](crate::Root::open_read).
///
/// `info` (hash included) describes the file as it was opened; reads go to the same open
/// file, so renaming or replacing the path meanwhile changes nothing about what is read.
/// A transfer reads it in chunks at increasing offsets with [`Download::read_at`], resuming
/// at whatever offset the receiver already holds.
#[derive(Debug)]
pub struct Download {
    /// The file's description when it was opened.
    pub info: FileInfo,
    /// The open file, positioned at its start.
    pub file: File,
}

impl Download {
    /// Reads into `buf` from `offset`; 0 at or past the end. The file's position is not
    /// moved, so reads at different offsets may be made from several threads.
    pub fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize, FilesError> {
        self.file
            .read_at(buf, offset)
            .map_err(|err| FilesError::from_io(&self.info.path, "read", err))
    }

    /// The size in bytes when it was opened.
    pub fn len(&self) -> u64 {
        self.info.size
    }

    /// Whether it was empty when it was opened.
    pub fn is_empty(&self) -> bool {
        self.info.size == 0
    }
}
