//! Why a stream cannot go on.

use ferry_wire::Status;

use crate::CallError;

/// Why a stream cannot go on: the call ended or was cancelled, the peer stopped reading or
/// gave up, the deadline passed, the connection broke, or an item did not fit. `?` turns it
/// into the [`CallError`] a handler returns, whatever the handler's own error type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status}: {message}")]
pub struct StreamError {
    status: Status,
    message: String,
}

impl StreamError {
    /// A stream error with `status` and a one-line message.
    pub fn new(status: Status, message: impl Into<String>) -> StreamError {
        StreamError {
            status,
            message: message.into(),
        }
    }

    /// What kind of end.
    pub fn status(&self) -> Status {
        self.status
    }

    /// What happened, in one line.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl From<CallError> for StreamError {
    fn from(err: CallError) -> StreamError {
        let message = err.message().map_or_else(|| err.to_string(), str::to_owned);
        StreamError::new(err.status(), message)
    }
}

impl<E> From<StreamError> for CallError<E> {
    fn from(err: StreamError) -> CallError<E> {
        CallError::new(err.status, err.message)
    }
}
