//! The store: a directory held open, and every read operation resolved beneath it.

use std::{
    fs::{File, Metadata},
    os::fd::{AsFd, BorrowedFd, OwnedFd},
    path::{Path, PathBuf},
    sync::Arc,
};

use rustix::fs::{Mode, OFlags};

use crate::{
    hash_cache::{HashCache, Version},
    hashing,
    info::modified_ns,
    partial,
    remote_path::PARTIAL_DIR,
    resolver::{dir_flags, Resolver},
    Download, Entry, FileInfo, FilesError, RemotePath, Resolve, RootConfig, Source, Upload,
};

/// A directory whose files are served, listed and uploaded, and nothing outside it.
///
/// The directory is opened once, by [`Root::open`]; every later operation resolves its path
/// beneath that descriptor (see [`Resolve`]) and refuses symbolic links, so renaming,
/// replacing or linking anything inside the directory never leads an operation outside it.
/// Cloning is cheap (one `Arc`); clones share the descriptor and the hash cache.
///
/// The calls are blocking file-system work: from async code, run them on a blocking thread
/// (`tokio::task::spawn_blocking`).
///
/// ```
/// use ferry_files::{Root, RootConfig};
///
/// let dir = std::env::temp_dir().join(format!("ferry-files-doc-{}", std::process::id()));
/// let root = Root::open(&dir, RootConfig::default())?;
/// let mut upload = root.begin_put("notes/hello.txt", None)?;
/// upload.write(b"hello")?;
/// let landed = upload.finish()?;
/// assert_eq!(landed.blake3, blake3::hash(b"hello").to_hex().as_str());
/// assert_eq!(root.stat("notes/hello.txt")?.size, 5);
/// assert!(root.stat("../etc/passwd").is_err());
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), ferry_files::FilesError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Root {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// The root directory.
    dir: OwnedFd,
    /// `DIR/.partial`, where uploads are written until they land.
    partial: OwnedFd,
    /// Where the root is, for messages about the root itself.
    path: PathBuf,
    config: RootConfig,
    resolver: Resolver,
    hashes: HashCache,
}

/// How a file is opened to be read or described: `O_NONBLOCK` so that a named pipe someone
/// left in the tree cannot hang the open; it changes nothing for files and directories.
fn read_flags() -> OFlags {
    OFlags::RDONLY | OFlags::NONBLOCK | OFlags::NOCTTY
}

impl Root {
    /// Opens (creating it and `DIR/.partial` if missing) the directory `dir` as a store.
    /// Partial `PUT` uploads that no live upload holds, left by a crash, are removed.
    pub fn open(dir: &Path, config: RootConfig) -> Result<Root, FilesError> {
        let shown = dir.display().to_string();
        let shown = shown.as_str();
        let failed = move |action| move |err| FilesError::from_io(shown, action, err);
        std::fs::create_dir_all(dir).map_err(failed("create the store directory"))?;
        let flags = dir_flags() | OFlags::CLOEXEC;
        let fd = rustix::fs::open(dir, flags, Mode::empty())
            .map_err(|errno| failed("open the store directory")(errno.into()))?;
        let resolver = Resolver::choose(config.resolve, fd.as_fd())
            .map_err(failed("resolve paths with openat2 in"))?;
        let partial = resolver
            .open_dir_creating(fd.as_fd(), &[PARTIAL_DIR])
            .map_err(failed("open the partial uploads directory of"))?;
        partial::remove_abandoned_puts(partial.as_fd());
        let inner = Inner {
            dir: fd,
            partial,
            path: dir.to_owned(),
            config,
            resolver,
            hashes: HashCache::default(),
        };
        Ok(Root {
            inner: Arc::new(inner),
        })
    }

    /// Where the root is on this machine.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// The limits in force.
    pub fn config(&self) -> &RootConfig {
        &self.inner.config
    }

    /// How paths are resolved here: [`Resolve::Openat2`] or [`Resolve::Walk`].
    pub fn resolve(&self) -> Resolve {
        self.inner.resolver.mode()
    }

    /// Describes the file or directory at `path` (the empty path is the root). A file's
    /// BLAKE3 is computed on first use and remembered while its inode, size and times stay
    /// the same.
    pub fn stat(&self, path: &str) -> Result<FileInfo, FilesError> {
        let path = RemotePath::parse(path)?;
        let (file, metadata) = self.open_existing(&path)?;
        if metadata.is_dir() {
            return Ok(info(&path, &metadata, None));
        }
        let blake3 = self.blake3_of(&path, &file, &metadata)?;
        Ok(info(&path, &metadata, Some(blake3)))
    }

    /// The files and directories in the directory at `path`, sorted by name. Symbolic links,
    /// devices, sockets, pipes and names that are not UTF-8 are left out (the store never
    /// serves them), as is `.partial` at the root.
    pub fn list(&self, path: &str) -> Result<Vec<Entry>, FilesError> {
        let path = RemotePath::parse(path)?;
        let (dir, metadata) = self.open_existing(&path)?;
        if !metadata.is_dir() {
            return Err(wrong_kind(&path, &metadata, "a directory"));
        }
        let failed = |err| FilesError::from_io(path.as_str(), "list", err);
        let mut entries = Vec::new();
        for entry in rustix::fs::Dir::read_from(&dir).map_err(|errno| failed(errno.into()))? {
            let entry = entry.map_err(|errno| failed(errno.into()))?;
            let Ok(name) = entry.file_name().to_str() else {
                continue;
            };
            let hidden = name == "." || name == ".." || (path.is_root() && name == PARTIAL_DIR);
            if !hidden {
                entries.extend(listed(dir.as_fd(), name));
            }
        }
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(entries)
    }

    /// Opens the file at `path` to be read, with its description (hash included).
    pub fn open_read(&self, path: &str) -> Result<Download, FilesError> {
        let path = RemotePath::parse(path)?;
        let (file, metadata) = self.open_file(&path)?;
        let blake3 = self.blake3_of(&path, &file, &metadata)?;
        let info = info(&path, &metadata, Some(blake3));
        Ok(Download { info, file })
    }

    /// The BLAKE3 of the first `len` bytes of the file at `path`, for a downloader checking
    /// the part it already holds; `len` past the end is refused.
    pub fn prefix_hash(&self, path: &str, len: u64) -> Result<String, FilesError> {
        let path = RemotePath::parse(path)?;
        let (file, metadata) = self.open_file(&path)?;
        if len > metadata.len() {
            let (path, size) = (path.to_string(), metadata.len());
            return Err(FilesError::BeyondEnd { path, len, size });
        }
        let hasher = hashing::hash_prefix(&file, len)
            .map_err(|err| FilesError::from_io(path.as_str(), "read", err))?;
        Ok(hashing::hex(&hasher))
    }

    /// Begins (or resumes) a verified upload of `source` to `path`; see [`Upload`].
    pub fn begin_upload(&self, path: &str, source: Source) -> Result<Upload, FilesError> {
        Upload::resumable(self.clone(), RemotePath::parse(path)?, source)
    }

    /// Begins a one-shot upload to `path` of bytes whose size is not known in advance (an
    /// HTTP `PUT`), bounded by [`RootConfig::max_file_size`]. Their hash is computed as they
    /// arrive; when `expected_blake3` is given, `finish` lands them only if it matches. See
    /// [`Upload`].
    pub fn begin_put(
        &self,
        path: &str,
        expected_blake3: Option<&str>,
    ) -> Result<Upload, FilesError> {
        Upload::put(self.clone(), RemotePath::parse(path)?, expected_blake3)
    }

    /// The root directory's descriptor.
    pub(crate) fn dir(&self) -> BorrowedFd<'_> {
        self.inner.dir.as_fd()
    }

    /// The partial uploads directory's descriptor.
    pub(crate) fn partial(&self) -> BorrowedFd<'_> {
        self.inner.partial.as_fd()
    }

    pub(crate) fn resolver(&self) -> Resolver {
        self.inner.resolver
    }

    /// Opens whatever is at `path` (a file or a directory) for reading.
    fn open_existing(&self, path: &RemotePath) -> Result<(File, Metadata), FilesError> {
        let failed = |err| FilesError::from_io(path.as_str(), "open", err);
        let fd = self
            .resolver()
            .open(self.dir(), &path.components(), read_flags(), Mode::empty())
            .map_err(failed)?;
        let file = File::from(fd);
        let metadata = file.metadata().map_err(failed)?;
        if !metadata.is_dir() && !metadata.is_file() {
            return Err(wrong_kind(path, &metadata, "a regular file or a directory"));
        }
        Ok((file, metadata))
    }

    /// Opens the regular file at `path` for reading.
    fn open_file(&self, path: &RemotePath) -> Result<(File, Metadata), FilesError> {
        let (file, metadata) = self.open_existing(path)?;
        if !metadata.is_file() {
            return Err(wrong_kind(path, &metadata, "a regular file"));
        }
        Ok((file, metadata))
    }

    /// Remembers `hash` for this version of `file`: an upload that just landed knows it, and
    /// the first download need not read the whole file again to learn it.
    pub(crate) fn remember_hash(&self, file: &File, hash: String) {
        if let Ok(metadata) = file.metadata() {
            self.inner.hashes.insert(Version::of(&metadata), hash);
        }
    }

    /// The hash of `file`, from the cache when this version of it was hashed before.
    fn blake3_of(
        &self,
        path: &RemotePath,
        file: &File,
        metadata: &Metadata,
    ) -> Result<String, FilesError> {
        let version = Version::of(metadata);
        if let Some(hash) = self.inner.hashes.get(&version) {
            return Ok(hash);
        }
        let failed = |err| FilesError::from_io(path.as_str(), "read", err);
        let hash = hashing::hex(&hashing::hash_prefix(file, metadata.len()).map_err(failed)?);
        // A file written to while it was hashed is not remembered under either version.
        if file
            .metadata()
            .is_ok_and(|now| Version::of(&now) == version)
        {
            self.inner.hashes.insert(version, hash.clone());
        }
        Ok(hash)
    }
}

fn info(path: &RemotePath, metadata: &Metadata, blake3: Option<String>) -> FileInfo {
    FileInfo {
        path: path.to_string(),
        size: metadata.len(),
        modified_ns: modified_ns(metadata),
        is_dir: metadata.is_dir(),
        blake3,
    }
}

fn wrong_kind(path: &RemotePath, metadata: &Metadata, wanted: &'static str) -> FilesError {
    let found = if metadata.is_dir() {
        "a directory"
    } else if metadata.is_file() {
        "a regular file"
    } else {
        "neither a regular file nor a directory"
    };
    let path = if path.is_root() {
        "the root".to_owned()
    } else {
        path.to_string()
    };
    FilesError::WrongKind {
        path,
        found,
        wanted,
    }
}

/// The listing entry of `name` in `dir`: `None` for what is not served, or vanished meanwhile.
fn listed(dir: BorrowedFd<'_>, name: &str) -> Option<Entry> {
    let flags = OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let fd = rustix::fs::openat(dir, name, flags, Mode::empty()).ok()?;
    let metadata = File::from(fd).metadata().ok()?;
    (metadata.is_dir() || metadata.is_file()).then(|| Entry {
        name: name.to_owned(),
        is_dir: metadata.is_dir(),
        size: metadata.len(),
        modified_ns: modified_ns(&metadata),
    })
}
