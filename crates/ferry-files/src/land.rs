//! Landing: the verified partial renamed into its target's directory, then made durable.

use std::os::fd::OwnedFd;

use rustix::{
    fs::{AtFlags, FileType, Mode},
    io::Errno,
};

use crate::{error::io_error, resolver::dir_flags, FilesError, RemotePath, Root};

/// Moves the partial file `data` to `target`, creating the target's missing directories
/// (without following links), and fsyncs both directories. Whether a file was replaced.
pub(crate) fn land(root: &Root, target: &RemotePath, data: &str) -> Result<bool, FilesError> {
    let (parents, name) = target
        .split_last()
        .expect("an upload's target is checked not to be the root");
    let failed = |err| FilesError::from_io(target.as_str(), "store", err);
    let dir = root
        .resolver()
        .open_dir_creating(root.dir(), &parents)
        .map_err(failed)?;
    let replaced = replaces(&dir, target, name)?;
    rustix::fs::renameat(root.partial(), data, &dir, name).map_err(|errno| match errno {
        Errno::ISDIR | Errno::NOTEMPTY | Errno::EXIST => in_the_way(target),
        // Not an escape: another file system is mounted inside the root.
        Errno::XDEV => FilesError::Io {
            path: target.to_string(),
            action: "land across a mount point",
            source: io_error(errno),
        },
        errno => failed(io_error(errno)),
    })?;
    rustix::fs::fsync(&dir).map_err(|errno| failed(io_error(errno)))?;
    rustix::fs::fsync(root.partial()).map_err(|errno| failed(io_error(errno)))?;
    Ok(replaced)
}

/// Refuses, before any byte is sent, a target that could not land: one whose directories
/// are links, not directories, or hold a directory or a link where the file would go.
/// Missing directories are fine: landing creates them.
pub(crate) fn check_destination(root: &Root, target: &RemotePath) -> Result<(), FilesError> {
    let (parents, name) = target
        .split_last()
        .expect("an upload's target is checked not to be the root");
    let opened = root
        .resolver()
        .open(root.dir(), &parents, dir_flags(), Mode::empty());
    match opened {
        Ok(dir) => replaces(&dir, target, name).map(drop),
        Err(err) if Errno::from_io_error(&err) == Some(Errno::NOENT) => Ok(()),
        Err(err) => Err(FilesError::from_io(target.as_str(), "store", err)),
    }
}

/// Whether something is at `name` in `dir` that the landing file replaces. A directory there
/// cannot be replaced, and a link is not replaced either: the store leaves links alone.
fn replaces(dir: &OwnedFd, target: &RemotePath, name: &str) -> Result<bool, FilesError> {
    match rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(stat) => match rustix::fs::FileType::from_raw_mode(stat.st_mode) {
            FileType::Directory => Err(in_the_way(target)),
            FileType::Symlink => Err(FilesError::from_io(
                target.as_str(),
                "store",
                io_error(Errno::LOOP),
            )),
            _ => Ok(true),
        },
        Err(Errno::NOENT) => Ok(false),
        Err(errno) => Err(FilesError::from_io(
            target.as_str(),
            "store",
            io_error(errno),
        )),
    }
}

fn in_the_way(target: &RemotePath) -> FilesError {
    FilesError::WrongKind {
        path: target.to_string(),
        found: "a directory",
        wanted: "a regular file; remove the directory or choose another name",
    }
}
