//! The first moments of a connection: read until its first bytes name a dialect, then hand it
//! to that dialect's driver.

use std::sync::Arc;

use bytes::BytesMut;
use ferry_wire::Status;
use tokio::{
    io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt},
    time::{timeout_at, Instant},
};

use super::{
    metered::Metered,
    native, refuse,
    sniff::{sniff, tls_record_len, Sniffed, MAX_TLS_RECORD_LEN},
    stats::{ConnectionKind, ServerStats},
    DialectDriver, Dispatcher, Shared, Socket,
};
use crate::context::Peer;

/// The answer to plaintext HTTP on a port that speaks TLS only.
const TLS_ONLY: &[u8] = b"HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-type: text/plain\r\ncontent-length: 40\r\n\r\nthis port speaks TLS only: use https://\n";

/// The answer to HTTP on a server with no HTTP dialect installed.
const NO_HTTP: &[u8] = b"HTTP/1.1 501 Not Implemented\r\nconnection: close\r\ncontent-type: text/plain\r\ncontent-length: 45\r\n\r\nthis ferry server does not serve HTTP (yet).\n";

/// Serves one accepted socket in whichever dialect it speaks, inside TLS or not.
pub(crate) async fn route<S>(socket: S, peer: Peer, shared: Arc<Shared>)
where
    S: AsyncRead + AsyncWrite + Send + Unpin + 'static,
{
    ServerStats::count(&shared.stats.connections);
    let mut socket = Metered::new(socket, shared.stats.clone());
    let mut input = BytesMut::with_capacity(8 * 1024);
    let deadline = Instant::now() + shared.config.handshake_timeout;
    match first_bytes(&mut socket, &mut input, deadline).await {
        Some(Sniffed::Tls) => route_tls(socket, input, peer, shared, deadline).await,
        Some(sniffed) if shared.config.tls_only => {
            refuse_plaintext(socket, input, sniffed, &shared).await;
        }
        Some(sniffed) => serve_sniffed(sniffed, socket, input, peer, shared).await,
        None => ServerStats::count(&shared.stats.protocol_errors),
    }
}

/// Reads the whole ClientHello, runs the handshake, and serves the dialect inside.
async fn route_tls<S>(
    mut socket: S,
    mut input: BytesMut,
    peer: Peer,
    shared: Arc<Shared>,
    deadline: Instant,
) where
    S: AsyncRead + AsyncWrite + Send + Unpin + 'static,
{
    let Some(tls) = shared.tls.as_ref() else {
        return ServerStats::count(&shared.stats.protocol_errors);
    };
    if !read_client_hello(&mut socket, &mut input, deadline).await {
        return ServerStats::count(&shared.stats.protocol_errors);
    }
    let tls_deadline = Instant::now() + shared.config.tls_handshake_timeout;
    let Some((mut stream, peer)) = tls
        .accept(Socket::new(input, socket, peer), tls_deadline)
        .await
    else {
        return ServerStats::count(&shared.stats.protocol_errors);
    };
    let mut input = BytesMut::with_capacity(8 * 1024);
    let deadline = Instant::now() + shared.config.handshake_timeout;
    match first_bytes(&mut stream, &mut input, deadline).await {
        Some(Sniffed::Tls) | None => ServerStats::count(&shared.stats.protocol_errors),
        Some(sniffed) => serve_sniffed(sniffed, stream, input, peer, shared).await,
    }
}

/// Hands a connection whose dialect is known to its driver.
async fn serve_sniffed<S>(
    sniffed: Sniffed,
    socket: S,
    input: BytesMut,
    peer: Peer,
    shared: Arc<Shared>,
) where
    S: AsyncRead + AsyncWrite + Send + Unpin + 'static,
{
    let kind = match sniffed {
        Sniffed::Native => ConnectionKind::Native,
        Sniffed::Http => ConnectionKind::Http,
        _ => ConnectionKind::LpJson,
    };
    let _open = Open::count(shared.stats.clone(), kind);
    match kind {
        ConnectionKind::Native => native::serve(socket, input, peer, shared).await,
        ConnectionKind::LpJson => {
            let driver = shared.length_prefixed.clone();
            serve_with(&*driver, Socket::new(input, socket, peer), shared).await;
        }
        ConnectionKind::Http => serve_http(socket, input, peer, shared).await,
    }
}

/// On a TLS-only port, a plaintext connection is told in its own dialect to use TLS (a native
/// client gets a preface and a goaway `unavailable`), within the handshake timeout, and closed.
async fn refuse_plaintext<S>(mut socket: S, mut input: BytesMut, sniffed: Sniffed, shared: &Shared)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    ServerStats::count(&shared.stats.protocol_errors);
    let message = "this port speaks TLS only: use tls://HOST:PORT (https:// for HTTP)";
    let refusal = (Status::Unavailable, message.to_owned());
    let answer = refuse::in_dialect(&mut socket, &mut input, sniffed, shared, refusal, TLS_ONLY);
    let _ = tokio::time::timeout(shared.config.handshake_timeout, answer).await;
    let _ = socket.shutdown().await;
}

/// A connection counted open until it is dropped, however its task ends.
struct Open {
    stats: Arc<ServerStats>,
    kind: ConnectionKind,
}

impl Open {
    fn count(stats: Arc<ServerStats>, kind: ConnectionKind) -> Open {
        stats.opened(kind);
        Open { stats, kind }
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        self.stats.closed(self.kind);
    }
}

async fn serve_with(driver: &dyn DialectDriver, socket: Socket, shared: Arc<Shared>) {
    driver.serve(socket, Dispatcher::new(shared)).await;
}

/// Reads until the kind of connection is known; `None` when the bytes match no dialect, or do
/// not come by `deadline`.
async fn first_bytes<S: AsyncRead + Unpin>(
    socket: &mut S,
    input: &mut BytesMut,
    deadline: Instant,
) -> Option<Sniffed> {
    loop {
        match sniff(input) {
            Sniffed::NeedMore => {}
            Sniffed::Unknown => return None,
            known => return Some(known),
        }
        if !read_more(socket, input, deadline).await {
            return None;
        }
    }
}

/// Reads until `input` holds the whole TLS record it starts with; `false` when the record is
/// longer than any TLS record may be, or does not come by `deadline`.
async fn read_client_hello<S: AsyncRead + Unpin>(
    socket: &mut S,
    input: &mut BytesMut,
    deadline: Instant,
) -> bool {
    loop {
        match tls_record_len(input) {
            Some(len) if len > MAX_TLS_RECORD_LEN => return false,
            Some(len) if input.len() >= len => return true,
            _ => {}
        }
        if !read_more(socket, input, deadline).await {
            return false;
        }
    }
}

/// One read by `deadline`; `false` at the end of the stream, an error, or the deadline.
async fn read_more<S: AsyncRead + Unpin>(
    socket: &mut S,
    input: &mut BytesMut,
    deadline: Instant,
) -> bool {
    matches!(timeout_at(deadline, socket.read_buf(input)).await, Ok(Ok(n)) if n > 0)
}

async fn serve_http<S>(mut socket: S, input: BytesMut, peer: Peer, shared: Arc<Shared>)
where
    S: AsyncRead + AsyncWrite + Send + Unpin + 'static,
{
    match shared.http.clone() {
        Some(http) => serve_with(&*http, Socket::new(input, socket, peer), shared).await,
        None => {
            let _ = socket.write_all(NO_HTTP).await;
            let _ = socket.shutdown().await;
        }
    }
}
