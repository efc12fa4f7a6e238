//! Reading a file in chunks on a blocking thread, a few chunks ahead of whoever sends them.

use std::{fs::File, io, os::unix::fs::FileExt};

use ferry::Bytes;
use tokio::sync::mpsc;

/// How many bytes a transfer reads, writes and streams at a time: one stream frame's worth, so
/// a chunk goes whole rather than cut into fragments its receiver puts back together with a
/// copy.
pub const CHUNK: usize = 64 * 1024;

/// How many chunks the reading thread keeps ready ahead of the sender: enough for the disk
/// and the socket to overlap, few enough to bound memory at a megabyte.
const AHEAD: usize = 16;

/// Reads bytes `from..end` of `file` in [`CHUNK`]s on a blocking thread, keeping a few ready
/// ahead of the receiver. The channel ends after the last chunk, or after an error (the file
/// shrank, a read failed); dropping the receiver stops the thread.
pub fn read_chunks(file: File, from: u64, end: u64) -> mpsc::Receiver<io::Result<Bytes>> {
    let (tx, rx) = mpsc::channel(AHEAD);
    tokio::task::spawn_blocking(move || read_into(&file, from, end, &tx));
    rx
}

fn read_into(file: &File, mut offset: u64, end: u64, tx: &mpsc::Sender<io::Result<Bytes>>) {
    while offset < end {
        let len = usize::try_from(end - offset).map_or(CHUNK, |left| left.min(CHUNK));
        let chunk = read_chunk(file, offset, len, end);
        let failed = chunk.is_err();
        if tx.blocking_send(chunk).is_err() || failed {
            return;
        }
        offset += len as u64;
    }
}

/// The `len` bytes at `offset`; a file that ends sooner shrank since `end` was its size.
fn read_chunk(file: &File, offset: u64, len: usize, end: u64) -> io::Result<Bytes> {
    let mut buf = vec![0u8; len];
    match file.read_exact_at(&mut buf, offset) {
        Ok(()) => Ok(Bytes::from(buf)),
        Err(err) if err.kind() == io::ErrorKind::UnexpectedEof => Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!("the file ended before byte {end}, its size when the transfer began: it was truncated meanwhile"),
        )),
        Err(err) => Err(err),
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::*;

    fn temp_file(name: &str, bytes: &[u8]) -> (std::path::PathBuf, File) {
        let path = std::env::temp_dir().join(format!("ferry-chunks-{name}-{}", std::process::id()));
        File::create(&path).unwrap().write_all(bytes).unwrap();
        let file = File::open(&path).unwrap();
        (path, file)
    }

    async fn collect(mut rx: mpsc::Receiver<io::Result<Bytes>>) -> (Vec<u8>, Option<io::Error>) {
        let mut bytes = Vec::new();
        while let Some(chunk) = rx.recv().await {
            match chunk {
                Ok(chunk) => {
                    assert!(chunk.len() <= CHUNK);
                    bytes.extend_from_slice(&chunk);
                }
                Err(err) => return (bytes, Some(err)),
            }
        }
        (bytes, None)
    }

    #[tokio::test]
    async fn reads_the_range_asked_for_in_chunks() {
        let content: Vec<u8> = (0..CHUNK * 2 + 1000).map(|i| (i % 251) as u8).collect();
        let (path, file) = temp_file("range", &content);
        let (bytes, err) = collect(read_chunks(file, 1000, content.len() as u64)).await;
        assert!(err.is_none(), "{err:?}");
        assert_eq!(bytes, content[1000..]);
        std::fs::remove_file(path).unwrap();
    }

    #[tokio::test]
    async fn a_file_shorter_than_its_size_is_an_error_after_what_was_there() {
        let (path, file) = temp_file("short", &[7u8; 100]);
        let (bytes, err) = collect(read_chunks(file, 0, 200)).await;
        assert!(bytes.is_empty(), "a short chunk is not sent as if whole");
        let err = err.expect("an error");
        assert!(err.to_string().contains("truncated"), "{err}");
        std::fs::remove_file(path).unwrap();
    }
}
