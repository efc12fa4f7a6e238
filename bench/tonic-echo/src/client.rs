//! Loads a tonic echo server: one channel (one HTTP/2 connection) per connection of the load;
//! concurrent calls on it are HTTP/2 streams.

use std::net::SocketAddr;

use bytes::Bytes;
use ferry_load::{BoxFuture, Target};
use tonic::transport::{Channel, Endpoint};

use crate::proto::{echo_client::EchoClient, Payload};

/// Loads a tonic echo server at an address.
#[derive(Debug, Clone)]
pub struct TonicTarget {
    address: SocketAddr,
}

impl TonicTarget {
    /// A target for the server at `address`.
    pub fn new(address: SocketAddr) -> TonicTarget {
        TonicTarget { address }
    }
}

impl Target for TonicTarget {
    type Conn = EchoClient<Channel>;

    fn connect(&self) -> BoxFuture<'static, Result<EchoClient<Channel>, String>> {
        let uri = format!("http://{}", self.address);
        Box::pin(async move {
            let endpoint = Endpoint::from_shared(uri.clone()).map_err(|err| err.to_string())?;
            let channel = endpoint
                .tcp_nodelay(true)
                .connect()
                .await
                .map_err(|err| format!("cannot connect to {uri}: {err}"))?;
            Ok(EchoClient::new(channel))
        })
    }

    fn call(conn: &EchoClient<Channel>, payload: &Bytes) -> BoxFuture<'static, Result<(), String>> {
        let payload = payload.clone();
        let mut conn = conn.clone();
        Box::pin(async move {
            let sent = payload.len();
            let echoed = conn
                .echo(Payload { data: payload })
                .await
                .map_err(|status| format!("grpc {:?}", status.code()))?
                .into_inner();
            bench_common::check_echo(sent, echoed.data.len())
        })
    }
}
