//! Why a file operation failed, with the ferry status each reason is answered with.

use std::io;

use ferry_wire::Status;
use rustix::io::Errno;

/// Why a file operation failed. Every message is one line that names the path and says what
/// to do about it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FilesError {
    /// The path breaks a path rule or would lead outside the root; nothing was opened.
    #[error("{path:?} is refused: {reason}")]
    Refused {
        /// The path as the client sent it.
        path: String,
        /// Which rule it breaks, and how to name the file instead.
        reason: String,
    },
    /// Nothing is at the path.
    #[error("no file or directory at {path:?}; list its directory to see what is there")]
    NotFound {
        /// The path as the client sent it.
        path: String,
    },
    /// The path names something other than what the operation needs (a directory where a
    /// file is needed, or the reverse, or a device, socket or pipe).
    #[error("{path:?} is {found}, not {wanted}")]
    WrongKind {
        /// The path as the client sent it.
        path: String,
        /// What is there, e.g. "a directory".
        found: &'static str,
        /// What the operation needs, e.g. "a regular file".
        wanted: &'static str,
    },
    /// Another upload to the same path holds its partial file.
    #[error("another upload to {path:?} is in progress; retry when it ends")]
    Busy {
        /// The target path.
        path: String,
    },
    /// The file is larger than the store accepts.
    #[error("{path:?} is refused: {size} bytes is over this store's {max}-byte limit per file")]
    TooLarge {
        /// The target path.
        path: String,
        /// The declared size, or the bytes received so far.
        size: u64,
        /// The configured limit, `RootConfig::max_file_size`.
        max: u64,
    },
    /// More bytes arrived than the upload declared.
    #[error("{path:?}: more than the declared {size} bytes were sent; start the upload again")]
    BeyondSize {
        /// The target path.
        path: String,
        /// The size the upload declared.
        size: u64,
    },
    /// `finish` came before every declared byte had arrived.
    #[error(
        "{path:?}: {written} of the declared {size} bytes arrived; send the rest, then finish"
    )]
    Incomplete {
        /// The target path.
        path: String,
        /// The bytes stored so far.
        written: u64,
        /// The size the upload declared.
        size: u64,
    },
    /// The bytes received do not hash to the declared BLAKE3; nothing landed.
    #[error("{path:?}: the bytes received hash to {actual}, not the declared {expected}; nothing was stored, send the file again")]
    HashMismatch {
        /// The target path.
        path: String,
        /// The hash the sender declared.
        expected: String,
        /// The hash of what arrived.
        actual: String,
    },
    /// A declared hash is not 64 hexadecimal digits.
    #[error("{path:?}: {given:?} is not a BLAKE3 hash; give 64 hexadecimal digits")]
    BadHash {
        /// The target path.
        path: String,
        /// What was given as the hash.
        given: String,
    },
    /// A prefix longer than the file was asked for.
    #[error("{path:?} holds {size} bytes, fewer than the {len} asked for; ask for at most {size}")]
    BeyondEnd {
        /// The file's path.
        path: String,
        /// The length asked for.
        len: u64,
        /// The file's size.
        size: u64,
    },
    /// The file is no longer the version the caller described: its hash changed, so bytes
    /// read now would not continue what the caller already holds.
    #[error("{path:?} changed: its BLAKE3 is now {actual}, not the {expected} asked for; stat it and download it again")]
    Changed {
        /// The file's path.
        path: String,
        /// The hash the caller expected.
        expected: String,
        /// The file's hash now.
        actual: String,
    },
    /// The file system under the store has no room (or quota) left. What an upload stored
    /// durably before is kept, so it resumes once there is room.
    #[error("the disk under the file store is full while writing {path:?}; free space, then send it again (a resumable upload goes on from what was stored)")]
    DiskFull {
        /// The target path.
        path: String,
    },
    /// Any other failure of the file system.
    #[error("cannot {action} {path:?}: {source}; check the disk and permissions of the store")]
    Io {
        /// The path it was about.
        path: String,
        /// What was being done, e.g. "read".
        action: &'static str,
        /// What the system said.
        #[source]
        source: io::Error,
    },
}

impl FilesError {
    /// The ferry status a caller is answered with.
    pub fn status(&self) -> Status {
        match self {
            FilesError::Refused { .. } => Status::PermissionDenied,
            FilesError::NotFound { .. } => Status::NotFound,
            FilesError::Busy { .. } => Status::Overloaded,
            FilesError::TooLarge { .. } => Status::TooLarge,
            FilesError::WrongKind { .. }
            | FilesError::BeyondSize { .. }
            | FilesError::Incomplete { .. }
            | FilesError::HashMismatch { .. }
            | FilesError::BadHash { .. }
            | FilesError::BeyondEnd { .. }
            | FilesError::Changed { .. } => Status::InvalidArgs,
            // Room may be made: the same upload can succeed later, as after a restart.
            FilesError::DiskFull { .. } => Status::Unavailable,
            FilesError::Io { .. } => Status::Internal,
        }
    }

    /// A refusal of `path` for `reason`.
    pub(crate) fn refused(path: &str, reason: impl Into<String>) -> FilesError {
        FilesError::Refused {
            path: path.to_owned(),
            reason: reason.into(),
        }
    }

    /// What a failed system call on `path` means to a client: a missing file, a refusal
    /// (a symbolic link or an escape), a full disk, or a plain I/O error.
    pub(crate) fn from_io(path: &str, action: &'static str, source: io::Error) -> FilesError {
        if source.kind() == io::ErrorKind::StorageFull {
            return FilesError::DiskFull {
                path: path.to_owned(),
            };
        }
        match Errno::from_io_error(&source) {
            Some(Errno::NOENT | Errno::NOTDIR) => FilesError::NotFound {
                path: path.to_owned(),
            },
            Some(Errno::LOOP) => FilesError::refused(
                path,
                "it passes through a symbolic link, which this store never follows; name the file itself",
            ),
            Some(Errno::XDEV) => FilesError::refused(path, "it leads outside the store's root"),
            Some(Errno::NAMETOOLONG) => FilesError::refused(path, "it is too long for the file system"),
            Some(Errno::NOSPC | Errno::DQUOT) => FilesError::DiskFull {
                path: path.to_owned(),
            },
            _ => FilesError::Io {
                path: path.to_owned(),
                action,
                source,
            },
        }
    }
}

/// A rustix error as the `io::Error` the rest of the crate handles.
pub(crate) fn io_error(errno: Errno) -> io::Error {
    io::Error::from(errno)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_disk_is_its_own_error() {
        for errno in [Errno::NOSPC, Errno::DQUOT] {
            let err = FilesError::from_io("a/b", "write", io_error(errno));
            assert!(matches!(err, FilesError::DiskFull { .. }), "{err:?}");
            assert_eq!(err.status(), Status::Unavailable);
            assert!(err.to_string().contains("disk"), "{err}");
            assert!(err.to_string().contains("a/b"), "{err}");
        }
        let by_kind = io::Error::from(io::ErrorKind::StorageFull);
        let err = FilesError::from_io("x", "write", by_kind);
        assert!(matches!(err, FilesError::DiskFull { .. }), "{err:?}");
    }

    #[test]
    fn system_errors_map_to_client_answers() {
        let of = |errno| FilesError::from_io("p", "open", io_error(errno)).status();
        assert_eq!(of(Errno::NOENT), Status::NotFound);
        assert_eq!(of(Errno::LOOP), Status::PermissionDenied);
        assert_eq!(of(Errno::XDEV), Status::PermissionDenied);
        assert_eq!(of(Errno::IO), Status::Internal);
    }

    #[test]
    fn every_message_is_one_line_naming_the_path() {
        let errors = [
            FilesError::Busy {
                path: "big.iso".into(),
            },
            FilesError::HashMismatch {
                path: "big.iso".into(),
                expected: "aa".into(),
                actual: "bb".into(),
            },
            FilesError::from_io("big.iso", "read", io_error(Errno::IO)),
        ];
        for err in errors {
            let message = err.to_string();
            assert!(
                !message.contains('\n') && message.contains("big.iso"),
                "{message}"
            );
        }
    }
}
