//! Request bodies read whole within a size limit and a time limit; response bodies whole or
//! streamed from a file.

use std::{error::Error as StdError, io, time::Duration};

use bytes::Bytes;
use ferry::Status;
use futures_util::TryStreamExt;
use http::StatusCode;
use http_body_util::{
    combinators::UnsyncBoxBody, BodyExt, Full, LengthLimitError, Limited, StreamBody,
};
use hyper::body::{Body, Frame};
use tokio::io::AsyncRead;
use tokio_util::io::ReaderStream;

use crate::encoding::{self, Undecoded};

/// Every answer's body.
pub(crate) type ResponseBody = UnsyncBoxBody<Bytes, io::Error>;

/// The size of the reads a file is streamed in.
const FILE_CHUNK: usize = 64 * 1024;

/// A body sent in one piece.
pub(crate) fn full(bytes: Bytes) -> ResponseBody {
    Full::new(bytes)
        .map_err(|never| match never {})
        .boxed_unsync()
}

/// A body that fails with `err` when read: what an answer whose body broke is sent as.
pub(crate) fn failed(err: io::Error) -> ResponseBody {
    let frames = futures_util::stream::iter([Err(err)]);
    StreamBody::new(frames).boxed_unsync()
}

/// A body streamed from `file`, a chunk at a time.
pub(crate) fn file(file: tokio::fs::File) -> ResponseBody {
    reader(file)
}

/// A body streamed from `reader`, a chunk at a time, never held whole in memory.
pub(crate) fn reader(reader: impl AsyncRead + Send + 'static) -> ResponseBody {
    let frames = ReaderStream::with_capacity(reader, FILE_CHUNK).map_ok(Frame::data);
    StreamBody::new(frames).boxed_unsync()
}

/// Why a body was not read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum BodyError {
    /// Over the limit: announced by `content-length`, or counted while reading.
    #[error("the body is over this server's {max}-byte limit")]
    TooLarge { max: usize },
    /// The client stopped sending before the body ended.
    #[error("the body did not arrive within {0:?}")]
    TimedOut(Duration),
    /// The connection broke or the framing was wrong mid-body.
    #[error("the body could not be read: {0}")]
    Broken(String),
    /// `Content-Encoding` names a coding this server does not decode.
    #[error("the body's {0} is not one this server decodes; send it as it is, in gzip or in zstd")]
    UnknownEncoding(String),
    /// The body is not valid in the coding its `Content-Encoding` names.
    #[error("the body could not be decoded as {encoding}: {reason}")]
    Undecodable {
        encoding: &'static str,
        reason: String,
    },
}

impl BodyError {
    /// The ferry status the refusal stands for.
    pub(crate) fn status(&self) -> Status {
        match self {
            BodyError::TooLarge { .. } => Status::TooLarge,
            BodyError::TimedOut(_)
            | BodyError::Broken(_)
            | BodyError::UnknownEncoding(_)
            | BodyError::Undecodable { .. } => Status::Protocol,
        }
    }

    /// The HTTP status answering it.
    pub(crate) fn http_status(&self) -> StatusCode {
        match self {
            BodyError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            BodyError::TimedOut(_) => StatusCode::REQUEST_TIMEOUT,
            BodyError::Broken(_) | BodyError::Undecodable { .. } => StatusCode::BAD_REQUEST,
            BodyError::UnknownEncoding(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        }
    }
}

/// Reads a request's body whole and decodes it from its `Content-Encoding` (gzip or zstd),
/// within `max` bytes both as sent and as decoded: decoding stops as soon as it passes `max`.
pub(crate) async fn read_request<B>(
    request: http::Request<B>,
    max: usize,
    timeout: Duration,
) -> Result<Bytes, BodyError>
where
    B: Body<Data = Bytes>,
    B::Error: Into<Box<dyn StdError + Send + Sync>>,
{
    let encoding = encoding::of_body(request.headers()).map_err(BodyError::UnknownEncoding)?;
    let sent = read(request.into_body(), max, timeout).await?;
    let Some(encoding) = encoding else {
        return Ok(sent);
    };
    encoding::decode(encoding, &sent, max).map_err(|undecoded| match undecoded {
        Undecoded::TooLarge => BodyError::TooLarge { max },
        Undecoded::Corrupt(reason) => BodyError::Undecodable {
            encoding: encoding.name(),
            reason,
        },
    })
}

/// Reads `body` whole. A body announcing more than `max` bytes is refused before a byte is
/// read; one that turns out longer (chunked) is refused as soon as it passes `max`.
pub(crate) async fn read<B>(body: B, max: usize, timeout: Duration) -> Result<Bytes, BodyError>
where
    B: Body<Data = Bytes>,
    B::Error: Into<Box<dyn StdError + Send + Sync>>,
{
    if body.size_hint().lower() > max as u64 {
        return Err(BodyError::TooLarge { max });
    }
    match tokio::time::timeout(timeout, Limited::new(body, max).collect()).await {
        Err(_) => Err(BodyError::TimedOut(timeout)),
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(err)) if err.is::<LengthLimitError>() => Err(BodyError::TooLarge { max }),
        Ok(Err(err)) => Err(BodyError::Broken(err.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use futures_util::stream;

    use super::*;

    const LONG: Duration = Duration::from_secs(30);

    fn chunked(
        chunks: &[&'static [u8]],
    ) -> StreamBody<impl futures_util::Stream<Item = Result<Frame<Bytes>, Infallible>>> {
        let frames = chunks
            .iter()
            .map(|chunk| Ok(Frame::data(Bytes::from_static(chunk))));
        StreamBody::new(stream::iter(frames.collect::<Vec<_>>()))
    }

    #[tokio::test]
    async fn reads_a_body_within_the_limit() {
        let body = read(Full::new(Bytes::from_static(b"1234")), 4, LONG).await;
        assert_eq!(&body.unwrap()[..], b"1234");
        let body = read(chunked(&[b"12", b"34"]), 4, LONG).await;
        assert_eq!(&body.unwrap()[..], b"1234");
    }

    #[tokio::test]
    async fn refuses_an_announced_or_counted_excess() {
        let announced = read(Full::new(Bytes::from_static(b"12345")), 4, LONG).await;
        assert!(matches!(announced, Err(BodyError::TooLarge { max: 4 })));
        let counted = read(chunked(&[b"123", b"45"]), 4, LONG).await.unwrap_err();
        assert_eq!(counted.http_status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(counted.status(), Status::TooLarge);
    }

    fn encoded(coding: &'static str, body: Bytes) -> http::Request<Full<Bytes>> {
        http::Request::post("/")
            .header(http::header::CONTENT_ENCODING, coding)
            .body(Full::new(body))
            .unwrap()
    }

    #[tokio::test]
    async fn an_encoded_body_is_decoded_within_the_limit() {
        let text = Bytes::from("[1, 2, 3] ".repeat(100));
        let gzip = encoding::encode(encoding::Encoding::Gzip, &text, 1).unwrap();
        let read = read_request(encoded("gzip", gzip.clone()), 1000, LONG).await;
        assert_eq!(read.unwrap(), text);
        let over = read_request(encoded("gzip", gzip), 999, LONG).await;
        assert!(matches!(over, Err(BodyError::TooLarge { max: 999 })));
        let unknown = read_request(encoded("br", text.clone()), 1000, LONG).await;
        let unknown = unknown.unwrap_err();
        assert_eq!(unknown.http_status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert!(unknown.to_string().contains("\"br\""), "{unknown}");
        let corrupt = read_request(encoded("zstd", text), 1000, LONG)
            .await
            .unwrap_err();
        assert_eq!(corrupt.http_status(), StatusCode::BAD_REQUEST);
    }

    #[tokio::test(start_paused = true)]
    async fn a_body_that_stalls_times_out() {
        let stalled = StreamBody::new(stream::pending::<Result<Frame<Bytes>, Infallible>>());
        let refused = read(stalled, 4, Duration::from_secs(1)).await.unwrap_err();
        assert_eq!(refused.http_status(), StatusCode::REQUEST_TIMEOUT);
    }
}
