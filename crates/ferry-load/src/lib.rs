//! A load engine: drives any [`Target`] with many connections and outstanding calls, and
//! reports throughput, latency percentiles and errors by status.
//!
//! `ferry bench` runs it against a ferry server through [`FerryTarget`]; the side-by-side
//! comparisons in the repository's `bench/` run it against other frameworks with the same
//! settings.
//!
//! Two loops:
//!
//! - **Closed loop** (no [`LoadConfig::rate`]): `conns` connections × `inflight` slots each;
//!   every slot calls, records the latency, and calls again until the time is up.
//! - **Open loop** ([`LoadConfig::rate`] set): calls are due on a fixed schedule, spread evenly
//!   over the connections, and each connection's `inflight` slots take the next due call as
//!   they come free. A call that starts late because every slot of its connection was busy is
//!   timed from when it was due, so a server stall shows in the latencies instead of being
//!   hidden by the engine sending less (coordinated omission). Every call is timed from when it
//!   was due, so the engine sends on time: an idle connection sleeps on an exact timer (a
//!   timerfd on Linux; tokio's 1 ms wheel elsewhere) until shortly before the call is due and
//!   spends the rest of the wait giving the runtime turns, bounded to an eighth of the time
//!   between its calls. How long after it was due each call was sent is reported apart, as
//!   [`Report::send_lag`]: the part of the latency the engine's timing, or a wait for a free
//!   slot, added. Calls still not started when the time is up are counted as
//!   [`Report::missed`].
//!
//! Calls answered during the warmup are not recorded (in an open loop: calls due during it).
//! A call a server kept waiting through the warmup is recorded with its whole wait, so a
//! starved connection shows in the latencies. Every measured call, failed or not, is
//! counted and timed; failures are also counted by status in [`Report::errors`]. Calls still
//! outstanding when the time is up are awaited and recorded, so the target is never left with
//! abandoned calls; [`Report::elapsed`] includes that drain. In a closed loop, the calls a
//! connection's task finds answered in one wake share one clock reading, which also starts
//! the calls that replace them: they were answered together, within the microseconds that
//! handing out a burst of answers takes.
//!
//! Each connection is driven by one task that keeps its `inflight` calls outstanding, and keeps
//! its own latency histogram (microseconds) and error counts, merged at the end: the hot path
//! takes no lock and wakes no task per call, and the calls freed by one burst of answers are
//! made together, so a target can send them in one write.

mod config;
mod error;
mod ferry_target;
mod lane;
mod pace;
mod percentiles;
mod phases;
mod progress;
mod recorder;
mod report;
mod run;
mod slots;
mod timer;

use ferry::Bytes;

pub use config::LoadConfig;
pub use error::LoadError;
pub use ferry_target::{ConnectClient, FerryConn, FerryTarget};
pub use percentiles::Percentiles;
pub use report::Report;
pub use run::run;

/// A boxed, sendable future: `futures_util`'s own, so the name means what it means there.
pub use futures_util::future::BoxFuture;

/// What the engine loads: a way to open connections and to make one call on a connection.
pub trait Target: Send + Sync + 'static {
    /// One connection's handle, shared by the calls outstanding on it.
    type Conn: Clone + Send + Sync + 'static;

    /// Opens one connection; `Err` is a one-line reason.
    fn connect(&self) -> BoxFuture<'static, Result<Self::Conn, String>>;

    /// Makes one call carrying `payload`; `Err` is the status name, e.g. `"unavailable"`.
    /// The payload is lent: a target that sends it clones it (a reference count), and one
    /// that sends something else costs the engine nothing per call.
    fn call(conn: &Self::Conn, payload: &Bytes) -> BoxFuture<'static, Result<(), String>>;
}
