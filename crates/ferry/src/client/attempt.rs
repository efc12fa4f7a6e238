//! What one attempt of a call tells a caller that may send it again elsewhere.

use ferry_wire::Status;

use super::unanswered::Unanswered;
use crate::CallError;

/// Why one attempt of a call through a [`Channel`](super::Channel) got no reply, sorted
/// by what it means for sending the call again: whether the server may have run it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum AttemptError {
    /// The server cannot have run the call: connecting failed, the connection was lost before
    /// the request left, or a goaway said the server never took it. Any call may be sent
    /// again, to another server.
    NotRun(CallError),
    /// The server answered that it did not run the call (it is shutting down, or a limit was
    /// hit) with this status and message. Any call may be sent again when the status is
    /// `unavailable` or `overloaded`.
    Refused(CallError),
    /// The request left and the connection was then lost: the server may have run the call,
    /// so only an idempotent one may be sent again.
    Lost(CallError),
    /// Anything else: the deadline passed, or the call was refused before it left (too large,
    /// a protocol the server does not speak). Sending it again would not help.
    Failed(CallError),
}

impl From<AttemptError> for CallError {
    fn from(failure: AttemptError) -> CallError {
        failure.into_error()
    }
}

impl AttemptError {
    /// The error a caller sees.
    pub fn error(&self) -> &CallError {
        match self {
            AttemptError::NotRun(err)
            | AttemptError::Refused(err)
            | AttemptError::Lost(err)
            | AttemptError::Failed(err) => err,
        }
    }

    /// The error a caller sees, owned.
    pub fn into_error(self) -> CallError {
        match self {
            AttemptError::NotRun(err)
            | AttemptError::Refused(err)
            | AttemptError::Lost(err)
            | AttemptError::Failed(err) => err,
        }
    }

    /// Whether the connection failed (could not be made, or was lost): the server is gone or
    /// going, rather than busy.
    pub fn is_connection_failure(&self) -> bool {
        matches!(self, AttemptError::NotRun(_) | AttemptError::Lost(_))
    }

    /// Sorts a connection's failure; `expired` words a passed deadline.
    pub(super) fn of(failure: Unanswered, expired: impl FnOnce() -> CallError) -> AttemptError {
        match failure {
            Unanswered::NotRun(message) => {
                AttemptError::NotRun(CallError::new(Status::Unavailable, message))
            }
            Unanswered::Lost(message) => {
                AttemptError::Lost(CallError::new(Status::Unavailable, message))
            }
            Unanswered::Refused(err) => AttemptError::Refused(err),
            Unanswered::Error(err) => AttemptError::Failed(err),
            Unanswered::Expired => AttemptError::Failed(expired()),
        }
    }

    /// Sorts a failure to connect: a refused or unreachable server did not run the call.
    pub(super) fn of_connecting(err: CallError) -> AttemptError {
        match err.status() {
            Status::Unavailable => AttemptError::NotRun(err),
            _ => AttemptError::Failed(err),
        }
    }
}
