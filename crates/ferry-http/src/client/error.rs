//! What a failed HTTP call reports, and the ferry status each failure stands for.

use std::{io, time::Duration};

use ferry::Status;
use http::StatusCode;
use serde_json::Value;

use crate::codes::status_of_code;

/// An error the server answered with: an XML-RPC fault or a JSON-RPC error object.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message} (code {code})")]
pub struct RemoteError {
    /// The XML-RPC `faultCode` or the JSON-RPC error `code`.
    pub code: i64,
    /// The `faultString` or the error `message`.
    pub message: String,
    /// The JSON-RPC error `data`, when the server sent one (XML-RPC faults carry none).
    pub data: Option<Value>,
}

impl RemoteError {
    /// The ferry status the code stands for: `application` for fault code 1 and JSON-RPC
    /// -32000, per the table in `ferry_http::codes`.
    pub fn status(&self) -> Status {
        status_of_code(self.code)
    }
}

/// Why an HTTP call did not return a result.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The server answered with an error.
    #[error(transparent)]
    Remote(#[from] RemoteError),
    /// The URL is not one these clients can call.
    #[error("{0}")]
    Url(String),
    /// No connection could be made.
    #[error("cannot connect to {address}: {source}")]
    Connect {
        /// The `HOST:PORT` tried.
        address: String,
        /// Why it failed.
        source: io::Error,
    },
    /// The whole exchange took longer than the client's timeout.
    #[error("no answer from {url} within {timeout:?}")]
    Timeout {
        /// The URL called.
        url: String,
        /// The timeout that ran out.
        timeout: Duration,
    },
    /// The HTTP exchange itself failed.
    #[error("the HTTP exchange with {url} failed: {source}")]
    Http {
        /// The URL called.
        url: String,
        /// What hyper reported.
        source: hyper::Error,
    },
    /// The answer's body is larger than the client accepts.
    #[error("the answer from {url} is over {limit} bytes")]
    TooLarge {
        /// The URL called.
        url: String,
        /// The most the client reads.
        limit: usize,
    },
    /// An HTTP error status whose body is no RPC answer.
    #[error("HTTP {status} from {url}: {body}")]
    Status {
        /// The URL called.
        url: String,
        /// The HTTP status.
        status: StatusCode,
        /// The start of the body, for the message.
        body: String,
    },
    /// The answer's `Content-Encoding` is one this client does not decode, or its body is
    /// not valid in it.
    #[error("the answer from {url} could not be decoded: {reason}")]
    Encoding {
        /// The URL called.
        url: String,
        /// The coding and what is wrong.
        reason: String,
    },
    /// A `200 OK` whose body is not an answer in the dialect spoken.
    #[error("the answer from {url} is not {dialect}: {reason}")]
    Protocol {
        /// The URL called.
        url: String,
        /// `XML-RPC` or `JSON-RPC 2.0`.
        dialect: &'static str,
        /// What is wrong with it.
        reason: String,
    },
}

impl ClientError {
    /// The ferry status this failure stands for: the remote code's status, or for a failure
    /// on the way, `unavailable` (connect, HTTP), `deadline_exceeded`, `too_large`,
    /// `protocol`, or `invalid_args` for a URL that cannot be called.
    pub fn status(&self) -> Status {
        match self {
            ClientError::Remote(remote) => remote.status(),
            ClientError::Url(_) => Status::InvalidArgs,
            ClientError::Connect { .. } | ClientError::Http { .. } => Status::Unavailable,
            ClientError::Timeout { .. } => Status::DeadlineExceeded,
            ClientError::TooLarge { .. } => Status::TooLarge,
            ClientError::Status { status, .. } => status_of_http(*status),
            ClientError::Protocol { .. } | ClientError::Encoding { .. } => Status::Protocol,
        }
    }

    /// The one-line message: the remote message for [`ClientError::Remote`], the whole
    /// description otherwise.
    pub fn message(&self) -> String {
        match self {
            ClientError::Remote(remote) => remote.message.clone(),
            other => other.to_string(),
        }
    }
}

/// The status an HTTP error status most likely stands for.
fn status_of_http(status: StatusCode) -> Status {
    match status.as_u16() {
        400 => Status::Protocol,
        401 => Status::Unauthenticated,
        403 => Status::PermissionDenied,
        404 | 405 => Status::UnknownMethod,
        413 => Status::TooLarge,
        429 => Status::Overloaded,
        499 => Status::Cancelled,
        502 | 503 => Status::Unavailable,
        504 => Status::DeadlineExceeded,
        _ => Status::Internal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_codes_map_to_statuses() {
        let remote = |code| RemoteError {
            code,
            message: String::new(),
            data: None,
        };
        assert_eq!(remote(1).status(), Status::Application);
        assert_eq!(remote(-32000).status(), Status::Application);
        assert_eq!(remote(-32601).status(), Status::UnknownMethod);
        assert_eq!(remote(-32700).status(), Status::Protocol);
        assert_eq!(
            ClientError::from(remote(-32602)).status(),
            Status::InvalidArgs
        );
    }

    #[test]
    fn transport_failures_have_statuses_and_messages() {
        let timeout = ClientError::Timeout {
            url: "http://h/RPC2".into(),
            timeout: Duration::from_secs(2),
        };
        assert_eq!(timeout.status(), Status::DeadlineExceeded);
        assert_eq!(timeout.message(), "no answer from http://h/RPC2 within 2s");
        let missing = ClientError::Status {
            url: "http://h/x".into(),
            status: StatusCode::NOT_FOUND,
            body: String::new(),
        };
        assert_eq!(missing.status(), Status::UnknownMethod);
        let remote = ClientError::from(RemoteError {
            code: 1,
            message: "boom".into(),
            data: None,
        });
        assert_eq!(remote.message(), "boom");
    }
}
