//! File-system work on a blocking thread, its failure as the caller's answer.

use std::panic;

use ferry::{CallError, Status};

use crate::FilesError;

/// Runs `work` on tokio's blocking pool and answers its [`FilesError`] with the error's
/// status and message. A panic in it is the handler's panic, which the server answers
/// `internal`.
pub(super) async fn blocking<T, F>(work: F) -> Result<T, CallError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, FilesError> + Send + 'static,
{
    match tokio::task::spawn_blocking(work).await {
        Ok(result) => result.map_err(answer),
        Err(err) if err.is_panic() => panic::resume_unwind(err.into_panic()),
        Err(_) => Err(CallError::new(
            Status::Unavailable,
            "the server is shutting down; retry the transfer, it resumes",
        )),
    }
}

/// A file store failure as a call's answer.
pub(super) fn answer(err: FilesError) -> CallError {
    CallError::new(err.status(), err.to_string())
}
