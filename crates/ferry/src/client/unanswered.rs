//! Why a call got no answer from the server, and whether re-sending it is safe.

use ferry_wire::Status;

use crate::CallError;

/// A call that ended without a server reply.
#[derive(Debug, Clone)]
pub(crate) enum Unanswered {
    /// The server cannot have run the call (never written, or refused by a goaway): an
    /// idempotent call may be re-sent.
    NotRun(String),
    /// The server answered that it did not run the call (shutting down, over a limit), with
    /// the status and message of its refusal.
    Refused(CallError),
    /// The call was written and the connection was then lost: the server may have run it.
    Lost(String),
    /// Refused locally or by the peer with a definite status.
    Error(CallError),
    /// The call's deadline passed before its answer came; the caller words the error, as it
    /// knows the method and the time it granted.
    Expired,
}

impl Unanswered {
    pub(crate) fn into_error<E>(self) -> CallError<E> {
        match self {
            Unanswered::NotRun(message) | Unanswered::Lost(message) => {
                CallError::new(Status::Unavailable, message)
            }
            Unanswered::Refused(err) | Unanswered::Error(err) => err.widen(),
            Unanswered::Expired => {
                CallError::new(Status::DeadlineExceeded, "the call's deadline passed")
            }
        }
    }
}
