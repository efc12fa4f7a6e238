//! zstd bodies, sans-IO: whether a side compresses, and the per-connection contexts that
//! compress a body over the threshold and decompress one within a limit.
//!
//! A compressed body is one zstd frame that carries its content size in its header (what
//! `ZSTD_compress` writes). The size is read before anything is allocated: a frame that
//! claims more than the limit is refused unread, and one that claims less is decompressed
//! into exactly what it claims, so a zstd bomb costs at most the limit, never its claim.

use bytes::Bytes;

use crate::Status;

/// Whether and when one side compresses bodies, and whether it accepts compressed ones.
///
/// ```
/// use ferry_wire::compress::Compression;
///
/// let on = Compression::zstd();
/// assert_eq!(on.threshold(), Some(1024));
/// assert_eq!(Compression::Off.threshold(), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Compression {
    /// Neither sends nor accepts compressed bodies.
    Off,
    /// Accepts zstd bodies, and compresses its own bodies of `threshold` bytes or more at
    /// `level` (zstd's levels: 1 is the fastest of the usual ones, 3 zstd's default).
    Zstd {
        /// The smallest body compressed, in bytes: smaller ones are not worth the work.
        threshold: usize,
        /// The zstd compression level.
        level: i32,
    },
}

impl Compression {
    /// The smallest body compressed unless set otherwise: 1 KiB.
    pub const DEFAULT_THRESHOLD: usize = 1024;
    /// The zstd level unless set otherwise: 1, the fastest of the usual levels, as an RPC
    /// body is compressed on the call's path.
    pub const DEFAULT_LEVEL: i32 = 1;

    /// zstd with the default threshold and level.
    pub fn zstd() -> Compression {
        Compression::Zstd {
            threshold: Compression::DEFAULT_THRESHOLD,
            level: Compression::DEFAULT_LEVEL,
        }
    }

    /// The smallest body compressed, or `None` when compression is off.
    pub fn threshold(&self) -> Option<usize> {
        match self {
            Compression::Off => None,
            Compression::Zstd { threshold, .. } => Some(*threshold),
        }
    }

    /// Whether this side accepts, and may send, zstd bodies.
    pub fn is_on(&self) -> bool {
        !matches!(self, Compression::Off)
    }

    /// A compressor for one connection with these settings; `None` when compression is off.
    pub fn compressor(&self) -> Option<Compressor> {
        match *self {
            Compression::Off => None,
            Compression::Zstd { threshold, level } => Some(Compressor {
                context: None,
                threshold,
                level,
            }),
        }
    }
}

/// One connection's zstd compression context, made with the first body worth compressing and
/// reused for the next ones.
pub struct Compressor {
    context: Option<zstd::bulk::Compressor<'static>>,
    threshold: usize,
    level: i32,
}

impl std::fmt::Debug for Compressor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Compressor")
            .field("threshold", &self.threshold)
            .field("level", &self.level)
            .field("context", &self.context.is_some())
            .finish()
    }
}

impl Compressor {
    /// Whether a body of `len` bytes is worth trying: a call under the threshold pays only this
    /// comparison.
    #[inline]
    pub fn worth(&self, len: usize) -> bool {
        len >= self.threshold
    }

    /// `body` as one zstd frame, or `None` when it is under the threshold or would not shrink
    /// (then it goes as it is).
    pub fn compress(&mut self, body: &[u8]) -> Option<Bytes> {
        if !self.worth(body.len()) {
            return None;
        }
        let context = match &mut self.context {
            Some(context) => context,
            empty => empty.insert(zstd::bulk::Compressor::new(self.level).ok()?),
        };
        let mut out = Vec::with_capacity(zstd::zstd_safe::compress_bound(body.len()));
        context.compress_to_buffer(body, &mut out).ok()?;
        (out.len() < body.len()).then(|| Bytes::from(out))
    }
}

/// Why a compressed body was refused. The frame it came in was consumed whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecompressError {
    /// The body would decompress past the limit; nothing of its size was allocated.
    #[error("it would decompress to {len} bytes, over the {max}-byte limit")]
    TooLarge {
        /// The decompressed size the body's zstd frame claims.
        len: u64,
        /// The limit.
        max: usize,
    },
    /// Not one zstd frame with its content size, or its data does not match it.
    #[error("it is not a zstd frame with its content size: {0}")]
    Malformed(&'static str),
}

impl DecompressError {
    /// The status a call refused for it is answered with: `too_large` past the limit,
    /// `protocol` for bytes that are not what the flag says.
    pub fn status(&self) -> Status {
        match self {
            DecompressError::TooLarge { .. } => Status::TooLarge,
            DecompressError::Malformed(_) => Status::Protocol,
        }
    }
}

/// One connection's zstd decompression context, made with the first compressed body.
#[derive(Default)]
pub struct Decompressor {
    context: Option<zstd::bulk::Decompressor<'static>>,
}

impl std::fmt::Debug for Decompressor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Decompressor")
            .field("context", &self.context.is_some())
            .finish()
    }
}

impl Decompressor {
    /// Decompresses `body`, one zstd frame, into at most `max` bytes.
    pub fn decompress(&mut self, body: &[u8], max: usize) -> Result<Bytes, DecompressError> {
        let len = match zstd::zstd_safe::get_frame_content_size(body) {
            Ok(Some(len)) => len,
            Ok(None) => return Err(DecompressError::Malformed("no content size")),
            Err(_) => return Err(DecompressError::Malformed("no zstd frame header")),
        };
        let Some(len) = usize::try_from(len).ok().filter(|len| *len <= max) else {
            return Err(DecompressError::TooLarge { len, max });
        };
        let context = match &mut self.context {
            Some(context) => context,
            empty => empty.insert(
                zstd::bulk::Decompressor::new()
                    .map_err(|_| DecompressError::Malformed("no zstd context could be made"))?,
            ),
        };
        // Exactly what the frame claims: zstd writes no further than the capacity, so data
        // that goes on past its claim is an error, not an allocation.
        let mut out = Vec::with_capacity(len);
        match context.decompress_to_buffer(body, &mut out) {
            Ok(written) if written == len => Ok(Bytes::from(out)),
            Ok(_) => Err(DecompressError::Malformed(
                "its data is shorter than its content size",
            )),
            Err(_) => Err(DecompressError::Malformed(
                "its data is corrupt or longer than its content size",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(len: usize) -> Vec<u8> {
        b"ferry carries calls; "
            .iter()
            .copied()
            .cycle()
            .take(len)
            .collect()
    }

    #[test]
    fn bodies_over_the_threshold_round_trip_and_shrink() {
        let mut compressor = Compression::zstd().compressor().unwrap();
        let mut decompressor = Decompressor::default();
        for len in [1024, 4096, 64 * 1024] {
            let body = text(len);
            let compressed = compressor.compress(&body).expect("compressible text");
            assert!(
                compressed.len() < body.len() / 10,
                "{len}: {}",
                compressed.len()
            );
            let back = decompressor.decompress(&compressed, len).unwrap();
            assert_eq!(&back[..], &body[..]);
        }
    }

    #[test]
    fn small_or_incompressible_bodies_go_as_they_are() {
        let mut compressor = Compression::zstd().compressor().unwrap();
        assert_eq!(compressor.compress(&text(1023)), None);
        // Pseudo-random bytes (xorshift): zstd's frame would be larger.
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let noise: Vec<u8> = (0..4096)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state.to_le_bytes()[0]
            })
            .collect();
        assert_eq!(compressor.compress(&noise), None);
        assert!(Compression::Off.compressor().is_none());
    }

    #[test]
    fn a_body_over_the_limit_is_refused_by_its_claim() {
        let mut compressor = Compression::zstd().compressor().unwrap();
        let bomb = compressor.compress(&vec![0; 1 << 20]).unwrap();
        assert!(bomb.len() < 1024, "{}", bomb.len());
        let refused = Decompressor::default().decompress(&bomb, (1 << 20) - 1);
        assert_eq!(
            refused,
            Err(DecompressError::TooLarge {
                len: 1 << 20,
                max: (1 << 20) - 1
            })
        );
    }

    /// A frame header claiming 4 GiB, then one raw block of 4 bytes: refused by its claim,
    /// before any buffer is made for it.
    #[test]
    fn a_frame_claiming_4_gib_is_refused_without_allocating() {
        let mut frame = vec![0x28, 0xb5, 0x2f, 0xfd];
        // Frame header descriptor: an 8-byte content size, single segment.
        frame.push(0b1110_0000);
        frame.extend_from_slice(&(4u64 << 30).to_le_bytes());
        // Last block, raw, 4 bytes.
        frame.extend_from_slice(&[0x21, 0x00, 0x00]);
        frame.extend_from_slice(b"abcd");
        let refused = Decompressor::default().decompress(&frame, 16 << 20);
        assert_eq!(
            refused,
            Err(DecompressError::TooLarge {
                len: 4 << 30,
                max: 16 << 20
            })
        );
    }

    #[test]
    fn data_that_lies_about_its_size_or_is_not_zstd_is_malformed() {
        let mut compressor = Compression::zstd().compressor().unwrap();
        let body = compressor.compress(&text(4096)).unwrap();
        let mut decompressor = Decompressor::default();
        for bad in [&b"not zstd at all"[..], &body[..body.len() - 3]] {
            assert!(matches!(
                decompressor.decompress(bad, 1 << 20),
                Err(DecompressError::Malformed(_))
            ));
        }
        // The context is still good after a refusal.
        assert_eq!(decompressor.decompress(&body, 4096).unwrap().len(), 4096);
    }
}
