//! Landing: the verified partial renamed into its target's directory, then made durable.

use std::os::fd::OwnedFd;

use rustix::{fs::AtFlags, io::Errno};

use crate::{error::io_error, FilesError, RemotePath, Root};

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
        errno => failed(io_error(errno)),
    })?;
    rustix::fs::fsync(&dir).map_err(|errno| failed(io_error(errno)))?;
    rustix::fs::fsync(root.partial()).map_err(|errno| failed(io_error(errno)))?;
    Ok(replaced)
}

/// Whether something is at `name` in `dir` that the landing file replaces; a directory there
/// cannot be replaced.
fn replaces(dir: &OwnedFd, target: &RemotePath, name: &str) -> Result<bool, FilesError> {
    match rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(stat) if rustix::fs::FileType::from_raw_mode(stat.st_mode).is_dir() => {
            Err(in_the_way(target))
        }
        Ok(_) => Ok(true),
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
