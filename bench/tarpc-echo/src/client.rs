//! Loads a tarpc echo server: one tarpc client (one TCP connection) per connection of the load.

use std::net::SocketAddr;

use bytes::Bytes;
use ferry_load::{BoxFuture, Target};
use tarpc::{
    client::{self, RpcError},
    context,
    serde_transport::Transport,
    tokio_serde::formats::Bincode,
};

use crate::EchoClient;

/// Loads a tarpc echo server at an address.
#[derive(Debug, Clone)]
pub struct TarpcTarget {
    address: SocketAddr,
}

impl TarpcTarget {
    /// A target for the server at `address`.
    pub fn new(address: SocketAddr) -> TarpcTarget {
        TarpcTarget { address }
    }
}

impl Target for TarpcTarget {
    type Conn = EchoClient;

    fn connect(&self) -> BoxFuture<'static, Result<EchoClient, String>> {
        let address = self.address;
        Box::pin(async move {
            let socket = bench_common::connect(address).await?;
            let transport = Transport::from((socket, Bincode::default()));
            Ok(EchoClient::new(client::Config::default(), transport).spawn())
        })
    }

    fn call(conn: &EchoClient, payload: &Bytes) -> BoxFuture<'static, Result<(), String>> {
        let payload = payload.clone();
        let conn = conn.clone();
        Box::pin(async move {
            let sent = payload.len();
            let echoed = conn
                .echo(context::current(), payload)
                .await
                .map_err(|err| status_name(&err).to_owned())?;
            bench_common::check_echo(sent, echoed.len())
        })
    }
}

/// The load report's name for a failed call.
fn status_name(err: &RpcError) -> &'static str {
    match err {
        RpcError::DeadlineExceeded => "deadline_exceeded",
        RpcError::Shutdown | RpcError::Send(_) | RpcError::Channel(_) => "unavailable",
        RpcError::Server(_) => "internal",
    }
}
