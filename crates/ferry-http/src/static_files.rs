//! Static files under a root directory, for `GET` and `HEAD` paths no other route takes.
//!
//! A path is decoded once and refused (403) when it could name anything outside the root: a
//! `..` segment (also percent-encoded), a `%` left after decoding (double encoding), a
//! backslash, a NUL or other control character, or invalid UTF-8. What is left is joined to the
//! root, resolved with symlinks followed, and served only if it is still inside the
//! (equally resolved) root. A directory serves its `index.html`; anything missing is a JSON 404.

use std::path::{Path, PathBuf};

use ferry::Status;
use http::{header, HeaderValue, Response};
use percent_encoding::percent_decode_str;

use crate::{
    body::{self, ResponseBody},
    refusal::Refusal,
};

/// The file a directory is served by.
const INDEX: &str = "index.html";

/// The answer to a `GET`/`HEAD` of `uri_path` under `root`.
pub(crate) async fn serve(root: &Path, uri_path: &str) -> Result<Response<ResponseBody>, Refusal> {
    let (path, len) = find(root, uri_path).await?;
    let file = tokio::fs::File::open(&path)
        .await
        .map_err(|_| Refusal::no_file(uri_path))?;
    Ok(file_response(&path, len, file))
}

/// The file to serve and its length.
async fn find(root: &Path, uri_path: &str) -> Result<(PathBuf, u64), Refusal> {
    let relative = relative_path(uri_path).map_err(|reason| {
        let message = format!("{uri_path} is refused: {reason}");
        Refusal::new(Status::PermissionDenied, message)
    })?;
    let root = tokio::fs::canonicalize(root).await.map_err(|err| {
        let message = format!("the static root {} is unreadable: {err}", root.display());
        Refusal::new(Status::Internal, message)
    })?;
    let mut path = inside(&root, &root.join(relative), uri_path).await?;
    if metadata(&path, uri_path).await?.is_dir() {
        path = inside(&root, &path.join(INDEX), uri_path).await?;
    }
    let found = metadata(&path, uri_path).await?;
    if !found.is_file() {
        return Err(Refusal::no_file(uri_path));
    }
    Ok((path, found.len()))
}

/// `candidate` resolved, if it exists and stays inside `root` (already resolved).
async fn inside(root: &Path, candidate: &Path, uri_path: &str) -> Result<PathBuf, Refusal> {
    let resolved = tokio::fs::canonicalize(candidate)
        .await
        .map_err(|_| Refusal::no_file(uri_path))?;
    if !resolved.starts_with(root) {
        let message = format!("{uri_path} is refused: it leads outside the static root");
        return Err(Refusal::new(Status::PermissionDenied, message));
    }
    Ok(resolved)
}

async fn metadata(path: &Path, uri_path: &str) -> Result<std::fs::Metadata, Refusal> {
    tokio::fs::metadata(path)
        .await
        .map_err(|_| Refusal::no_file(uri_path))
}

fn file_response(path: &Path, len: u64, file: tokio::fs::File) -> Response<ResponseBody> {
    let mut response = Response::new(body::file(file));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, content_type(path));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// The media type of a file by its extension, with a UTF-8 charset for text.
fn content_type(path: &Path) -> HeaderValue {
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    let textual = mime.type_() == mime_guess::mime::TEXT
        || matches!(mime.subtype().as_str(), "json" | "javascript" | "xml")
        || mime
            .suffix()
            .is_some_and(|suffix| suffix == "xml" || suffix == "json");
    let value = if textual {
        format!("{}; charset=utf-8", mime.essence_str())
    } else {
        mime.essence_str().to_owned()
    };
    HeaderValue::from_str(&value).expect("a media type is header-safe")
}

/// The path below the root that `uri_path` (as sent, percent-encoded) names, or why it is
/// refused.
fn relative_path(uri_path: &str) -> Result<PathBuf, &'static str> {
    let decoded = percent_decode_str(uri_path)
        .decode_utf8()
        .map_err(|_| "it is not UTF-8 once decoded")?;
    if decoded.contains('%') {
        return Err("it is percent-encoded more than once");
    }
    if decoded.contains('\\') {
        return Err("it holds a backslash");
    }
    if decoded.chars().any(char::is_control) {
        return Err("it holds a control character");
    }
    let mut relative = PathBuf::new();
    for segment in decoded.split('/') {
        match segment {
            "" | "." => {}
            ".." => return Err("it climbs out with .."),
            name => relative.push(name),
        }
    }
    Ok(relative)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_paths_stay_below_the_root() {
        assert_eq!(relative_path("/"), Ok(PathBuf::new()));
        assert_eq!(relative_path("/a/b.html"), Ok(PathBuf::from("a/b.html")));
        assert_eq!(relative_path("//a/./b"), Ok(PathBuf::from("a/b")));
        assert_eq!(
            relative_path("/%2Fetc/passwd"),
            Ok(PathBuf::from("etc/passwd"))
        );
        assert_eq!(
            relative_path("/with%20space.txt"),
            Ok(PathBuf::from("with space.txt"))
        );
        assert_eq!(relative_path("/a..b/..c"), Ok(PathBuf::from("a..b/..c")));
    }

    #[test]
    fn every_way_out_is_refused() {
        let attempts = [
            "/../etc/passwd",
            "/a/../../etc/passwd",
            "/%2e%2e/etc/passwd",
            "/%2E%2E%2Fetc%2Fpasswd",
            "/.%2e/x",
            "/%252e%252e/etc/passwd",
            "/..%5cetc",
            "/a\\b",
            "/a%00.html",
            "/a%0a",
            "/%ff",
        ];
        for attempt in attempts {
            assert!(relative_path(attempt).is_err(), "{attempt} was let through");
        }
    }

    #[test]
    fn content_types_follow_the_extension() {
        let of = |name: &str| content_type(Path::new(name));
        assert_eq!(of("index.html"), "text/html; charset=utf-8");
        assert_eq!(of("style.css"), "text/css; charset=utf-8");
        assert_eq!(of("data.json"), "application/json; charset=utf-8");
        assert_eq!(of("logo.png"), "image/png");
        assert_eq!(of("blob"), "application/octet-stream");
    }
}
