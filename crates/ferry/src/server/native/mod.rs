//! One native-protocol connection on the server side: the preface exchange, then a single task
//! that reads requests, answers them and writes the answers.
//!
//! ```text
//!  socket ─read─▶ input ─decode─▶ request ─▶ handler, polled once ─ready─▶ out ─write─▶ socket
//!                                                  │ pending                    ▲
//!                                                  └─▶ a task of its own ─answer┘ (channel)
//! ```
//!
//! Most handlers finish in their first poll, so most answers go from the handler into the
//! write queue with no task, channel or lock between them, and the answers to one read leave
//! in one write.

mod driver;
mod port;
mod requests;
mod running;

use std::sync::Arc;

use bytes::BytesMut;
use tokio::{
    io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt},
    time::timeout_at,
};

use ferry_wire::{ByteStr, Frame, GoAway, Preface, Status, PREFACE_LEN, VERSION};

use super::{stats::ServerStats, Shared};
use crate::{context::Peer, Codec};
use driver::Driver;

/// Serves one connection whose first bytes are already in `input`, until it ends.
pub(crate) async fn serve<S>(mut socket: S, mut input: BytesMut, peer: Peer, shared: Arc<Shared>)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let preface = match handshake(&mut socket, &mut input, &shared).await {
        Ok(preface) => preface,
        Err(()) => return ServerStats::count(&shared.stats.protocol_errors),
    };
    let Some(codec) = answer_preface(&mut socket, &preface, &shared).await else {
        return;
    };
    if input.is_empty() {
        // The buffer the first bytes were sniffed in goes back; reads make room as data comes.
        input = BytesMut::new();
    }
    let zstd = agrees_on_zstd(&preface, &shared);
    let compressor = zstd
        .then(|| shared.config.compression.compressor())
        .flatten();
    let requests = requests::Requests::new(
        shared.clone(),
        codec,
        preface.frame_limit(),
        peer,
        compressor,
    );
    Driver::new(socket, input, shared, requests, zstd)
        .run()
        .await;
}

/// Whether bodies may be compressed both ways: the client's preface accepts zstd, and so does
/// this server. Only then does the server's preface say so, so a client that predates zstd
/// never sees the bit.
fn agrees_on_zstd(preface: &Preface, shared: &Shared) -> bool {
    preface.accepts_zstd() && shared.config.compression.is_on()
}

/// Sends this server's preface, and a goaway after it when the client's is refused; the codec
/// to speak if the connection goes on.
async fn answer_preface<W: AsyncWrite + Unpin>(
    write: &mut W,
    preface: &Preface,
    shared: &Shared,
) -> Option<Codec> {
    let mut out = BytesMut::with_capacity(PREFACE_LEN);
    ours(preface, shared).encode(&mut out);
    match accept(preface) {
        Ok(codec) => write.write_all(&out).await.ok().map(|()| codec),
        Err(message) => {
            ServerStats::count(&shared.stats.protocol_errors);
            goaway(0, Status::Protocol, message).encode(&mut out);
            let _ = write.write_all(&out).await;
            let _ = write.shutdown().await;
            None
        }
    }
}

/// This server's answer to the client's `preface`.
fn ours(preface: &Preface, shared: &Shared) -> Preface {
    // A refused codec is not echoed back: the preface names one this server speaks.
    let codec = Codec::from_wire(preface.codec).unwrap_or_default();
    let zstd = agrees_on_zstd(preface, shared);
    Preface::new(codec.wire_id(), shared.config.max_frame_len, zstd)
}

/// Answers a connection the server will not serve (see [`refuse`](super::refuse)): once the
/// client's preface is in, this server's preface and a goaway with `status` and `message`,
/// which a ferry client reports as the reason its calls were not run.
pub(crate) async fn refuse<S: AsyncRead + AsyncWrite + Unpin>(
    socket: &mut S,
    input: &mut BytesMut,
    shared: &Shared,
    status: Status,
    message: String,
) -> std::io::Result<()> {
    let Ok(preface) = handshake(socket, input, shared).await else {
        return Ok(());
    };
    let mut out = BytesMut::with_capacity(PREFACE_LEN + 128);
    ours(&preface, shared).encode(&mut out);
    goaway(0, status, message).encode(&mut out);
    socket.write_all(&out).await
}

async fn handshake<R: AsyncRead + Unpin>(
    read: &mut R,
    input: &mut BytesMut,
    shared: &Shared,
) -> Result<Preface, ()> {
    let deadline = tokio::time::Instant::now() + shared.config.handshake_timeout;
    loop {
        match Preface::decode(input) {
            Ok(Some(preface)) => return Ok(preface),
            Ok(None) => {}
            Err(_) => return Err(()),
        }
        match timeout_at(deadline, read.read_buf(input)).await {
            Ok(Ok(n)) if n > 0 => {}
            _ => return Err(()),
        }
    }
}

/// The codec to speak, or the one-line reason the preface is refused.
fn accept(preface: &Preface) -> Result<Codec, String> {
    if preface.version != VERSION {
        return Err(format!(
            "unsupported protocol version {}; this server speaks version {VERSION}",
            preface.version
        ));
    }
    Codec::from_wire(preface.codec).ok_or_else(|| {
        format!(
            "unsupported codec {}; this server speaks 1 (msgpack) and 2 (json)",
            preface.codec
        )
    })
}

fn goaway(last_call_id: u32, status: Status, message: String) -> Frame {
    Frame::GoAway(GoAway {
        last_call_id,
        status,
        message: ByteStr::from(message),
    })
}

fn kind_name(frame: &Frame) -> &'static str {
    match frame {
        Frame::Response(_) => "response",
        Frame::StreamItem { .. } => "stream item",
        Frame::StreamEnd(_) => "stream end",
        Frame::Refused(_) => "refused",
        _ => "these",
    }
}
