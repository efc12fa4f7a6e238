//! A client that spreads its calls over many servers: the [`Channel`] a balanced client
//! implements, the call it is handed, and the server it chooses for each attempt.
//!
//! ```text
//!  Client::call ─▶ choose ─▶ Chosen(client) ─▶ attempt on its connection ─▶ settle ─┬─ done
//!                    ▲   └─ not ready: prepare (resolve the service), then again    │
//!                    └─────────────────────────── send again ◀───────────────────────┘
//! ```
//!
//! The loop is the client's, and it allocates nothing: choosing and settling are plain
//! calls, so a balanced call costs little more than a direct one.

use std::{any::Any, fmt, sync::Arc, time::Duration};

use bytes::Bytes;
use futures_util::future::BoxFuture;
use tokio::time::Instant;

use ferry_wire::ByteStr;

use super::{AttemptError, Client};
use crate::{CallError, Reply};

/// The most attempts one call gets through a channel, the first included.
pub const MAX_ATTEMPTS: usize = 3;

/// Where the calls of a [`Client`] built with [`Client::over`] go: a set of servers, one
/// chosen per attempt. `ferry-discovery`'s balanced client implements it; generated client
/// stubs work over such a client unchanged.
pub trait Channel: Send + Sync + fmt::Debug + 'static {
    /// The server for the next attempt of `call`, not one of `tried` while there is
    /// another; `Ok(None)` when the channel must [`prepare`](Channel::prepare) first.
    fn choose(&self, call: &RawCall<'_>, tried: &[u64]) -> Result<Option<Chosen>, CallError>;

    /// Gets ready to choose for `call` (finds its service's servers), after
    /// [`choose`](Channel::choose) said it is not.
    fn prepare<'a>(&'a self, call: &'a RawCall<'a>) -> BoxFuture<'a, Result<(), CallError>>;

    /// Records how the attempt on `chosen` ended, the `attempts`th of the call, and says
    /// whether to send the call again (never after [`MAX_ATTEMPTS`]).
    fn settle(
        &self,
        call: &RawCall<'_>,
        chosen: &Chosen,
        outcome: &Result<Reply, AttemptError>,
        attempts: usize,
    ) -> bool;

    /// The client of the server that takes a streaming call, connected. A streaming call is
    /// never sent twice: part of a stream may have been read.
    fn stream_client<'a>(&'a self, call: RawCall<'a>) -> BoxFuture<'a, Result<Client, CallError>>;
}

/// A server a [`Channel`] chooses, told when each attempt on it ends, however it ends: with
/// an answer, without one, or dropped mid-way because the caller gave up on the call.
pub trait Server: Any + Send + Sync + fmt::Debug {
    /// An attempt on it ended. Only the client calls it: [`Ended`] has no public constructor.
    fn ended(&self, ended: Ended);

    /// Itself, for the channel to find its own type again in [`Channel::settle`].
    fn as_any(&self) -> &dyn Any;
}

/// How an attempt ended, as the client tells its [`Server`].
#[derive(Debug, Clone, Copy)]
pub struct Ended {
    answered: bool,
}

impl Ended {
    /// Whether the server answered (with any status).
    pub fn answered(self) -> bool {
        self.answered
    }
}

/// The server a [`Channel`] chose for one attempt. When it is dropped, after the attempt was
/// settled or because the call was, its server is told the attempt [`ended`](Server::ended).
#[derive(Debug)]
#[must_use]
pub struct Chosen {
    client: Arc<Client>,
    id: u64,
    sent: Option<Instant>,
    server: Arc<dyn Server>,
    answered: bool,
}

impl Chosen {
    /// `server`, to be called through `client`; `id` tells it from the channel's others.
    pub fn new(client: Arc<Client>, id: u64, server: Arc<dyn Server>) -> Chosen {
        Chosen {
            client,
            id,
            sent: None,
            server,
            answered: false,
        }
    }

    /// Records when the attempt was sent, now, for a channel that times attempts.
    pub fn timed(mut self) -> Chosen {
        self.sent = Some(Instant::now());
        self
    }

    /// The client the attempt is made on.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The server's identity among the channel's.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// When the attempt was sent, if [`timed`](Chosen::timed).
    pub fn sent(&self) -> Option<Instant> {
        self.sent
    }

    /// The channel's own record of the server.
    pub fn server(&self) -> &dyn Server {
        &*self.server
    }

    /// The attempt got an answer.
    pub(super) fn mark_answered(&mut self) {
        self.answered = true;
    }
}

impl Drop for Chosen {
    fn drop(&mut self) {
        let answered = self.answered;
        self.server.ended(Ended { answered });
    }
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

impl RawCall<'_> {
    /// The time left before the deadline, now (`None`: no deadline).
    pub fn left(&self) -> Option<Duration> {
        let deadline = self.deadline?;
        Some(deadline.saturating_duration_since(Instant::now()))
    }
}
