//! BLAKE3 over a file's bytes, and the hexadecimal spelling of a hash.

use std::{fs::File, io, os::unix::fs::FileExt};

/// How much is read at a time while hashing.
const CHUNK: usize = 1 << 20;

/// A hasher fed the first `len` bytes of `file`, read at their offsets (the file's own
/// position is not moved): what a sender or a receiver compares with the other side's
/// `prefix_hash` or `PutEvent::Offer`. Fails if the file is shorter than `len`.
pub fn hash_prefix(file: &File, len: u64) -> io::Result<blake3::Hasher> {
    let mut hasher = blake3::Hasher::new();
    let mut buf = vec![0u8; CHUNK];
    let mut offset = 0u64;
    while offset < len {
        let want = usize::try_from(len - offset).map_or(CHUNK, |left| left.min(CHUNK));
        let read = file.read_at(&mut buf[..want], offset)?;
        if read == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the file ended before the length being hashed",
            ));
        }
        hasher.update(&buf[..read]);
        offset += read as u64;
    }
    Ok(hasher)
}

/// The hash as 64 lowercase hexadecimal digits.
pub(crate) fn hex(hasher: &blake3::Hasher) -> String {
    hasher.finalize().to_hex().to_string()
}

/// `text` as a hash's canonical spelling (lowercase), if it is 64 hexadecimal digits.
pub(crate) fn canonical(text: &str) -> Option<String> {
    let is_hash = text.len() == 64 && text.bytes().all(|byte| byte.is_ascii_hexdigit());
    is_hash.then(|| text.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_64_hex_digits_in_any_case() {
        let hash = hex(&blake3::Hasher::new());
        assert_eq!(hash, blake3::hash(b"").to_hex().as_str());
        assert_eq!(canonical(&hash.to_uppercase()), Some(hash.clone()));
        assert_eq!(canonical(&hash[1..]), None);
        assert_eq!(canonical(&format!("{}g", &hash[1..])), None);
    }
}
