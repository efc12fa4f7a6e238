//! `files.get`: a file's bytes from an offset, read a few chunks ahead on a blocking thread.

use ferry::{Bytes, CallError, Sink};

use super::blocking::{answer, blocking};
use crate::{hashing, read_chunks, Download, FilesError, Root};

/// Streams the file at `path` from `offset`; see [`Files::get`](crate::Files::get).
pub(super) async fn get(
    root: Root,
    path: String,
    offset: u64,
    blake3: Option<String>,
    mut out: Sink<Bytes>,
) -> Result<(), CallError> {
    let download = blocking(move || open_checked(&root, &path, offset, blake3.as_deref())).await?;
    let path = download.info.path;
    let mut chunks = read_chunks(download.file, offset, download.info.size);
    while let Some(chunk) = chunks.recv().await {
        let chunk = chunk.map_err(|err| answer(FilesError::from_io(&path, "read", err)))?;
        out.send(chunk).await?;
    }
    Ok(())
}

/// Opens the file, refusing it if it is no longer the version `expected` names or if
/// `offset` is past its end.
fn open_checked(
    root: &Root,
    path: &str,
    offset: u64,
    expected: Option<&str>,
) -> Result<Download, FilesError> {
    let download = root.open_read(path)?;
    let info = &download.info;
    let actual = info.blake3.as_deref().unwrap_or_default();
    if let Some(expected) = expected {
        if hashing::canonical(expected).as_deref() != Some(actual) {
            return Err(FilesError::Changed {
                path: info.path.clone(),
                expected: expected.to_owned(),
                actual: actual.to_owned(),
            });
        }
    }
    if offset > info.size {
        return Err(FilesError::BeyondEnd {
            path: info.path.clone(),
            len: offset,
            size: info.size,
        });
    }
    Ok(download)
}
