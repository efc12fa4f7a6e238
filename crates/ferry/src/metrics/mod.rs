//! What a server counts about its calls, and the pages that show it.
//!
//! Every call on every dialect is counted by service, method, status and dialect, with its
//! duration in a histogram of [`BUCKETS`] buckets from 10 µs to 100 s. Each method's figures
//! ([`MethodMetrics`]) are made when the method is registered, so a call looks nothing up by
//! name; calls of unknown methods share the figures named [`OTHER`]. A call is counted before
//! its answer is written, so a scrape right after an answer includes it.
//!
//! A server serves the figures on its port (with `ferry_http`): `/metrics` in the Prometheus
//! text format ([`prometheus`]), `/status` and `/status.json` ([`status`]), `/rpcz` and
//! `/rpcz.json` (the calls kept in [`RecentCalls`]). From Rust:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! use ferry::{Dialect, Status};
//!
//! let router = ferry::Router::new().function("calc.add", ["a", "b"], |a: i64, b: i64| async move { a + b });
//! let server = ferry::Server::bind("127.0.0.1:0", router).await?;
//! let add = server.telemetry().methods().iter().find(|m| m.method() == "add").unwrap().clone();
//! assert_eq!(add.histogram(Dialect::Native, Status::Ok).snapshot().count(), 0);
//! # Ok(())
//! # }
//! ```
//!
//! Client-side figures come from [`ClientMetrics`], a client layer.

mod buckets;
mod client;
pub(crate) mod counted;
mod histogram;
pub(crate) mod history;
mod method;
mod process;
pub mod prometheus;
pub(crate) mod recent;
pub mod status;
pub(crate) mod tally;
mod telemetry;

pub use buckets::{bound_seconds, bucket_of, BOUNDS_NANOS, BUCKETS};
pub use client::{ClientMetrics, CLIENT_DURATION, MAX_CLIENT_METHODS};
pub use histogram::{Histogram, Snapshot};
pub use history::{Point, HISTORY_LEN};
pub use method::{MethodMetrics, OTHER};
pub use process::ProcessFigures;
pub use recent::{
    RecentCall, RecentCalls, KEEP_ALL_BELOW, MAX_KEPT_NAME, RECENT_LEN, SLOWEST_FOR, SLOWEST_LEN,
};
pub use telemetry::{Telemetry, TICK};
