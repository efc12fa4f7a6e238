//! The answer to a connection over the connection cap: once its first bytes say which dialect
//! it speaks, a refusal in that dialect (`overloaded` for the native and length-prefixed ones,
//! a 503 for HTTP), then close. The connections already open are served on.
//!
//! A flood of connections may be an attack, so what a refusal costs is bounded: at most
//! [`MAX_REFUSING`] are answered at once (more are closed unanswered), each within
//! [`REFUSAL_TIME`], reading at most [`DRAIN_LIMIT`] bytes after its first ones.

use std::{sync::Arc, time::Duration};

use bytes::BytesMut;
use ferry_wire::Status;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::{
    lpjson, native,
    sniff::{sniff, Sniffed},
    stats::Limit,
    Shared,
};

/// Connections over the cap answered at once; each holds a file descriptor while it is.
pub(crate) const MAX_REFUSING: usize = 128;

/// How long answering one refused connection may take, from its accept to its close.
const REFUSAL_TIME: Duration = Duration::from_secs(2);

/// The bytes of a refused connection read (and dropped) after its answer is sent, while
/// waiting for the peer to close first: a close with unread bytes would reset the connection,
/// and the peer might lose the answer.
const DRAIN_LIMIT: usize = 64 * 1024;

/// How long an HTTP client is asked to wait before it tries again.
const RETRY_AFTER_SECS: u32 = 1;

/// Answers `socket`, a connection over the cap, and closes it; counted as a refusal. The
/// whole of it, its first bytes included, is bounded by [`REFUSAL_TIME`].
pub(crate) async fn refuse<S>(mut socket: S, shared: Arc<Shared>)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    shared.stats.refused(Limit::MaxConnections);
    let Some(_refusing) = shared.stats.start_refusing(MAX_REFUSING) else {
        return;
    };
    let _ = tokio::time::timeout(REFUSAL_TIME, answer(&mut socket, &shared)).await;
}

/// The one-line reason a connection over the cap is refused.
pub(crate) fn reason(max_connections: usize) -> String {
    format!("the server holds its limit of {max_connections} connections; try again later")
}

async fn answer<S>(socket: &mut S, shared: &Shared)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut input = BytesMut::with_capacity(1024);
    let sniffed = loop {
        match sniff(&input) {
            Sniffed::NeedMore => {}
            known => break known,
        }
        if !matches!(socket.read_buf(&mut input).await, Ok(n) if n > 0) {
            return;
        }
    };
    // Unknown bytes, or a TLS ClientHello: a handshake costs too much to answer a connection
    // that is refused anyway.
    if !matches!(
        sniffed,
        Sniffed::Native | Sniffed::Http | Sniffed::LengthPrefixed
    ) {
        return;
    }
    let message = reason(shared.config.max_connections);
    let http = unavailable(&message);
    let status = Status::Overloaded;
    let sent = in_dialect(
        socket,
        &mut input,
        sniffed,
        shared,
        (status, message),
        &http,
    )
    .await;
    if sent.is_ok() {
        drain(socket).await;
    }
    let _ = socket.shutdown().await;
}

/// Sends a connection whose first bytes were `sniffed` (native, HTTP or length-prefixed JSON)
/// its refusal in its own dialect: a native client the server's preface and a goaway with
/// `status` and `message`, a length-prefixed one an error, an HTTP one the whole response
/// `http`.
pub(crate) async fn in_dialect<S>(
    socket: &mut S,
    input: &mut BytesMut,
    sniffed: Sniffed,
    shared: &Shared,
    (status, message): (Status, String),
    http: &[u8],
) -> std::io::Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    match sniffed {
        Sniffed::Native => native::refuse(socket, input, shared, status, message).await,
        Sniffed::Http => socket.write_all(http).await,
        _ => socket.write_all(&lpjson::refusal(status, &message)).await,
    }
}

/// A 503 that asks the client to close and come back later.
fn unavailable(message: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain; charset=utf-8\r\n\
         retry-after: {RETRY_AFTER_SECS}\r\nconnection: close\r\ncontent-length: {}\r\n\r\n\
         {message}\n",
        message.len() + 1
    )
    .into_bytes()
}

/// Reads until the peer closes, or [`DRAIN_LIMIT`] bytes came.
async fn drain<S: AsyncRead + Unpin>(socket: &mut S) {
    let mut sink = [0u8; 4096];
    let mut left = DRAIN_LIMIT;
    while left > 0 {
        match socket.read(&mut sink).await {
            Ok(n) if n > 0 => left = left.saturating_sub(n),
            _ => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_503_is_whole_and_asks_the_client_to_come_back() {
        let answer = String::from_utf8(unavailable(&reason(3))).unwrap();
        let (head, body) = answer.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 503 "), "{head}");
        assert!(head.contains("\r\nretry-after: 1\r\n"), "{head}");
        assert!(head.contains("\r\nconnection: close\r\n"), "{head}");
        assert!(
            head.ends_with(&format!("content-length: {}", body.len())),
            "{head}"
        );
        assert_eq!(
            body,
            "the server holds its limit of 3 connections; try again later\n"
        );
    }
}
