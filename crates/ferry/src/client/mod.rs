//! The client: a cloneable handle over one multiplexed connection, plus the driver task that
//! owns the socket.
//!
//! Calls from any number of tasks share the connection; answers come back in any order. A call
//! carries a deadline (the handle's, or [`ClientConfig::default_timeout`]) and metadata; dropping
//! its future sends a cancel. When the connection is lost, calls in flight fail with
//! `unavailable` and the next call reconnects. A call is re-sent only when its method is
//! idempotent and the server cannot have run it.
//!
//! A client built with [`Client::over`] has a [`Channel`] instead of one connection: the
//! channel chooses a server for each attempt (`ferry-discovery`'s balanced client does), and
//! says after each whether to send the call again.

mod attempt;
mod channel;
mod config;
mod connection;
mod dial;
mod driver;
mod exchange;
mod options;
mod pending;
mod streaming;
mod unanswered;

use std::{borrow::Cow, future::Future, sync::Arc, time::Duration};

use bytes::Bytes;
use futures_util::future::Either;
use serde::{de::DeserializeOwned, Serialize};
use tokio::time::{timeout_at, Instant};

use ferry_wire::{ByteStr, Metadata, Status};

pub use attempt::AttemptError;
pub use channel::{Channel, Chosen, Ended, RawCall, Server, MAX_ATTEMPTS};
pub use config::ClientConfig;
use connection::{Connection, Handle};
use exchange::Outgoing;
pub use options::CallOptions;
use unanswered::Unanswered;

use crate::{layer::ClientLayer, Address, CallError, Codec, ErrorObject, Reply};

/// A handle to a ferry server. Clone it freely: clones share the connection.
///
/// ```no_run
/// use ferry::{CallOptions, Client};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let client = Client::connect("127.0.0.1:7070").await?;
/// let sum: i64 = client.call("calc.add", &[1, 2], &CallOptions::new()).await?;
/// # let _ = sum;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Client {
    shared: Arc<Shared>,
    timeout: Option<Option<Duration>>,
    metadata: Metadata,
    /// The connection this handle last saw live: while it stays live, a call uses it without
    /// the lock and reference count that looking it up in `shared` costs.
    connection: Option<Arc<Connection>>,
    /// Where calls go instead of `shared`'s connection, for a client over many servers.
    channel: Option<Arc<dyn Channel>>,
    /// The key the handle's calls are placed by, unless a call gives its own.
    hash_key: Option<Bytes>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("address", &self.shared.address)
            .field("timeout", &self.timeout)
            .field("metadata", &self.metadata)
            .field("channel", &self.channel)
            .finish_non_exhaustive()
    }
}

struct Shared {
    address: Address,
    config: ClientConfig,
    current: std::sync::Mutex<Option<Handle>>,
    connecting: tokio::sync::Mutex<()>,
}

impl Client {
    /// Connects to `address` (`HOST:PORT` or `unix:PATH`) with the default settings.
    pub async fn connect(address: impl Into<Address>) -> Result<Client, CallError> {
        Client::connect_with(address, ClientConfig::default()).await
    }

    /// Connects with explicit settings.
    pub async fn connect_with(
        address: impl Into<Address>,
        config: ClientConfig,
    ) -> Result<Client, CallError> {
        let mut client = Client::lazy(address, config);
        client.connection = Some(client.shared.connection().await?);
        Ok(client)
    }

    /// A client that connects on its first call.
    pub fn lazy(address: impl Into<Address>, config: ClientConfig) -> Client {
        let shared = Shared {
            address: address.into(),
            config,
            current: std::sync::Mutex::new(None),
            connecting: tokio::sync::Mutex::new(()),
        };
        Client {
            shared: Arc::new(shared),
            timeout: None,
            metadata: Metadata::new(),
            connection: None,
            channel: None,
            hash_key: None,
        }
    }

    /// A client whose calls go through `channel`, which chooses a server per call; `name`
    /// (an address list, `etcd://...`) is what [`Client::address`] shows. `config` gives the
    /// default timeout and the codec arguments are encoded with, which must be the codec of
    /// the channel's own clients: they connect, and their layers (not `config`'s) see each
    /// attempt.
    pub fn over(
        name: impl Into<Address>,
        channel: Arc<dyn Channel>,
        config: ClientConfig,
    ) -> Client {
        Client {
            channel: Some(channel),
            ..Client::lazy(name, config)
        }
    }

    /// Whether this handle holds a live connection, so its calls take no lock to find one
    /// (for a client of one server; one over a channel holds none).
    pub fn is_connected(&self) -> bool {
        self.connection
            .as_ref()
            .is_some_and(|connection| connection.is_usable())
    }

    /// A handle holding the live connection, connecting first when there is none (for a
    /// client of one server).
    pub async fn connected(&self) -> Result<Client, CallError> {
        if self.is_connected() {
            return Ok(self.clone());
        }
        Ok(Client {
            connection: Some(self.shared.connection().await?),
            ..self.clone()
        })
    }

    /// A handle holding the live connection its clones found, when there is one and this
    /// handle does not hold it: what to keep in place of a handle whose connection was lost
    /// and found again.
    pub fn refreshed(&self) -> Option<Client> {
        if self.is_connected() {
            return None;
        }
        let connection = self.shared.usable()?;
        Some(Client {
            connection: Some(connection),
            ..self.clone()
        })
    }

    /// The server's address (for a client over a channel, the name it was given).
    pub fn address(&self) -> &Address {
        &self.shared.address
    }

    /// The codec this client speaks.
    pub fn codec(&self) -> Codec {
        self.shared.config.codec
    }

    /// A handle whose calls have this deadline (`None`: no deadline); it shares the connection.
    #[must_use]
    pub fn with_timeout(&self, timeout: Option<Duration>) -> Client {
        Client {
            timeout: Some(timeout),
            ..self.clone()
        }
    }

    /// A handle whose calls also carry this metadata pair; it shares the connection.
    #[must_use]
    pub fn with_metadata(&self, key: &str, value: &str) -> Client {
        let mut client = self.clone();
        client
            .metadata
            .push((ByteStr::from(key), ByteStr::from(value)));
        client
    }

    /// A handle whose calls a consistent-hash balancer places by `key`, so calls with the same
    /// key reach the same server while it lives; it shares the connection.
    #[must_use]
    pub fn with_hash_key(&self, key: impl AsRef<[u8]>) -> Client {
        Client {
            hash_key: Some(Bytes::copy_from_slice(key.as_ref())),
            ..self.clone()
        }
    }

    /// Calls `method` (`service.method`) with `args` (a struct or map of named arguments, or a
    /// sequence of positional ones), decoding the result as `T` (annotate the binding:
    /// `let sum: i64 = ...`). A handler's own error arrives as JSON data in
    /// [`CallError::Application`]; [`Client::call_typed`] decodes it as a type of yours.
    pub async fn call<A, T>(
        &self,
        method: impl Into<ByteStr>,
        args: &A,
        options: &CallOptions,
    ) -> Result<T, CallError<serde_json::Value>>
    where
        A: Serialize + ?Sized,
        T: DeserializeOwned,
    {
        self.call_typed(method, args, options).await
    }

    /// Like [`Client::call`], with the handler's error decoded as `E`, as the generated stubs
    /// call it: `client.call_typed::<_, f64, InvalidOperation>("calc.divide", ..)`.
    pub async fn call_typed<A, T, E>(
        &self,
        method: impl Into<ByteStr>,
        args: &A,
        options: &CallOptions,
    ) -> Result<T, CallError<E>>
    where
        A: Serialize + ?Sized,
        T: DeserializeOwned,
        E: DeserializeOwned,
    {
        let method = method.into();
        let codec = self.codec();
        let body = codec.encode(args).map_err(|err| {
            let message = format!("arguments of {method} do not encode: {err}");
            CallError::new(Status::InvalidArgs, message)
        })?;
        let reply = self
            .call_raw(&method, &body, options)
            .await
            .map_err(CallError::widen)?;
        decode_reply(codec, reply)
    }

    /// Sends already-encoded arguments and returns the server's reply, whatever its status.
    /// Both are borrowed: the request is encoded from them, and nothing is cloned per call
    /// unless the call carries metadata of both the handle and `options`, or the client has
    /// layers. An idempotent call the server cannot have run is sent once more.
    pub fn call_raw<'a>(
        &'a self,
        method: &'a ByteStr,
        body: &'a Bytes,
        options: &'a CallOptions,
    ) -> impl Future<Output = Result<Reply, CallError>> + Send + 'a {
        match &self.channel {
            None => Either::Left(self.send(method, body, options, options.idempotent)),
            Some(channel) => Either::Right(self.call_over(channel, method, body, options)),
        }
    }

    /// A call through the channel: the handle's timeout, metadata and key resolved once, so
    /// every re-send shares one deadline; each attempt on the server the channel chose, until
    /// the channel says it is settled.
    async fn call_over(
        &self,
        channel: &Arc<dyn Channel>,
        method: &ByteStr,
        body: &Bytes,
        options: &CallOptions,
    ) -> Result<Reply, CallError> {
        let metadata = self.metadata_for(options);
        let call = self.raw_call(method, body, &metadata, options);
        let mut tried = [0; MAX_ATTEMPTS];
        let mut attempts = 0;
        // The first attempt has the whole timeout; any later one, or one after resolving the
        // service, what is left of it, so that the server is told the one deadline too.
        let mut time_left = call.timeout;
        loop {
            let Some(mut chosen) = channel.choose(&call, &tried[..attempts])? else {
                prepare(channel, &call).await?;
                time_left = call.left();
                continue;
            };
            let metadata = Cow::Borrowed(call.metadata);
            let outcome: Result<Reply, AttemptError> = chosen
                .client()
                .send_resolved(method, body, metadata, time_left, call.deadline, false)
                .await;
            if outcome.is_ok() {
                chosen.mark_answered();
            }
            tried[attempts] = chosen.id();
            attempts += 1;
            let again = channel.settle(&call, &chosen, &outcome, attempts);
            if !again || attempts == MAX_ATTEMPTS {
                return outcome.map_err(AttemptError::into_error);
            }
            time_left = call.left();
        }
    }

    /// `method` with `body` as a channel is handed it: the handle's metadata and the call's
    /// (`metadata`), timeout, deadline from now, and key, resolved.
    pub(crate) fn raw_call<'a>(
        &'a self,
        method: &'a ByteStr,
        body: &'a Bytes,
        metadata: &'a [(ByteStr, ByteStr)],
        options: &'a CallOptions,
    ) -> RawCall<'a> {
        let timeout = self.timeout_of(options);
        RawCall {
            method,
            body,
            metadata,
            timeout,
            deadline: timeout.map(|limit| Instant::now() + limit),
            idempotent: options.idempotent,
            hash_key: options.hash_key.as_deref().or(self.hash_key.as_deref()),
        }
    }

    /// A call on this client's own connection, sent once more when `resend_unrun` and the
    /// server cannot have run it.
    fn send<'a>(
        &'a self,
        method: &'a ByteStr,
        body: &'a Bytes,
        options: &'a CallOptions,
        resend_unrun: bool,
    ) -> impl Future<Output = Result<Reply, CallError>> + Send + 'a {
        let timeout = self.timeout_of(options);
        let deadline = timeout.map(|limit| Instant::now() + limit);
        let metadata = self.metadata_for(options);
        self.send_resolved(method, body, metadata, timeout, deadline, resend_unrun)
    }

    /// The call's loop. Its error is `E`, an [`AttemptError`] for a channel and a plain
    /// [`CallError`] for a direct call: converted here, so a direct call's future is this one
    /// alone, with no mapping around it.
    async fn send_resolved<E: From<AttemptError>>(
        &self,
        method: &ByteStr,
        body: &Bytes,
        mut metadata: Cow<'_, [(ByteStr, ByteStr)]>,
        timeout: Option<Duration>,
        deadline: Option<Instant>,
        resend_unrun: bool,
    ) -> Result<Reply, E> {
        let layers = &self.shared.config.layers;
        let started = (!layers.is_empty()).then(|| {
            for layer in layers {
                layer.before(method, metadata.to_mut());
            }
            Instant::now()
        });
        let expired = || {
            let limit = timeout.unwrap_or_default();
            let message = format!("{method} got no answer within {limit:?}");
            CallError::new(Status::DeadlineExceeded, message)
        };
        let mut resent = false;
        // One loop in this one function, not a call to another async fn: a nested future
        // cost the load engine's client about 4% of its CPU per call.
        let outcome = loop {
            // The usual case needs no lock, no timer and no second look at the clock: the
            // connection this handle knows is up and the call has its whole timeout left.
            let known = self.connection.as_ref().filter(|known| known.is_usable());
            let looked_up;
            let (connection, time_left) = match known {
                Some(connection) => (connection, timeout),
                // Boxed: connecting is a large future, and held inline it would make every
                // call's future as large, to be moved and touched on the usual path too.
                None => match Box::pin(self.look_up(timeout, deadline, expired)).await {
                    Ok((connection, time_left)) => {
                        looked_up = connection;
                        (&looked_up, time_left)
                    }
                    Err(err) => break Err(AttemptError::of_connecting(err)),
                },
            };
            if time_left.is_some_and(|left| left.is_zero()) {
                break Err(AttemptError::Failed(expired()));
            }
            let outgoing = Outgoing {
                method,
                metadata: &metadata,
                body,
                zstd: None,
                time_left,
                deadline,
            };
            match connection.call(outgoing).await {
                Ok(reply) => break Ok(reply),
                Err(Unanswered::NotRun(_)) if resend_unrun && !resent => resent = true,
                Err(failure) => break Err(AttemptError::of(failure, expired)),
            }
        };
        if let Some(started) = started {
            report(layers, method, &outcome, started.elapsed());
        }
        outcome.map_err(E::from)
    }

    /// The time a call with `options` has: its own, the handle's, or the client's default.
    fn timeout_of(&self, options: &CallOptions) -> Option<Duration> {
        options
            .timeout
            .or(self.timeout)
            .unwrap_or(self.shared.config.default_timeout)
    }

    /// The handle's metadata followed by the call's own, borrowed when only one has any.
    /// Inside a traced handler, the trace is added (see [`trace`](crate::trace)).
    fn metadata_for<'a>(&'a self, options: &'a CallOptions) -> Cow<'a, [(ByteStr, ByteStr)]> {
        let mut metadata = match (self.metadata.is_empty(), options.metadata.is_empty()) {
            (_, true) => Cow::Borrowed(&self.metadata[..]),
            (true, false) => Cow::Borrowed(&options.metadata[..]),
            (false, false) => Cow::Owned([&self.metadata[..], &options.metadata[..]].concat()),
        };
        crate::trace::propagate(&mut metadata);
        metadata
    }
}

/// Readies `channel` for `call` (resolves its service) within the call's deadline.
async fn prepare(channel: &Arc<dyn Channel>, call: &RawCall<'_>) -> Result<(), CallError> {
    let Some(deadline) = call.deadline else {
        return channel.prepare(call).await;
    };
    let prepared = tokio::time::timeout_at(deadline, channel.prepare(call)).await;
    prepared.unwrap_or_else(|_| {
        let message = format!("{} found no server before its deadline", call.method);
        Err(CallError::new(Status::DeadlineExceeded, message))
    })
}

/// Tells the client's layers, innermost first, how a call ended.
fn report(
    layers: &[Arc<dyn ClientLayer>],
    method: &str,
    outcome: &Result<Reply, AttemptError>,
    elapsed: Duration,
) {
    let status = outcome
        .as_ref()
        .map_or_else(|failure| failure.error().status(), |reply| reply.status);
    for layer in layers.iter().rev() {
        layer.after(method, status, elapsed);
    }
}

impl Client {
    /// The live connection, connecting first when there is none, within `deadline`; and the time
    /// the call has left then.
    async fn look_up(
        &self,
        timeout: Option<Duration>,
        deadline: Option<Instant>,
        expired: impl FnOnce() -> CallError,
    ) -> Result<(Arc<Connection>, Option<Duration>), CallError> {
        if let Some(connection) = self.shared.usable() {
            return Ok((connection, timeout));
        }
        let Some(at) = deadline else {
            return Ok((self.shared.connection().await?, None));
        };
        let connection = timeout_at(at, self.shared.connection())
            .await
            .unwrap_or_else(|_| Err(expired()))?;
        Ok((
            connection,
            Some(at.saturating_duration_since(Instant::now())),
        ))
    }
}

impl Shared {
    /// The live connection, connecting first when there is none or it is going away.
    async fn connection(&self) -> Result<Arc<Connection>, CallError> {
        if let Some(connection) = self.usable() {
            return Ok(connection);
        }
        let _one_at_a_time = self.connecting.lock().await;
        if let Some(connection) = self.usable() {
            return Ok(connection);
        }
        let handle = dial::connect(&self.address, &self.config).await?;
        let connection = handle.connection().clone();
        // The handle it replaces, if any, lets its connection close once its calls are done.
        *self
            .current
            .lock()
            .unwrap_or_else(|poison| poison.into_inner()) = Some(handle);
        Ok(connection)
    }

    fn usable(&self) -> Option<Arc<Connection>> {
        let current = self
            .current
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        current
            .as_ref()
            .map(Handle::connection)
            .filter(|connection| connection.is_usable())
            .cloned()
    }
}

/// Turns a reply into the typed result or the typed error.
pub fn decode_reply<T: DeserializeOwned, E: DeserializeOwned>(
    codec: Codec,
    reply: Reply,
) -> Result<T, CallError<E>> {
    match reply.status {
        Status::Ok => codec.decode(&reply.body).map_err(|err| {
            let message = format!("the result does not decode into the expected type: {err}");
            CallError::new(Status::Protocol, message)
        }),
        Status::Application => {
            let object: ErrorObject<E> = codec.decode(&reply.body).map_err(|err| {
                let message =
                    format!("the application error does not decode into the expected type: {err}");
                CallError::new(Status::Protocol, message)
            })?;
            match object.data {
                Some(data) => Err(CallError::Application(data)),
                None => {
                    let message = format!("application error without data: {}", object.message);
                    Err(CallError::new(Status::Protocol, message))
                }
            }
        }
        status => Err(CallError::new(status, error_message(codec, &reply.body))),
    }
}

/// The `message` of an error object, or a note that there was none.
pub fn error_message(codec: Codec, body: &[u8]) -> String {
    codec
        .decode::<ErrorObject<serde::de::IgnoredAny>>(body)
        .map(|object| object.message)
        .unwrap_or_else(|_| "(the server sent no readable message)".to_owned())
}
