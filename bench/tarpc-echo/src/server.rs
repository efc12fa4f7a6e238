//! The tarpc echo server, set up as tarpc's own examples do: a channel per connection, a task
//! per request.

use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt as _;
use tarpc::{
    context::Context,
    serde_transport::Transport,
    server::{BaseChannel, Channel as _},
    tokio_serde::formats::Bincode,
};
use tokio::net::{TcpListener, TcpStream};

use crate::Echo;

/// The service implementation.
#[derive(Debug, Clone, Copy)]
pub struct EchoService;

impl Echo for EchoService {
    async fn echo(self, _: Context, payload: Bytes) -> Bytes {
        payload
    }
}

/// Accepts connections until the process ends.
pub async fn serve(listener: TcpListener) {
    loop {
        match listener.accept().await {
            Ok((socket, _)) => {
                tokio::spawn(connection(socket));
            }
            Err(err) => {
                // Out of descriptors, usually: wait for some to close instead of spinning.
                eprintln!("tarpc-server: cannot accept: {err}");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
}

/// Serves one connection's requests, each on its own task, until the peer closes.
async fn connection(socket: TcpStream) {
    let _ = socket.set_nodelay(true);
    let transport = Transport::from((socket, Bincode::default()));
    BaseChannel::with_defaults(transport)
        .execute(EchoService.serve())
        .for_each(|response| async move {
            tokio::spawn(response);
        })
        .await;
}
