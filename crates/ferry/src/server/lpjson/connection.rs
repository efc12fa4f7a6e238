//! The driver of one length-prefixed JSON connection: read messages, answer each in order.

use std::time::Duration;

use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use ferry_wire::Status;

use super::{frame, message};
use crate::{
    context::Peer,
    server::{Dispatcher, Limit, Socket},
    ByteStr, Call, Codec, Context, Dialect,
};

/// Serves one connection, from its first byte, until the peer closes, goes idle, breaks the
/// framing or the server shuts down.
pub(super) async fn serve(mut socket: Socket, dispatcher: Dispatcher) {
    let peer = socket.peer().clone();
    let mut input = BytesMut::new();
    let max = dispatcher.config().max_frame_len;
    let idle = dispatcher
        .config()
        .idle_timeout
        .unwrap_or(Duration::MAX / 4);
    let mut out = BytesMut::new();
    loop {
        let open = answer_all(&mut input, &mut out, max, &dispatcher, &peer).await;
        if !out.is_empty() && socket.write_all(&out).await.is_err() {
            return;
        }
        out.clear();
        if !open || dispatcher.is_closing() {
            break;
        }
        tokio::select! {
            read = tokio::time::timeout(idle, socket.read_buf(&mut input)) => match read {
                Ok(Ok(n)) if n > 0 => {}
                _ => break,
            },
            () = dispatcher.closing() => break,
        }
    }
    let _ = socket.shutdown().await;
}

/// Answers every whole message in `input` into `out`; `false` once the connection must close.
async fn answer_all(
    input: &mut BytesMut,
    out: &mut BytesMut,
    max: u32,
    dispatcher: &Dispatcher,
    peer: &Peer,
) -> bool {
    loop {
        match frame::decode(input, max) {
            Ok(Some(body)) => frame::encode(&answer_one(&body, dispatcher, peer).await, out),
            Ok(None) => return true,
            Err(frame::TooLarge { len, max }) => {
                let message = format!(
                    "a message of {len} bytes is over this server's {max}-byte limit; closing"
                );
                frame::encode(&message::failure(Status::TooLarge, &message, None), out);
                dispatcher.count_refusal(Limit::MaxFrameLen);
                dispatcher.count_protocol_error();
                return false;
            }
        }
    }
}

async fn answer_one(body: &[u8], dispatcher: &Dispatcher, peer: &Peer) -> bytes::Bytes {
    match message::parse(body, dispatcher.router()) {
        Ok(resolved) => {
            let method = ByteStr::from(resolved.method);
            let ctx = Context::new(method, Dialect::LpJson, peer.clone())
                .with_metadata(resolved.metadata);
            let call = Call::new(Codec::Json, ctx, resolved.args);
            let reply = dispatcher.dispatch(call).await;
            message::answer(&resolved.requested, &reply)
        }
        Err((status, reason)) => message::failure(status, &reason, None),
    }
}
