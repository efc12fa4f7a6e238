//! Loads a length-prefixed JSON server: each connection carries one request at a time, as the
//! classic clients of this dialect do; calls sharing a connection wait their turn.

use std::{net::SocketAddr, sync::Arc};

use bytes::{Bytes, BytesMut};
use ferry_load::{BoxFuture, Target};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
    sync::Mutex,
};

use crate::message;

/// Loads a length-prefixed JSON ping server at an address.
#[derive(Debug, Clone)]
pub struct LpJsonTarget {
    address: SocketAddr,
}

impl LpJsonTarget {
    /// A target for the server at `address`.
    pub fn new(address: SocketAddr) -> LpJsonTarget {
        LpJsonTarget { address }
    }
}

/// One connection, taken by one call at a time.
#[derive(Debug, Clone)]
pub struct LpJsonConn {
    session: Arc<Mutex<Session>>,
}

/// The socket and its buffers.
#[derive(Debug)]
struct Session {
    socket: TcpStream,
    input: BytesMut,
    out: BytesMut,
}

impl Target for LpJsonTarget {
    type Conn = LpJsonConn;

    fn connect(&self) -> BoxFuture<'static, Result<LpJsonConn, String>> {
        let address = self.address;
        Box::pin(async move {
            let socket = bench_common::connect(address).await?;
            let session = Session {
                socket,
                input: BytesMut::with_capacity(4096),
                out: BytesMut::with_capacity(4096),
            };
            Ok(LpJsonConn {
                session: Arc::new(Mutex::new(session)),
            })
        })
    }

    fn call(conn: &LpJsonConn, payload: &Bytes) -> BoxFuture<'static, Result<(), String>> {
        let payload = payload.clone();
        let session = conn.session.clone();
        Box::pin(async move { session.lock().await.ping(&payload).await })
    }
}

impl Session {
    /// Sends one ping and checks its pong; `Err` is a status name.
    async fn ping(&mut self, payload: &[u8]) -> Result<(), String> {
        self.out.clear();
        message::encode_ping(payload, &mut self.out);
        let unavailable = |_| "unavailable".to_owned();
        self.socket
            .write_all(&self.out)
            .await
            .map_err(unavailable)?;
        loop {
            if let Some(body) = message::decode(&mut self.input)? {
                return message::check_pong(&body, payload.len());
            }
            match self.socket.read_buf(&mut self.input).await {
                Ok(0) | Err(_) => return Err("unavailable".to_owned()),
                Ok(_) => {}
            }
        }
    }
}
