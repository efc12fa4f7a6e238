//! `#[ferry(blocking)]`: a method that computes runs on tokio's blocking pool, so the
//! connection it came in on goes on answering other calls meanwhile.

use std::{future::Future, panic};

use crate::Reply;

/// Runs `compute` on the blocking pool; a panic in it is a panic of the awaiting handler, which
/// the server answers `internal`.
pub async fn run_blocking<F>(compute: F) -> Reply
where
    F: FnOnce() -> Reply + Send + 'static,
{
    match tokio::task::spawn_blocking(compute).await {
        Ok(reply) => reply,
        Err(err) if err.is_panic() => panic::resume_unwind(err.into_panic()),
        Err(err) => panic!("the blocking pool dropped a method's computation: {err}"),
    }
}

/// Drives a method's future to its end on the current (blocking pool) thread, with the
/// runtime's timers and I/O at hand.
pub fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Handle::current().block_on(future)
}
