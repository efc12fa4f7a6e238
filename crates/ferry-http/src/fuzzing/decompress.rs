//! Bounded decompression: the native protocol's zstd bodies and HTTP's gzip and zstd
//! Content-Encoding.

use ferry_wire::compress::{Compression, Decompressor};

use crate::encoding::{self, Encoding};

/// The limit the target decompresses within: small, so that a bomb is found at once.
const LIMIT: usize = 64 * 1024;

/// The first byte picks the decoder. Over arbitrary bytes none panics and none yields more
/// than the limit; and the rest, compressed by the matching encoder, decompresses back to
/// itself.
pub fn decompress(data: &[u8]) {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    match first % 3 {
        0 => native(rest),
        1 => http(Encoding::Gzip, rest),
        _ => http(Encoding::Zstd, rest),
    }
}

fn native(body: &[u8]) {
    let mut decompressor = Decompressor::default();
    if let Ok(out) = decompressor.decompress(body, LIMIT) {
        assert!(out.len() <= LIMIT, "{} bytes past the limit", out.len());
    }
    let Some(mut compressor) = Compression::zstd().compressor() else {
        return;
    };
    if let Some(compressed) = compressor.compress(body) {
        let back = decompressor.decompress(&compressed, body.len().max(1));
        assert_eq!(
            back.as_deref(),
            Ok(body),
            "a compressed body decompresses to itself"
        );
    }
}

fn http(coding: Encoding, body: &[u8]) {
    if let Ok(out) = encoding::decode(coding, body, LIMIT) {
        assert!(out.len() <= LIMIT, "{} bytes past the limit", out.len());
    }
    if let Some(encoded) = encoding::encode(coding, body, 1) {
        let back = encoding::decode(coding, &encoded, body.len());
        assert_eq!(
            back.as_deref(),
            Ok(body),
            "an encoded body decodes to itself"
        );
    }
}
