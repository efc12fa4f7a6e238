//! The raw echo server: read what arrived, answer every whole frame in it, one write per batch.

use std::time::Duration;

use bytes::BytesMut;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
};

use crate::frame;

/// Accepts connections until the process ends.
pub async fn serve(listener: TcpListener) {
    loop {
        match listener.accept().await {
            Ok((socket, _)) => {
                tokio::spawn(connection(socket));
            }
            Err(err) => {
                // Out of descriptors, usually: wait for some to close instead of spinning.
                eprintln!("raw-server: cannot accept: {err}");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
}

/// Echoes frames until the peer closes or breaks the framing.
async fn connection(mut socket: TcpStream) {
    let _ = socket.set_nodelay(true);
    let mut input = BytesMut::with_capacity(64 * 1024);
    let mut out = BytesMut::with_capacity(64 * 1024);
    loop {
        match socket.read_buf(&mut input).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let open = answer_all(&mut input, &mut out);
        if socket.write_all(&out).await.is_err() || !open {
            return;
        }
        out.clear();
    }
}

/// Answers every whole frame of `input` into `out`; `false` once the connection must close.
fn answer_all(input: &mut BytesMut, out: &mut BytesMut) -> bool {
    loop {
        match frame::decode(input) {
            Ok(Some(request)) => frame::encode(request.id, &request.payload, out),
            Ok(None) => return true,
            Err(err) => {
                eprintln!("raw-server: {err}; closing the connection");
                return false;
            }
        }
    }
}
