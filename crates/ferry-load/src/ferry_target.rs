//! The ferry [`Target`]: one [`Client`] per connection, the arguments encoded once.

use std::{fmt, sync::Arc};

use ferry::{Address, ByteStr, Bytes, CallError, CallOptions, Client, ClientConfig, Status};

use crate::{BoxFuture, Target};

/// Opens the client of one connection of the run.
pub type ConnectClient = dyn Fn() -> BoxFuture<'static, Result<Client, CallError>> + Send + Sync;

/// Calls one method of a ferry server with the same pre-encoded arguments every time.
///
/// The engine's payload is not sent as is: the arguments are encoded once, with the client's
/// codec, before the run (see [`FerryTarget::new`]), so the figures show the call path, not
/// the encoder.
#[derive(Clone)]
pub struct FerryTarget {
    connect: Arc<ConnectClient>,
    method: ByteStr,
    body: Bytes,
    options: CallOptions,
}

impl fmt::Debug for FerryTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FerryTarget")
            .field("method", &self.method)
            .field("body", &self.body.len())
            .finish_non_exhaustive()
    }
}

/// One connection: its client, and what every call on it sends.
#[derive(Debug)]
pub struct FerryConn {
    client: Client,
    method: ByteStr,
    body: Bytes,
    options: CallOptions,
}

impl FerryTarget {
    /// Calls `method` (`service.method`) at `address`, sending `body`: arguments already
    /// encoded with `config.codec`. Each call's deadline is `config.default_timeout`.
    pub fn new(address: Address, config: ClientConfig, method: &str, body: Bytes) -> FerryTarget {
        let connect = move || -> BoxFuture<'static, Result<Client, CallError>> {
            let (address, config) = (address.clone(), config.clone());
            Box::pin(Client::connect_with(address, config))
        };
        FerryTarget::over(Arc::new(connect), method, body)
    }

    /// Calls `method` with `body` over the clients `connect` opens, one per connection of the
    /// run: a balanced client's, say, each spreading its calls over many servers.
    pub fn over(connect: Arc<ConnectClient>, method: &str, body: Bytes) -> FerryTarget {
        FerryTarget {
            connect,
            method: ByteStr::from(method),
            body,
            options: CallOptions::new(),
        }
    }

    /// Marks every call idempotent (or not): a balanced client may then send one that may
    /// have run again, to another server.
    #[must_use]
    pub fn idempotent(mut self, idempotent: bool) -> FerryTarget {
        self.options = self.options.with_idempotent(idempotent);
        self
    }
}

impl Target for FerryTarget {
    /// Shared by the calls outstanding on the connection: a call costs one reference count,
    /// not a copy of the client, method and body.
    type Conn = Arc<FerryConn>;

    fn connect(&self) -> BoxFuture<'static, Result<Arc<FerryConn>, String>> {
        let connecting = (self.connect)();
        let (method, body) = (self.method.clone(), self.body.clone());
        let options = self.options.clone();
        Box::pin(async move {
            let client = connecting
                .await
                .map_err(|err| err.message().map_or_else(|| err.to_string(), str::to_owned))?;
            Ok(Arc::new(FerryConn {
                client,
                method,
                body,
                options,
            }))
        })
    }

    fn call(conn: &Arc<FerryConn>, _payload: &Bytes) -> BoxFuture<'static, Result<(), String>> {
        let conn = conn.clone();
        Box::pin(async move {
            let called = conn
                .client
                .call_raw(&conn.method, &conn.body, &conn.options);
            let status = match called.await {
                Ok(reply) => reply.status,
                Err(err) => err.status(),
            };
            match status {
                Status::Ok => Ok(()),
                failed => Err(failed.name().to_owned()),
            }
        })
    }
}
