//! REST streams, sans-IO: an NDJSON request body cut into items, and a handler's items and
//! end written as NDJSON or Server-Sent Events.
//!
//! ```text
//!  request  (application/x-ndjson):  1\n2\n3\n                  → items 1, 2, 3
//!  response (application/x-ndjson):  0\n1\n{"error":{...}}\n     ← items, then an error
//!  response (text/event-stream):     data: 0\n\n … event: end\ndata: null\n\n
//! ```

use bytes::{Bytes, BytesMut};
use ferry::{ErrorObject, Reply, Status};
use http::HeaderValue;
use serde_json::{json, Value};

/// How a streamed answer is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// One JSON value per line.
    Ndjson,
    /// Server-Sent Events: a `data:` event per item, then `event: end` or `event: error`.
    EventStream,
}

/// The media type of NDJSON.
pub(crate) const NDJSON: &str = "application/x-ndjson";
/// The media type of Server-Sent Events.
pub(crate) const EVENT_STREAM: &str = "text/event-stream";

impl Format {
    /// Server-Sent Events when the request's `Accept` asks for them, NDJSON otherwise.
    pub(crate) fn of(accept: Option<&HeaderValue>) -> Format {
        let asks = accept
            .and_then(|accept| accept.to_str().ok())
            .is_some_and(|accept| accept.to_ascii_lowercase().contains(EVENT_STREAM));
        if asks {
            Format::EventStream
        } else {
            Format::Ndjson
        }
    }

    /// The answer's content type.
    pub(crate) fn content_type(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            Format::Ndjson => NDJSON,
            Format::EventStream => EVENT_STREAM,
        })
    }

    /// One item (compact JSON: it holds no newline) as a line or an event.
    pub(crate) fn item(self, json: &[u8]) -> Bytes {
        let mut out = BytesMut::with_capacity(json.len() + 8);
        if self == Format::EventStream {
            out.extend_from_slice(b"data: ");
        }
        out.extend_from_slice(json);
        out.extend_from_slice(if self == Format::EventStream {
            b"\n\n"
        } else {
            b"\n"
        });
        out.freeze()
    }

    /// The stream's last words: nothing after an ok NDJSON stream, an `end` event after an ok
    /// event stream, the error object after a failed one.
    pub(crate) fn end(self, reply: &Reply) -> Option<Bytes> {
        match (self, reply.status) {
            (Format::Ndjson, Status::Ok) => None,
            (Format::EventStream, Status::Ok) => {
                Some(Bytes::from_static(b"event: end\ndata: null\n\n"))
            }
            (Format::Ndjson, _) => Some(Bytes::from(format!(
                "{}\n",
                json!({"error": error_of(reply)})
            ))),
            (Format::EventStream, _) => Some(Bytes::from(format!(
                "event: error\ndata: {}\n\n",
                error_of(reply)
            ))),
        }
    }
}

/// `{"status", "message", "data"}` of a failed reply.
pub(crate) fn error_of(reply: &Reply) -> Value {
    match serde_json::from_slice::<ErrorObject<Value>>(&reply.body) {
        Ok(object) => json!({
            "status": reply.status.name(),
            "message": object.message,
            "data": object.data,
        }),
        Err(err) => json!({
            "status": reply.status.name(),
            "message": format!("the {} error does not decode: {err}", reply.status),
            "data": null,
        }),
    }
}

/// Why a request body is not a stream of items.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum LineError {
    /// A line longer than the largest item.
    #[error("line {line} of the request body is over the {max}-byte item limit")]
    TooLong { line: u64, max: usize },
    /// A line that is not one JSON value.
    #[error("line {line} of the request body is not JSON: {reason}")]
    NotJson { line: u64, reason: String },
}

impl LineError {
    /// The status the stream fails with.
    pub(crate) fn status(&self) -> Status {
        match self {
            LineError::TooLong { .. } => Status::TooLarge,
            LineError::NotJson { .. } => Status::InvalidArgs,
        }
    }
}

/// Cuts an NDJSON body into its items as chunks of it arrive. Blank lines are skipped; a
/// line ends at `\n` (a `\r` before it is dropped); the last line may lack one.
#[derive(Debug)]
pub(crate) struct Lines {
    pending: BytesMut,
    max_line: usize,
    line: u64,
}

impl Lines {
    pub(crate) fn new(max_line: usize) -> Lines {
        Lines {
            pending: BytesMut::new(),
            max_line,
            line: 0,
        }
    }

    /// The whole items `chunk` completes.
    pub(crate) fn push(&mut self, chunk: &[u8]) -> Result<Vec<Bytes>, LineError> {
        self.pending.extend_from_slice(chunk);
        let mut items = Vec::new();
        while let Some(end) = self.pending.iter().position(|&byte| byte == b'\n') {
            let line = self.pending.split_to(end + 1).freeze();
            items.extend(self.item(line.slice(..end))?);
        }
        if self.pending.len() > self.max_line {
            return Err(LineError::TooLong {
                line: self.line + 1,
                max: self.max_line,
            });
        }
        Ok(items)
    }

    /// The last item, once the body has ended.
    pub(crate) fn finish(&mut self) -> Result<Option<Bytes>, LineError> {
        let rest = std::mem::take(&mut self.pending).freeze();
        self.item(rest)
    }

    fn item(&mut self, line: Bytes) -> Result<Option<Bytes>, LineError> {
        self.line += 1;
        let line = match line.last() {
            Some(b'\r') => line.slice(..line.len() - 1),
            _ => line,
        };
        if line.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        if line.len() > self.max_line {
            return Err(LineError::TooLong {
                line: self.line,
                max: self.max_line,
            });
        }
        match serde_json::from_slice::<serde::de::IgnoredAny>(&line) {
            Ok(_) => Ok(Some(line)),
            Err(err) => Err(LineError::NotJson {
                line: self.line,
                reason: err.to_string(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use ferry::Codec;

    use super::*;

    #[test]
    fn lines_split_across_chunks_become_items() {
        let mut lines = Lines::new(100);
        assert_eq!(lines.push(b"1\n2").unwrap(), [Bytes::from_static(b"1")]);
        assert_eq!(
            lines.push(b"2\r\n\n  \n\"a").unwrap(),
            [Bytes::from_static(b"22")]
        );
        assert_eq!(lines.push(b"b\"").unwrap(), Vec::<Bytes>::new());
        assert_eq!(lines.finish().unwrap(), Some(Bytes::from_static(b"\"ab\"")));
        assert_eq!(lines.finish().unwrap(), None);
    }

    #[test]
    fn bad_lines_are_named_by_number() {
        let mut lines = Lines::new(100);
        let err = lines.push(b"1\nnope\n").unwrap_err();
        assert!(matches!(err, LineError::NotJson { line: 2, .. }), "{err}");
        assert_eq!(err.status(), Status::InvalidArgs);
        let mut lines = Lines::new(4);
        let err = lines.push(b"12345").unwrap_err();
        assert_eq!(err, LineError::TooLong { line: 1, max: 4 });
        assert_eq!(err.status(), Status::TooLarge);
    }

    #[test]
    fn items_and_ends_in_both_formats() {
        assert_eq!(&Format::Ndjson.item(b"[1]")[..], b"[1]\n");
        assert_eq!(&Format::EventStream.item(b"[1]")[..], b"data: [1]\n\n");
        let ok = Reply {
            status: Status::Ok,
            body: Bytes::from_static(b"null"),
        };
        assert_eq!(Format::Ndjson.end(&ok), None);
        assert_eq!(
            Format::EventStream.end(&ok).as_deref(),
            Some(&b"event: end\ndata: null\n\n"[..])
        );
        let failed = Reply::error(Codec::Json, Status::DeadlineExceeded, "too slow");
        let line = Format::Ndjson.end(&failed).unwrap();
        let value: Value = serde_json::from_slice(&line).unwrap();
        assert_eq!(value["error"]["status"], "deadline_exceeded");
        assert_eq!(value["error"]["message"], "too slow");
        let event = Format::EventStream.end(&failed).unwrap();
        assert!(event.starts_with(b"event: error\ndata: {"), "{event:?}");
    }

    #[test]
    fn event_streams_are_asked_for_by_accept() {
        let accept = HeaderValue::from_static("text/event-stream");
        assert_eq!(Format::of(Some(&accept)), Format::EventStream);
        let json = HeaderValue::from_static("application/json");
        assert_eq!(Format::of(Some(&json)), Format::Ndjson);
        assert_eq!(Format::of(None), Format::Ndjson);
    }
}
