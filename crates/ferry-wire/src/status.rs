//! The one status vocabulary shared by every dialect.

use std::fmt;

/// The outcome of a call, as one byte on the wire.
///
/// The numbering is part of the protocol (see `docs/PROTOCOL.md`); new statuses are only ever
/// appended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[repr(u8)]
pub enum Status {
    /// The call succeeded; the body is the result.
    Ok = 0,
    /// The handler returned its own error type; the error object's `data` carries it.
    Application = 1,
    /// No such service or method.
    UnknownMethod = 2,
    /// The arguments do not decode into the method's parameters.
    InvalidArgs = 3,
    /// The call's deadline passed before it finished.
    DeadlineExceeded = 4,
    /// The caller gave up.
    Cancelled = 5,
    /// A limit was hit (connections, in-flight calls, queue).
    Overloaded = 6,
    /// The server is shutting down or no instance is reachable.
    Unavailable = 7,
    /// A frame or body is over the configured maximum.
    TooLarge = 8,
    /// The caller did not prove who it is.
    Unauthenticated = 9,
    /// The caller may not make this call.
    PermissionDenied = 10,
    /// The handler panicked or the server hit a bug; the server keeps running.
    Internal = 11,
    /// The peer sent malformed bytes.
    Protocol = 12,
    /// The thing the call names (a file, a record) does not exist.
    NotFound = 13,
}

impl Status {
    /// Every status, in wire order.
    pub const ALL: [Status; 14] = [
        Status::Ok,
        Status::Application,
        Status::UnknownMethod,
        Status::InvalidArgs,
        Status::DeadlineExceeded,
        Status::Cancelled,
        Status::Overloaded,
        Status::Unavailable,
        Status::TooLarge,
        Status::Unauthenticated,
        Status::PermissionDenied,
        Status::Internal,
        Status::Protocol,
        Status::NotFound,
    ];

    /// The status for a wire byte, or `None` for a byte no status uses.
    pub fn from_u8(byte: u8) -> Option<Status> {
        Status::ALL.get(usize::from(byte)).copied()
    }

    /// The wire byte.
    pub fn as_u8(self) -> u8 {
        self as u8
    }

    /// The snake_case name used in error objects, JSON bodies and the CLI (`"unknown_method"`).
    pub fn name(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Application => "application",
            Status::UnknownMethod => "unknown_method",
            Status::InvalidArgs => "invalid_args",
            Status::DeadlineExceeded => "deadline_exceeded",
            Status::Cancelled => "cancelled",
            Status::Overloaded => "overloaded",
            Status::Unavailable => "unavailable",
            Status::TooLarge => "too_large",
            Status::Unauthenticated => "unauthenticated",
            Status::PermissionDenied => "permission_denied",
            Status::Internal => "internal",
            Status::Protocol => "protocol",
            Status::NotFound => "not_found",
        }
    }

    /// The status with this snake_case name.
    pub fn from_name(name: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|status| status.name() == name)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
