//! How a [`Root`](crate::Root) stores files: its limits and how it resolves paths.

/// How paths are resolved beneath the root.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Resolve {
    /// `openat2` when the kernel has it, else [`Resolve::Walk`] (the default).
    #[default]
    Auto,
    /// Every open is one `openat2` call with `RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
    /// RESOLVE_NO_MAGICLINKS` from the root's directory descriptor; opening the root fails
    /// where the kernel or a sandbox refuses `openat2`.
    Openat2,
    /// Component by component from the root's directory descriptor: `openat` with
    /// `O_NOFOLLOW | O_DIRECTORY` for each directory and `O_NOFOLLOW` for the last component,
    /// for kernels and sandboxes without `openat2`.
    Walk,
}

/// The limits of a [`Root`](crate::Root) and how it resolves paths.
///
/// ```
/// let config = ferry_files::RootConfig::default()
///     .max_file_size(1 << 30)
///     .fsync_every(8 << 20);
/// assert_eq!(config.max_file_size, 1 << 30);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
#[must_use]
pub struct RootConfig {
    /// The largest file accepted, in bytes (default 64 GiB). A resumable upload declaring
    /// more is refused when it begins; a streamed `PUT` is cut off when it passes it.
    pub max_file_size: u64,
    /// How many bytes an upload writes between two fsyncs (default 64 MiB): what a crash can
    /// cost a resumable upload, which resumes from the last fsync. 0 counts as 1.
    pub fsync_every: u64,
    /// How paths are resolved (default [`Resolve::Auto`]).
    pub resolve: Resolve,
}

/// 64 GiB.
const DEFAULT_MAX_FILE_SIZE: u64 = 64 << 30;

/// 64 MiB.
const DEFAULT_FSYNC_EVERY: u64 = 64 << 20;

impl Default for RootConfig {
    fn default() -> RootConfig {
        RootConfig {
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            fsync_every: DEFAULT_FSYNC_EVERY,
            resolve: Resolve::Auto,
        }
    }
}

impl RootConfig {
    /// Sets the largest file accepted, in bytes.
    pub fn max_file_size(mut self, max: u64) -> RootConfig {
        self.max_file_size = max;
        self
    }

    /// Sets how many bytes an upload writes between two fsyncs.
    pub fn fsync_every(mut self, bytes: u64) -> RootConfig {
        self.fsync_every = bytes;
        self
    }

    /// Sets how paths are resolved.
    pub fn resolve(mut self, resolve: Resolve) -> RootConfig {
        self.resolve = resolve;
        self
    }
}
