//! A client that spreads its calls over many servers: the [`Channel`] a balanced client
//! implements, and the call it is handed.

use std::{fmt, time::Duration};

use bytes::Bytes;
use futures_util::future::BoxFuture;
use tokio::time::Instant;

use ferry_wire::ByteStr;

use super::Client;
use crate::{CallError, Reply};

/// Where the calls of a [`Client`] built with [`Client::over`] go: a set of servers, one
/// chosen per call. `ferry-discovery`'s balanced client implements it; generated client
/// stubs work over such a client unchanged.
pub trait Channel: Send + Sync + fmt::Debug + 'static {
    /// Makes `call`, choosing a server (and another one for each re-send it allows), and
    /// returns the reply.
    fn call<'a>(&'a self, call: RawCall<'a>) -> BoxFuture<'a, Result<Reply, CallError>>;

    /// The client of the server that takes a streaming call. A streaming call is never sent
    /// twice: part of a stream may have been read.
    fn stream_client<'a>(&'a self, call: RawCall<'a>) -> BoxFuture<'a, Result<Client, CallError>>;
}

/// One call as a [`Channel`] is handed it: the method and arguments, with what the handle
/// and the call's options say resolved.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct RawCall<'a> {
    /// `service.method`.
    pub method: &'a ByteStr,
    /// The encoded arguments.
    pub body: &'a Bytes,
    /// The handle's metadata followed by the call's own.
    pub metadata: &'a [(ByteStr, ByteStr)],
    /// The time the call was given (`None`: no deadline); its one deadline is `deadline`.
    pub timeout: Option<Duration>,
    /// When the caller stops waiting, re-sends included.
    pub deadline: Option<Instant>,
    /// Whether the method may run twice.
    pub idempotent: bool,
    /// The key a consistent-hash balancer places the call by, when the caller gave one.
    pub hash_key: Option<&'a [u8]>,
}
