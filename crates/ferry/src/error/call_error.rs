//! What a caller gets when a call does not return a result.

use std::{fmt, io, sync::Arc};

use serde::{Deserialize, Serialize};

use ferry_wire::Status;

/// The error of a remote call. `E` is the handler's own error type, returned to the caller as
/// [`CallError::Application`]; every other status has its own variant.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum CallError<E = NoError> {
    /// The handler returned its own error.
    #[error("application error: {0}")]
    Application(E),
    /// No such service or method on the server.
    #[error("unknown method: {0}")]
    UnknownMethod(String),
    /// The arguments do not decode into the method's parameters.
    #[error("invalid arguments: {0}")]
    InvalidArgs(String),
    /// The call's deadline passed.
    #[error("deadline exceeded: {0}")]
    DeadlineExceeded(String),
    /// The call was cancelled.
    #[error("cancelled: {0}")]
    Cancelled(String),
    /// A server limit was hit; retry later or elsewhere.
    #[error("overloaded: {0}")]
    Overloaded(String),
    /// The server is shutting down or could not be reached.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// A frame or body over the configured maximum.
    #[error("too large: {0}")]
    TooLarge(String),
    /// The caller did not prove who it is.
    #[error("unauthenticated: {0}")]
    Unauthenticated(String),
    /// The caller may not make this call.
    #[error("permission denied: {0}")]
    PermissionDenied(String),
    /// The handler panicked or the server hit a bug.
    #[error("internal error: {0}")]
    Internal(String),
    /// The peer sent bytes that do not follow the protocol.
    #[error("protocol error: {0}")]
    Protocol(String),
    /// The connection failed.
    #[error("i/o error: {0}")]
    Io(Arc<io::Error>),
}

impl<E> CallError<E> {
    /// The error for a non-ok, non-application status and its message.
    pub fn from_status(status: Status, message: String) -> CallError<E> {
        match status {
            Status::UnknownMethod => CallError::UnknownMethod(message),
            Status::InvalidArgs => CallError::InvalidArgs(message),
            Status::DeadlineExceeded => CallError::DeadlineExceeded(message),
            Status::Cancelled => CallError::Cancelled(message),
            Status::Overloaded => CallError::Overloaded(message),
            Status::Unavailable => CallError::Unavailable(message),
            Status::TooLarge => CallError::TooLarge(message),
            Status::Unauthenticated => CallError::Unauthenticated(message),
            Status::PermissionDenied => CallError::PermissionDenied(message),
            Status::Internal => CallError::Internal(message),
            _ => CallError::Protocol(format!("unexpected status {status}: {message}")),
        }
    }

    /// The status this error stands for.
    pub fn status(&self) -> Status {
        match self {
            CallError::Application(_) => Status::Application,
            CallError::UnknownMethod(_) => Status::UnknownMethod,
            CallError::InvalidArgs(_) => Status::InvalidArgs,
            CallError::DeadlineExceeded(_) => Status::DeadlineExceeded,
            CallError::Cancelled(_) => Status::Cancelled,
            CallError::Overloaded(_) => Status::Overloaded,
            CallError::Unavailable(_) | CallError::Io(_) => Status::Unavailable,
            CallError::TooLarge(_) => Status::TooLarge,
            CallError::Unauthenticated(_) => Status::Unauthenticated,
            CallError::PermissionDenied(_) => Status::PermissionDenied,
            CallError::Internal(_) => Status::Internal,
            CallError::Protocol(_) => Status::Protocol,
        }
    }

    /// The one-line message of any variant but `Application`, whose message is its value's.
    pub fn message(&self) -> Option<String> {
        Some(match self {
            CallError::Application(_) => return None,
            CallError::UnknownMethod(m)
            | CallError::InvalidArgs(m)
            | CallError::DeadlineExceeded(m)
            | CallError::Cancelled(m)
            | CallError::Overloaded(m)
            | CallError::Unavailable(m)
            | CallError::TooLarge(m)
            | CallError::Unauthenticated(m)
            | CallError::PermissionDenied(m)
            | CallError::Internal(m)
            | CallError::Protocol(m) => m.clone(),
            CallError::Io(err) => err.to_string(),
        })
    }

    /// Converts the application error, keeping every other variant.
    pub fn map_application<F>(self, map: impl FnOnce(E) -> F) -> CallError<F> {
        match self {
            CallError::Application(err) => CallError::Application(map(err)),
            CallError::UnknownMethod(m) => CallError::UnknownMethod(m),
            CallError::InvalidArgs(m) => CallError::InvalidArgs(m),
            CallError::DeadlineExceeded(m) => CallError::DeadlineExceeded(m),
            CallError::Cancelled(m) => CallError::Cancelled(m),
            CallError::Overloaded(m) => CallError::Overloaded(m),
            CallError::Unavailable(m) => CallError::Unavailable(m),
            CallError::TooLarge(m) => CallError::TooLarge(m),
            CallError::Unauthenticated(m) => CallError::Unauthenticated(m),
            CallError::PermissionDenied(m) => CallError::PermissionDenied(m),
            CallError::Internal(m) => CallError::Internal(m),
            CallError::Protocol(m) => CallError::Protocol(m),
            CallError::Io(err) => CallError::Io(err),
        }
    }
}

impl<E> From<io::Error> for CallError<E> {
    fn from(err: io::Error) -> CallError<E> {
        CallError::Io(Arc::new(err))
    }
}

/// The error type of methods that cannot fail on their own: it has no values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum NoError {}

impl fmt::Display for NoError {
    fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {}
    }
}

impl std::error::Error for NoError {}
