//! Streams, sans-IO: how items are cut into frames and put back together, and how a receiver
//! grants credit so that a sender never gets more than a window ahead of the consumer.
//!
//! ```text
//!  sender                                              receiver
//!   credit: INITIAL_CREDIT ──── item (≤ 64 KiB) ────▶   queue for the consumer
//!                          ──── item, more ─────────▶   reassembly
//!                          ──── item (last part) ───▶   queue
//!   credit += n  ◀────────── credit(n) ──────────────   the consumer took n
//! ```
//!
//! Credit is counted in bytes of item bodies plus [`FRAME_COST`] per frame, so that a stream
//! of empty items is bounded too. A sender starts with [`INITIAL_CREDIT`] (one whole fragment:
//! a short stream needs no round trip), and the receiver grants the rest of its window when it
//! opens the stream.

mod fragments;
mod window;

pub use fragments::Fragments;
pub use window::{ReceiveWindow, Received, StreamFault};

/// The largest item body one frame carries; larger items go in several frames. 64 KiB of
/// data and the few bytes its encoding adds (a MessagePack `bin` header is 5): an item of
/// 64 KiB travels whole rather than as a frame and a 5-byte tail to put back together.
pub const MAX_FRAGMENT_LEN: usize = 64 * 1024 + 64;

/// The credit each frame costs beyond its body: what a receiver spends holding an item apart
/// from its bytes.
pub const FRAME_COST: u64 = 16;

/// The credit a sender has on a new stream before any credit frame: one whole fragment.
pub const INITIAL_CREDIT: u64 = MAX_FRAGMENT_LEN as u64 + FRAME_COST;

/// The default receive window: 1 MiB per stream.
pub const DEFAULT_WINDOW: u64 = 1024 * 1024;

/// The credit an item frame of `body_len` bytes costs.
pub fn cost(body_len: usize) -> u64 {
    body_len as u64 + FRAME_COST
}
