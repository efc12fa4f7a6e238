//! The ferry [`Target`]: one [`Client`] per connection, the arguments encoded once.

use std::sync::Arc;

use ferry::{Address, ByteStr, Bytes, CallOptions, Client, ClientConfig, Status};

use crate::{BoxFuture, Target};

/// Calls one method of a ferry server with the same pre-encoded arguments every time.
///
/// The engine's payload is not sent as is: the arguments are encoded once, with the client's
/// codec, before the run (see [`FerryTarget::new`]), so the figures show the call path, not
/// the encoder.
#[derive(Debug, Clone)]
pub struct FerryTarget {
    address: Address,
    config: ClientConfig,
    method: ByteStr,
    body: Bytes,
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
        FerryTarget {
            address,
            config,
            method: ByteStr::from(method),
            body,
        }
    }
}

impl Target for FerryTarget {
    /// Shared by the calls outstanding on the connection: a call costs one reference count,
    /// not a copy of the client, method and body.
    type Conn = Arc<FerryConn>;

    fn connect(&self) -> BoxFuture<'static, Result<Arc<FerryConn>, String>> {
        let (address, config) = (self.address.clone(), self.config.clone());
        let (method, body) = (self.method.clone(), self.body.clone());
        Box::pin(async move {
            let client = Client::connect_with(address, config)
                .await
                .map_err(|err| err.message().map_or_else(|| err.to_string(), str::to_owned))?;
            Ok(Arc::new(FerryConn {
                client,
                method,
                body,
                options: CallOptions::new(),
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
