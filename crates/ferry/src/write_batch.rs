//! How much a connection gathers into one write.

/// Stop gathering frames and write once this much is buffered.
///
/// Many small frames share a syscall; large ones are written as they come. Gathering a whole
/// burst of 16 KiB answers before the first write kept the peer idle until the last was
/// encoded, so both sides took turns instead of working at once (16 KiB echo at 16 in flight:
/// 64 KiB made about a fifth more calls per second than 256 KiB).
pub(crate) const WRITE_BATCH_LIMIT: usize = 64 * 1024;
