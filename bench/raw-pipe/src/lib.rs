//! The ceiling for any one-way stream on this machine: bytes over plain TCP with no framing, no
//! items and no flow control but the kernel's. Plain blocking sockets, one thread per connection:
//! nothing between the copy loop and the kernel, so what this moves is what loopback TCP can move.
//!
//! The exchange: the client opens with a 5-byte header, the direction (`D` or `U`) and the chunk
//! size (u32, little-endian). Down: the server writes chunks from one buffer until the client
//! closes. Up: the server reads and discards until the client shuts its side down, then answers
//! the byte count (u64, little-endian), so that the client reports only bytes that arrived.

pub mod client;
pub mod server;

/// The largest chunk either side accepts: a bound on the buffer a header can make the server
/// allocate.
pub const MAX_CHUNK: usize = 16 * 1024 * 1024;

/// The header byte of a download (server to client).
const DOWN: u8 = b'D';
/// The header byte of an upload (client to server).
const UP: u8 = b'U';
/// The byte every buffer is filled with: not zero, so nothing along the way can treat the
/// payload as empty pages.
const FILL: u8 = 0xa5;
