//! The client: a cloneable handle over one multiplexed connection, plus the driver task that
//! owns the socket.
//!
//! Calls from any number of tasks share the connection; answers come back in any order. A call
//! carries a deadline (the handle's, or [`ClientConfig::default_timeout`]) and metadata; dropping
//! its future sends a cancel. When the connection is lost, calls in flight fail with
//! `unavailable` and the next call reconnects. A call is re-sent only when its method is
//! idempotent and the server cannot have run it.

mod config;
mod connection;
mod dial;
mod driver;
mod exchange;
mod failure;
mod pending;

use std::{sync::Arc, time::Duration};

use bytes::Bytes;
use serde::{de::DeserializeOwned, Serialize};
use tokio::time::{timeout_at, Instant};

use ferry_wire::{ByteStr, Metadata, Status};

pub use config::ClientConfig;
use connection::{Connection, Handle};
use exchange::Outgoing;
use failure::Failure;

use crate::{Address, CallError, Codec, ErrorObject, Reply};

/// A handle to a ferry server. Clone it freely: clones share the connection.
#[derive(Clone)]
pub struct Client {
    shared: Arc<Shared>,
    timeout: Option<Option<Duration>>,
    metadata: Metadata,
    /// The connection this handle last saw live: while it stays live, a call uses it without
    /// the lock and reference count that looking it up in `shared` costs.
    connection: Option<Arc<Connection>>,
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
        }
    }

    /// The server's address.
    pub fn address(&self) -> &Address {
        &self.shared.address
    }

    /// The codec this client speaks.
    pub fn codec(&self) -> Codec {
        self.shared.config.codec
    }

    /// A handle whose calls have this deadline (`None`: no deadline); it shares the connection.
    pub fn with_timeout(&self, timeout: Option<Duration>) -> Client {
        Client {
            timeout: Some(timeout),
            ..self.clone()
        }
    }

    /// A handle whose calls also carry this metadata pair; it shares the connection.
    pub fn with_metadata(&self, key: &str, value: &str) -> Client {
        let mut client = self.clone();
        client
            .metadata
            .push((ByteStr::from(key), ByteStr::from(value)));
        client
    }

    /// Calls `method` (`service.method`) with `args` (a struct or map of named arguments, or a
    /// sequence of positional ones). `E` is the handler's error type.
    pub async fn call<A, T, E>(
        &self,
        method: ByteStr,
        args: &A,
        idempotent: bool,
    ) -> Result<T, CallError<E>>
    where
        A: Serialize + ?Sized,
        T: DeserializeOwned,
        E: DeserializeOwned,
    {
        let codec = self.codec();
        let body = codec.encode(args).map_err(|err| {
            CallError::InvalidArgs(format!("arguments of {method} do not encode: {err}"))
        })?;
        let reply = self
            .call_raw(&method, &body, idempotent)
            .await
            .map_err(|err| err.map_application(|n| match n {}))?;
        decode_reply(codec, reply)
    }

    /// Sends already-encoded arguments and returns the server's reply, whatever its status.
    /// Both are borrowed: the request is encoded from them, and nothing is cloned per call.
    pub async fn call_raw(
        &self,
        method: &ByteStr,
        body: &Bytes,
        idempotent: bool,
    ) -> Result<Reply, CallError> {
        let timeout = self.timeout.unwrap_or(self.shared.config.default_timeout);
        let deadline = timeout.map(|limit| Instant::now() + limit);
        let expired = || {
            let limit = timeout.unwrap_or_default();
            CallError::DeadlineExceeded(format!("{method} got no answer within {limit:?}"))
        };
        let mut resent = false;
        loop {
            // The usual case needs no lock, no timer and no second look at the clock: the
            // connection this handle knows is up and the call has its whole timeout left.
            let known = self.connection.as_ref().filter(|known| known.is_usable());
            let looked_up;
            let (connection, time_left) = match known {
                Some(connection) => (connection, timeout),
                None => {
                    let (connection, time_left) = self.look_up(timeout, deadline, expired).await?;
                    looked_up = connection;
                    (&looked_up, time_left)
                }
            };
            if time_left.is_some_and(|left| left.is_zero()) {
                return Err(expired());
            }
            let outgoing = Outgoing {
                method,
                metadata: &self.metadata,
                body,
                time_left,
                deadline,
            };
            match connection.call(outgoing).await {
                Ok(reply) => return Ok(reply),
                Err(Failure::NotRun(_)) if idempotent && !resent => resent = true,
                Err(Failure::Expired) => return Err(expired()),
                Err(failure) => return Err(failure.into_error()),
            }
        }
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
            CallError::Protocol(format!(
                "the result does not decode into the expected type: {err}"
            ))
        }),
        Status::Application => {
            let object: ErrorObject<E> = codec.decode(&reply.body).map_err(|err| {
                CallError::Protocol(format!(
                    "the application error does not decode into the expected type: {err}"
                ))
            })?;
            match object.data {
                Some(data) => Err(CallError::Application(data)),
                None => Err(CallError::Protocol(format!(
                    "application error without data: {}",
                    object.message
                ))),
            }
        }
        status => Err(CallError::from_status(
            status,
            error_message(codec, &reply.body),
        )),
    }
}

/// The `message` of an error object, or a note that there was none.
pub fn error_message(codec: Codec, body: &[u8]) -> String {
    codec
        .decode::<ErrorObject<serde::de::IgnoredAny>>(body)
        .map(|object| object.message)
        .unwrap_or_else(|_| "(the server sent no readable message)".to_owned())
}
