//! How much a connection gathers into one write.

/// Stop gathering frames and write once this much is buffered.
///
/// Many small frames share a syscall; a burst of large ones starts going out after 64 KiB
/// instead of after the whole burst is gathered, so the peer starts reading sooner. 16 KiB echo
/// with 16 in flight: 69.0k calls/s against 54.7k with a 256 KiB limit (`bench/ab.py`).
pub(crate) const WRITE_BATCH_LIMIT: usize = 64 * 1024;
