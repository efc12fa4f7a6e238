//! Streaming calls: a method may take a stream of items from its caller, send one back, or
//! both, with flow control by credit (see `ferry_wire::stream` and `docs/PROTOCOL.md`).
//!
//! A handler reads its caller's stream from a [`Source`] and writes its own to a [`Sink`]; the
//! handler's return value ends the call, and with it both streams. A caller reads the server's
//! stream from an [`ItemStream`], which ends with the call's status: `None` after an ok end, an
//! `Err` (then `None`) after any other.
//!
//! ```no_run
//! use ferry::{CallError, Context, Sink, Source};
//!
//! #[ferry::service]
//! pub trait Numbers {
//!     /// Streams `0..n`.
//!     async fn count(&self, n: u64, out: Sink<u64>) -> Result<(), CallError>;
//!     /// Adds a stream of integers.
//!     async fn sum(&self, numbers: Source<i64>) -> Result<i64, CallError>;
//! }
//!
//! struct Impl;
//!
//! impl Numbers for Impl {
//!     async fn count(&self, n: u64, mut out: Sink<u64>) -> Result<(), CallError> {
//!         for i in 0..n {
//!             out.send(i).await?; // waits for credit: never more than a window ahead
//!         }
//!         Ok(())
//!     }
//!
//!     async fn sum(&self, mut numbers: Source<i64>) -> Result<i64, CallError> {
//!         let mut total = 0;
//!         while let Some(number) = numbers.recv().await {
//!             total += number?; // a StreamError: the caller gave up, the connection broke
//!         }
//!         Ok(total)
//!     }
//! }
//! ```

mod config;
mod error;
mod incoming;
mod item_stream;
mod local;
mod port;
mod send_window;
mod sink;
mod source;
mod table;

pub use config::StreamLimits;
pub use error::StreamError;
pub use incoming::RawItem;
pub(crate) use incoming::{Incoming, RawSource};
pub(crate) use item_stream::answer_of;
pub use item_stream::ItemStream;
pub use local::{ItemFeed, ItemTap, LocalStreams};
pub(crate) use port::Port;
pub(crate) use send_window::SendWindow;
pub(crate) use sink::RawSink;
pub use sink::Sink;
pub use source::Source;
pub(crate) use table::{Opened, StreamTable, Ways};

/// The streams of one call, as the dialect that carries it opened them; the handler takes
/// them out of its [`Call`](crate::Call).
#[derive(Debug, Default)]
pub(crate) struct StreamEnds {
    /// The caller's stream, for a method that takes one.
    pub(crate) source: Option<RawSource>,
    /// The stream back to the caller, for a method that sends one.
    pub(crate) sink: Option<RawSink>,
}
