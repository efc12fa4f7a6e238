//! How much a connection gathers into one write.

/// Stop gathering frames and write once this much is buffered.
///
/// Many small frames share a syscall; a burst of large ones starts going out after 64 KiB
/// instead of after the whole burst is copied, and the copy stays that size.
pub(crate) const WRITE_BATCH_LIMIT: usize = 64 * 1024;
