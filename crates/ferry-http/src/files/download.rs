//! `GET` and `HEAD /files/PATH`: a file streamed whole or in one range, or a directory's
//! listing as JSON.

use std::{
    io::SeekFrom,
    time::{Duration, UNIX_EPOCH},
};

use bytes::Bytes;
use ferry::Status;
use ferry_files::{Download, Entry, FileInfo, Root};
use http::{header, HeaderMap, HeaderValue, Method, Request, Response, StatusCode};
use hyper::body::Incoming;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use super::{
    blocking,
    range::{self, Wanted},
};
use crate::{
    body::{self, ResponseBody},
    refusal::Refusal,
    respond,
};

/// What a path turned out to be.
enum Found {
    File(Download),
    Dir { path: String, entries: Vec<Entry> },
}

/// The answer to a `GET` or `HEAD` of the store path `path`.
pub(super) async fn answer(
    root: Root,
    path: String,
    request: &Request<Incoming>,
) -> Result<Response<ResponseBody>, Refusal> {
    let found = blocking(move || {
        let info = root.stat(&path)?;
        if info.is_dir {
            let entries = root.list(&path)?;
            return Ok(Found::Dir {
                path: info.path,
                entries,
            });
        }
        root.open_read(&path).map(Found::File)
    })
    .await?;
    let head = request.method() == Method::HEAD;
    match found {
        Found::Dir { path, entries } => Ok(listing(&path, &entries, head)),
        Found::File(download) => file(download, request.headers(), head).await,
    }
}

/// `{"path": ..., "entries": [{"name", "is_dir", "size", "modified_ns"}]}`.
fn listing(path: &str, entries: &[Entry], head: bool) -> Response<ResponseBody> {
    let body = json!({"path": path, "entries": entries});
    let response = respond::json_value(StatusCode::OK, &body);
    without_body_if(head, response.map(body::full))
}

/// The file, whole, in the one range asked for, or not at all when the client's copy is
/// current (`If-None-Match`).
async fn file(
    download: Download,
    headers: &HeaderMap,
    head: bool,
) -> Result<Response<ResponseBody>, Refusal> {
    let Download { info, file } = download;
    let etag = format!("\"{}\"", info.blake3.as_deref().unwrap_or_default());
    let text = |name| {
        headers
            .get(name)
            .and_then(|value: &HeaderValue| value.to_str().ok())
    };
    if text(header::IF_NONE_MATCH).is_some_and(|tags| range::none_match(tags, &etag)) {
        let unchanged = body::full(Bytes::new());
        return Ok(described(StatusCode::NOT_MODIFIED, &info, &etag, unchanged));
    }
    let size = info.size;
    let asked = range::wanted(text(header::RANGE), text(header::IF_RANGE), &etag, size);
    let (status, start, len) = match asked {
        Wanted::Whole => (StatusCode::OK, 0, size),
        Wanted::Part { start, end } => (StatusCode::PARTIAL_CONTENT, start, end - start + 1),
        Wanted::Unsatisfiable => return Err(unsatisfiable(&info)),
    };
    let content = if head {
        body::full(Bytes::new())
    } else {
        let streamed = stream(file, start, len).await;
        streamed.map_err(|err| broken(&info.path, &err))?
    };
    let mut response = described(status, &info, &etag, content);
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    if status == StatusCode::PARTIAL_CONTENT {
        let range = format!("bytes {start}-{}/{size}", start + len - 1);
        headers.insert(header::CONTENT_RANGE, header_value(&range));
    }
    Ok(response)
}

/// `len` bytes of `file` from `start`, read on the blocking pool a chunk at a time.
async fn stream(file: std::fs::File, start: u64, len: u64) -> std::io::Result<ResponseBody> {
    let mut file = tokio::fs::File::from_std(file);
    file.seek(SeekFrom::Start(start)).await?;
    Ok(body::reader(file.take(len)))
}

/// A response with the headers describing the file: its hash as `ETag`, its time, its type.
fn described(
    status: StatusCode,
    info: &FileInfo,
    etag: &str,
    content: ResponseBody,
) -> Response<ResponseBody> {
    let mut response = Response::new(content);
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::ETAG, header_value(etag));
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Some(modified) = last_modified(info.modified_ns) {
        headers.insert(header::LAST_MODIFIED, header_value(&modified));
    }
    // Anyone may upload here: a stored page must never run as this server's own.
    let opaque = HeaderValue::from_static("application/octet-stream");
    headers.insert(header::CONTENT_TYPE, opaque);
    let nosniff = HeaderValue::from_static("nosniff");
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, nosniff);
    response
}

/// 416, naming the file's size in `Content-Range` as the spec asks.
fn unsatisfiable(info: &FileInfo) -> Refusal {
    let (path, size) = (&info.path, info.size);
    let message = format!(
        "the range asked for starts past the end of {path:?} ({size} bytes); ask for less, or for the whole file"
    );
    let refusal = Refusal::with_code(
        StatusCode::RANGE_NOT_SATISFIABLE,
        Status::InvalidArgs,
        message,
    );
    refusal.with_header(
        header::CONTENT_RANGE,
        header_value(&format!("bytes */{size}")),
    )
}

fn broken(path: &str, err: &std::io::Error) -> Refusal {
    let message =
        format!("cannot read {path:?}: {err}; check the disk and permissions of the store");
    Refusal::new(Status::Internal, message)
}

/// `modified_ns` as an HTTP date; none before 1970.
fn last_modified(modified_ns: i64) -> Option<String> {
    let since = Duration::from_nanos(u64::try_from(modified_ns).ok()?);
    Some(httpdate::fmt_http_date(UNIX_EPOCH + since))
}

/// A `HEAD` answer keeps every header, `Content-Length` included, and drops the body.
fn without_body_if(head: bool, response: Response<ResponseBody>) -> Response<ResponseBody> {
    if !head {
        return response;
    }
    let (parts, _) = response.into_parts();
    Response::from_parts(parts, body::full(Bytes::new()))
}

fn header_value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).expect("hashes, dates and ranges are header-safe")
}
