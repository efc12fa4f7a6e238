//! The first moments of a connection: read until its first bytes name a dialect, then hand it
//! to that dialect's driver.

use std::sync::Arc;

use bytes::BytesMut;
use tokio::{
    io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt},
    time::timeout_at,
};

use super::{
    metered::Metered,
    native,
    sniff::{sniff, Sniffed},
    stats::{ConnectionKind, ServerStats},
    DialectDriver, Dispatcher, Shared, Socket,
};
use crate::context::Peer;

/// The answer to HTTP on a server with no HTTP dialect installed.
const NO_HTTP: &[u8] = b"HTTP/1.1 501 Not Implemented\r\nconnection: close\r\ncontent-type: text/plain\r\ncontent-length: 45\r\n\r\nthis ferry server does not serve HTTP (yet).\n";

/// Serves one accepted socket in whichever dialect it speaks.
pub(crate) async fn route<S>(socket: S, peer: Peer, shared: Arc<Shared>)
where
    S: AsyncRead + AsyncWrite + Send + Unpin + 'static,
{
    ServerStats::count(&shared.stats.connections);
    let mut socket = Metered::new(socket, shared.stats.clone());
    let mut input = BytesMut::with_capacity(8 * 1024);
    let Some(kind) = first_bytes(&mut socket, &mut input, &shared).await else {
        return ServerStats::count(&shared.stats.protocol_errors);
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
/// not come in time.
async fn first_bytes<S: AsyncRead + Unpin>(
    socket: &mut S,
    input: &mut BytesMut,
    shared: &Shared,
) -> Option<ConnectionKind> {
    let deadline = tokio::time::Instant::now() + shared.config.handshake_timeout;
    loop {
        match sniff(input) {
            Sniffed::NeedMore => {}
            Sniffed::Unknown => return None,
            Sniffed::Native => return Some(ConnectionKind::Native),
            Sniffed::Http => return Some(ConnectionKind::Http),
            Sniffed::LengthPrefixed => return Some(ConnectionKind::LpJson),
        }
        match timeout_at(deadline, socket.read_buf(input)).await {
            Ok(Ok(n)) if n > 0 => {}
            _ => return None,
        }
    }
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
