//! What a caller gets when a call does not return a result, and what a handler answers instead
//! of one.

use std::{fmt, io, sync::Arc};

use serde::{Deserialize, Serialize};

use ferry_wire::Status;

/// The error of a remote call. `E` is the handler's own error type, returned to the caller as
/// [`CallError::Application`]; every other outcome is a [`Status`] and a one-line message, so a
/// new status needs no new variant.
///
/// A handler may return it too (`Result<T, CallError<E>>`): its `Application` value reaches
/// the caller typed, and any other status reaches every dialect with that status's mapping.
///
/// ```
/// use ferry::{CallError, Status};
///
/// let refused: CallError = CallError::new(Status::PermissionDenied, "only admins may do that");
/// assert_eq!(refused.status(), Status::PermissionDenied);
/// assert_eq!(refused.to_string(), "permission_denied: only admins may do that");
/// match refused {
///     CallError::Status { status: Status::PermissionDenied, .. } => {}
///     other => panic!("{other}"),
/// }
/// ```
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum CallError<E = NoError> {
    /// The handler returned its own error.
    #[error("application error: {0}")]
    Application(E),
    /// Any other outcome: the status and what happened, in one line.
    #[error("{status}: {message}")]
    Status {
        /// What kind of failure.
        status: Status,
        /// What happened and what to do, in one line.
        message: String,
        /// The I/O error that caused it, when one did (the connection failed).
        #[source]
        io: Option<Arc<io::Error>>,
    },
}

impl<E> CallError<E> {
    /// The error of `status` with `message`.
    pub fn new(status: Status, message: impl Into<String>) -> CallError<E> {
        CallError::Status {
            status,
            message: message.into(),
            io: None,
        }
    }

    /// `unavailable` with `message`, caused by the I/O error `err`.
    pub fn io(message: impl Into<String>, err: io::Error) -> CallError<E> {
        CallError::Status {
            status: Status::Unavailable,
            message: message.into(),
            io: Some(Arc::new(err)),
        }
    }

    /// The status this error stands for.
    pub fn status(&self) -> Status {
        match self {
            CallError::Application(_) => Status::Application,
            CallError::Status { status, .. } => *status,
        }
    }

    /// The one-line message of any error but `Application`, whose message is its value's.
    pub fn message(&self) -> Option<&str> {
        match self {
            CallError::Application(_) => None,
            CallError::Status { message, .. } => Some(message),
        }
    }

    /// Converts the application error, keeping every other outcome.
    pub fn map_application<F>(self, map: impl FnOnce(E) -> F) -> CallError<F> {
        match self {
            CallError::Application(err) => CallError::Application(map(err)),
            CallError::Status {
                status,
                message,
                io,
            } => CallError::Status {
                status,
                message,
                io,
            },
        }
    }
}

impl CallError {
    /// Widens an error of a method with no typed error to any application error type.
    pub fn widen<E>(self) -> CallError<E> {
        self.map_application(|never| match never {})
    }
}

impl<E> From<io::Error> for CallError<E> {
    fn from(err: io::Error) -> CallError<E> {
        CallError::io(err.to_string(), err)
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
