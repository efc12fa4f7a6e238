//! Clients for the HTTP dialects: [`XmlRpcClient`] and [`JsonRpcClient`] call any XML-RPC or
//! JSON-RPC 2.0 server over HTTP/1.1 (`http://` URLs, and `https://` with the CAs given to
//! `with_tls`), one connection per call, bounded by a timeout.
//!
//! Arguments and results are `serde_json::Value`s. An error answer is a
//! [`ClientError::Remote`] carrying the server's code, message and data; every failure maps to
//! a ferry [`Status`](ferry::Status) with [`ClientError::status`], using the same table as the
//! server side ([`crate::codes`]): fault code 1 and JSON-RPC -32000 are `application`.

mod error;
mod jsonrpc;
mod post;
mod url;
mod xmlrpc;

use std::time::Duration;

pub use error::{ClientError, RemoteError};
pub use jsonrpc::JsonRpcClient;
pub use xmlrpc::XmlRpcClient;

/// How long a call may take unless set otherwise.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The largest answer read unless set otherwise.
const DEFAULT_MAX_RESPONSE_LEN: usize = 64 * 1024 * 1024;
