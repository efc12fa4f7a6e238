//! The file store over HTTP: `GET`, `HEAD` and `PUT /files/PATH`, confined to the store's
//! root by `ferry_files` (the path rules, `openat2` beneath the root, no symbolic links).
//!
//! The path after `/files/` is percent-decoded once and handed to the store as it is; the
//! store's rules refuse `..`, `.`, empty components, NUL and the rest with 403, so a `%2e%2e`
//! is refused like a `..`. Every file operation runs on a blocking thread, never on the
//! runtime's own.

mod download;
pub(crate) mod range;
mod upload;

use std::time::Duration;

use ferry::Status;
use ferry_files::{FilesError, Root};
use http::{Method, Request, Response, StatusCode};
use hyper::body::Incoming;
use percent_encoding::percent_decode_str;

use crate::{
    body::{self, ResponseBody},
    refusal::Refusal,
};

/// Where the routes start.
const PREFIX: &str = "/files";

/// The methods the routes take.
const METHODS: [Method; 3] = [Method::GET, Method::HEAD, Method::PUT];

/// The `files` service method a request of `method` stands for, for auth: `files.put` for a
/// `PUT`, `files.get` for the rest, so one token line grants both ways of moving a file.
pub(crate) fn method_of(method: &Method) -> &'static str {
    if method == Method::PUT {
        "files.put"
    } else {
        "files.get"
    }
}

/// Whether `path` is `/files` or under `/files/`.
pub(crate) fn is_files_path(path: &str) -> bool {
    path.strip_prefix(PREFIX)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// The answer to a request under `/files/`; `idle` bounds the wait for each piece of a
/// `PUT`'s body.
pub(crate) async fn answer(
    root: &Root,
    request: Request<Incoming>,
    idle: Duration,
) -> Response<ResponseBody> {
    let answered = match remote_path(request.uri().path()) {
        Err(refusal) => Err(refusal),
        Ok(path) => match *request.method() {
            Method::GET | Method::HEAD => download::answer(root.clone(), path, &request).await,
            Method::PUT => upload::answer(root.clone(), path, request, idle)
                .await
                .map(|response| response.map(body::full)),
            _ => {
                let (method, uri_path) = (request.method(), request.uri().path());
                Err(Refusal::wrong_method(method, uri_path, &METHODS))
            }
        },
    };
    answered.unwrap_or_else(|refusal| refusal.into_response().map(body::full))
}

/// The store path a `/files/...` URI path names: what follows the prefix, decoded once.
fn remote_path(uri_path: &str) -> Result<String, Refusal> {
    let rest = uri_path.strip_prefix(PREFIX).unwrap_or(uri_path);
    let rest = rest.strip_prefix('/').unwrap_or(rest);
    match percent_decode_str(rest).decode_utf8() {
        Ok(decoded) => Ok(decoded.into_owned()),
        Err(_) => {
            let message = format!("{uri_path} is refused: it is not UTF-8 once decoded");
            Err(Refusal::new(Status::PermissionDenied, message))
        }
    }
}

/// The HTTP spelling of a store's refusal.
fn refusal(err: FilesError) -> Refusal {
    let message = err.to_string();
    match err {
        FilesError::DiskFull { .. } => {
            Refusal::with_code(StatusCode::INSUFFICIENT_STORAGE, err.status(), message)
        }
        err => Refusal::new(err.status(), message),
    }
}

/// Runs `work` (file-system calls) on a blocking thread.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, FilesError> + Send + 'static,
) -> Result<T, Refusal> {
    match tokio::task::spawn_blocking(work).await {
        Ok(done) => done.map_err(refusal),
        Err(err) => Err(Refusal::new(
            Status::Internal,
            format!("a file operation failed unexpectedly ({err}); the server goes on"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_path_after_the_prefix_is_decoded_once() {
        let of = |uri: &str| remote_path(uri).unwrap();
        assert_eq!(of("/files"), "");
        assert_eq!(of("/files/"), "");
        assert_eq!(of("/files/a/b%20c.txt"), "a/b c.txt");
        assert_eq!(of("/files/%2e%2e/x"), "../x");
        assert_eq!(of("/files/%252e"), "%2e");
        assert!(remote_path("/files/%ff").is_err());
    }

    #[test]
    fn only_the_prefix_and_below_are_files() {
        assert!(is_files_path("/files"));
        assert!(is_files_path("/files/a"));
        assert!(!is_files_path("/filesystem"));
        assert!(!is_files_path("/api/files"));
    }

    #[test]
    fn a_full_disk_is_507_and_the_rest_follow_their_status() {
        let full = refusal(FilesError::DiskFull { path: "a".into() }).into_response();
        assert_eq!(full.status(), StatusCode::INSUFFICIENT_STORAGE);
        let busy = refusal(FilesError::Busy { path: "a".into() }).into_response();
        assert_eq!(busy.status(), StatusCode::SERVICE_UNAVAILABLE);
        let missing = refusal(FilesError::NotFound { path: "a".into() }).into_response();
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    }
}
