//! `PUT /files/PATH`: the request body streamed to the store as it arrives, never held whole,
//! bounded by the store's `max_file_size` instead of the dialect's `max_body_len`, landing
//! atomically once it has all arrived (and matches `x-ferry-blake3` when that is given).

use std::time::Duration;

use bytes::Bytes;
use ferry::Status;
use ferry_files::{FilesError, Landed, Root, Upload};
use http::{HeaderValue, Request, Response, StatusCode};
use http_body_util::BodyExt;
use hyper::body::{Body, Incoming};
use serde_json::json;
use tokio::sync::mpsc;

use super::{blocking, refusal};
use crate::{body::BodyError, refusal::Refusal, respond};

/// The header naming the hash the body must have.
const EXPECTED_HASH: &str = "x-ferry-blake3";

/// How many body pieces may wait for the disk: a bound on what a fast client with a slow disk
/// costs in memory (hyper's pieces are at most a read buffer each).
const QUEUE: usize = 16;

/// What the reading side hands the writing side.
enum Piece {
    Data(Bytes),
    /// The body ended as its framing said it would: the upload may land.
    End,
}

/// The answer to a `PUT` of the store path `path`; `idle` bounds the wait for each piece of
/// the body (the whole body may take as long as it needs).
pub(super) async fn answer(
    root: Root,
    path: String,
    request: Request<Incoming>,
    idle: Duration,
) -> Result<Response<Bytes>, Refusal> {
    let expected = expected_hash(request.headers().get(EXPECTED_HASH)).map_err(Refusal::closing)?;
    let max = root.config().max_file_size;
    let announced = request.body().size_hint().lower();
    if announced > max {
        let size = announced;
        return Err(refusal(FilesError::TooLarge { path, size, max }).closing());
    }
    // Refused before the body was read: the connection cannot be reused for another request.
    let begun = blocking(move || root.begin_put(&path, expected.as_deref())).await;
    let upload = begun.map_err(Refusal::closing)?;
    let (pieces, queue) = mpsc::channel(QUEUE);
    let writer = tokio::task::spawn_blocking(move || write(upload, queue));
    let read = forward(request.into_body(), &pieces, idle).await;
    drop(pieces);
    let written = writer.await;
    match (read, written) {
        (_, Ok(Some(Ok(landed)))) => Ok(created(&landed)),
        (_, Ok(Some(Err(err)))) => Err(refusal(err).closing()),
        (Err(err), _) => Err(Refusal::from(err)),
        (Ok(()), Ok(None)) | (_, Err(_)) => Err(Refusal::new(
            Status::Internal,
            "the upload stopped unexpectedly; nothing was stored, send it again",
        )
        .closing()),
    }
}

/// The hash `x-ferry-blake3` names, if the header is there (the store checks its form).
fn expected_hash(header: Option<&HeaderValue>) -> Result<Option<String>, Refusal> {
    let Some(header) = header else {
        return Ok(None);
    };
    match header.to_str() {
        Ok(text) => Ok(Some(text.trim().to_owned())),
        Err(_) => Err(Refusal::new(
            Status::InvalidArgs,
            format!("{EXPECTED_HASH} must be 64 hexadecimal digits"),
        )),
    }
}

/// Passes the body's pieces to the writer, then `End` once the body ended well. Stops early,
/// without `End`, when the writer gave up (its answer says why).
async fn forward(
    mut body: Incoming,
    pieces: &mpsc::Sender<Piece>,
    idle: Duration,
) -> Result<(), BodyError> {
    loop {
        let frame = match tokio::time::timeout(idle, body.frame()).await {
            Err(_) => return Err(BodyError::TimedOut(idle)),
            Ok(None) => break,
            Ok(Some(Err(err))) => return Err(BodyError::Broken(err.to_string())),
            Ok(Some(Ok(frame))) => frame,
        };
        let Ok(data) = frame.into_data() else {
            continue;
        };
        if pieces.send(Piece::Data(data)).await.is_err() {
            return Ok(());
        }
    }
    // A writer gone by now has its own answer to give.
    let _ = pieces.send(Piece::End).await;
    Ok(())
}

/// The blocking side: writes every piece, lands the upload at `End`. `None` when the body
/// never ended: the upload is dropped, which discards its partial file.
fn write(
    mut upload: Upload,
    mut queue: mpsc::Receiver<Piece>,
) -> Option<Result<Landed, FilesError>> {
    while let Some(piece) = queue.blocking_recv() {
        match piece {
            Piece::Data(data) => {
                if let Err(err) = upload.write(&data) {
                    return Some(Err(err));
                }
            }
            Piece::End => return Some(upload.finish()),
        }
    }
    None
}

/// 201 for a new file, 200 for a replaced one: `{"path", "bytes", "blake3"}`.
fn created(landed: &Landed) -> Response<Bytes> {
    let status = if landed.replaced {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    let body = json!({"path": landed.path, "bytes": landed.bytes, "blake3": landed.blake3});
    respond::json_value(status, &body)
}
