//! Opening a path beneath a directory descriptor without ever leaving it: `openat2` with
//! `RESOLVE_BENEATH`, or a component-by-component walk where the kernel lacks it. Both refuse
//! every symbolic link, so both modes answer the same.

use std::{io, os::fd::BorrowedFd, os::fd::OwnedFd};

use rustix::{
    fs::{AtFlags, Mode, OFlags, ResolveFlags},
    io::Errno,
};

use crate::{error::io_error, Resolve};

/// How a root resolves paths, once chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Resolver {
    /// One `openat2` per open.
    Openat2,
    /// One `openat` per component.
    Walk,
}

/// `openat2` may refuse with `EAGAIN` when a rename raced the lookup; it is retried this many
/// times before the error is passed on.
const RACE_RETRIES: usize = 4;

/// The mode of a directory created for an upload.
const DIR_MODE: u32 = 0o755;

impl Resolver {
    /// The resolver `resolve` asks for, probing `openat2` on `dir` for [`Resolve::Auto`].
    pub(crate) fn choose(resolve: Resolve, dir: BorrowedFd<'_>) -> io::Result<Resolver> {
        match resolve {
            Resolve::Walk => Ok(Resolver::Walk),
            Resolve::Openat2 => probe(dir).map(|()| Resolver::Openat2),
            _ => match probe(dir) {
                Ok(()) => Ok(Resolver::Openat2),
                // No openat2 (old kernel), or a seccomp sandbox refusing it.
                Err(err) if unsupported(&err) => Ok(Resolver::Walk),
                Err(err) => Err(err),
            },
        }
    }

    /// The public name of the mode.
    pub(crate) fn mode(self) -> Resolve {
        match self {
            Resolver::Openat2 => Resolve::Openat2,
            Resolver::Walk => Resolve::Walk,
        }
    }

    /// Opens `components` beneath `base` with `flags` (`O_CLOEXEC` added) and `mode`; no
    /// components opens `base` itself again. A symbolic link anywhere, the last component
    /// included, is `ELOOP`.
    pub(crate) fn open(
        self,
        base: BorrowedFd<'_>,
        components: &[&str],
        flags: OFlags,
        mode: Mode,
    ) -> io::Result<OwnedFd> {
        let flags = flags | OFlags::CLOEXEC;
        match self {
            // Without O_NOFOLLOW a last component that is a link would be followed, which
            // RESOLVE_NO_SYMLINKS refuses with ELOOP; with it, O_DIRECTORY would answer
            // ENOTDIR instead and the link would pass for a missing directory.
            Resolver::Openat2 => openat2(base, &joined(components), flags, mode),
            Resolver::Walk => walk(base, components, flags | OFlags::NOFOLLOW, mode),
        }
    }

    /// The directory `components` names beneath `base`, each missing one created on the way
    /// (`mkdirat`, then opened without following links like every other component).
    pub(crate) fn open_dir_creating(
        self,
        base: BorrowedFd<'_>,
        components: &[&str],
    ) -> io::Result<OwnedFd> {
        let mut dir = self.open(base, &[], dir_flags(), Mode::empty())?;
        for component in components {
            dir = match self.open(dir_fd(&dir), &[component], dir_flags(), Mode::empty()) {
                Err(err) if Errno::from_io_error(&err) == Some(Errno::NOENT) => {
                    make_dir(&dir, component)?;
                    self.open(dir_fd(&dir), &[component], dir_flags(), Mode::empty())?
                }
                opened => opened?,
            };
        }
        Ok(dir)
    }
}

/// How directories are opened on the way: for reading entries, and never as a link.
pub(crate) fn dir_flags() -> OFlags {
    OFlags::RDONLY | OFlags::DIRECTORY
}

fn dir_fd(dir: &OwnedFd) -> BorrowedFd<'_> {
    std::os::fd::AsFd::as_fd(dir)
}

fn make_dir(parent: &OwnedFd, name: &str) -> io::Result<()> {
    match rustix::fs::mkdirat(parent, name, Mode::from_raw_mode(DIR_MODE)) {
        // Another upload made it first: as good.
        Ok(()) | Err(Errno::EXIST) => Ok(()),
        Err(errno) => Err(io_error(errno)),
    }
}

/// The flags every `openat2` resolves with.
fn beneath() -> ResolveFlags {
    ResolveFlags::BENEATH | ResolveFlags::NO_SYMLINKS | ResolveFlags::NO_MAGICLINKS
}

fn probe(dir: BorrowedFd<'_>) -> io::Result<()> {
    let flags = dir_flags() | OFlags::CLOEXEC;
    openat2(dir, ".", flags, Mode::empty()).map(drop)
}

/// Whether `err` says `openat2` cannot be used here at all.
fn unsupported(err: &io::Error) -> bool {
    matches!(
        Errno::from_io_error(err),
        Some(Errno::NOSYS | Errno::PERM | Errno::INVAL | Errno::TOOBIG)
    )
}

fn joined(components: &[&str]) -> String {
    if components.is_empty() {
        return ".".to_owned();
    }
    components.join("/")
}

fn openat2(base: BorrowedFd<'_>, path: &str, flags: OFlags, mode: Mode) -> io::Result<OwnedFd> {
    let mut tries = 0;
    loop {
        match rustix::fs::openat2(base, path, flags, mode, beneath()) {
            Err(Errno::AGAIN) if tries < RACE_RETRIES => tries += 1,
            opened => return opened.map_err(io_error),
        }
    }
}

/// The fallback: each directory opened with `O_NOFOLLOW | O_DIRECTORY` from the one before,
/// the last component with `flags` (which hold `O_NOFOLLOW`). The components were checked by
/// the path rules, so none is `..`, `.` or empty: each step goes one level down.
fn walk(
    base: BorrowedFd<'_>,
    components: &[&str],
    flags: OFlags,
    mode: Mode,
) -> io::Result<OwnedFd> {
    let Some((last, parents)) = components.split_last() else {
        return rustix::fs::openat(base, ".", flags, mode).map_err(io_error);
    };
    let step = dir_flags() | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let mut dir: Option<OwnedFd> = None;
    for parent in parents {
        let from = dir.as_ref().map_or(base, dir_fd);
        dir = Some(openat_no_follow(from, parent, step, Mode::empty())?);
    }
    let from = dir.as_ref().map_or(base, dir_fd);
    openat_no_follow(from, last, flags, mode)
}

/// `openat` of one component whose flags hold `O_NOFOLLOW`. The kernel answers a link opened
/// with `O_DIRECTORY` by `ENOTDIR`, not `ELOOP`: it is turned into `ELOOP` here so that a link
/// is refused the same way in both modes.
fn openat_no_follow(
    from: BorrowedFd<'_>,
    name: &str,
    flags: OFlags,
    mode: Mode,
) -> io::Result<OwnedFd> {
    match rustix::fs::openat(from, name, flags, mode) {
        Err(Errno::NOTDIR) if is_link(from, name) => Err(io_error(Errno::LOOP)),
        opened => opened.map_err(io_error),
    }
}

fn is_link(from: BorrowedFd<'_>, name: &str) -> bool {
    rustix::fs::statat(from, name, AtFlags::SYMLINK_NOFOLLOW).is_ok_and(|stat| {
        rustix::fs::FileType::from_raw_mode(stat.st_mode) == rustix::fs::FileType::Symlink
    })
}
