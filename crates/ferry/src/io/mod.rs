//! The buffers between a connection's socket and its protocol code, shared by the client and
//! the server: how much to read at once, and the frames waiting to be written.
//!
//! ```text
//!  socket ─read, sized by ReadRoom─▶ input ─decode─▶ frames
//!  frames ─push─▶ WriteQueue ─one vectored write─▶ socket
//! ```

mod adaptive_read;
mod frame_queue;
mod liveness;
mod ping_budget;

pub(crate) use adaptive_read::ReadRoom;
pub(crate) use frame_queue::{poll_write_queue, WriteQueue, WRITE_BATCH_LIMIT};
pub(crate) use liveness::{Liveness, Verdict};
pub(crate) use ping_budget::PingBudget;
