//! The raw framing, as bytes (sans-IO): a header of payload length (`u32` LE) and call id
//! (`u64` LE), then the payload. Nothing else: no kinds, no flags, no codec.

use bytes::{Buf, BufMut, Bytes, BytesMut};

/// The header's size: length and call id.
pub const HEADER_LEN: usize = 12;

/// The largest payload either side accepts; a bigger one means the peer is broken.
pub const MAX_PAYLOAD: u32 = 16 * 1024 * 1024;

/// One frame: a call id and its payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// Pairs an answer with its request.
    pub id: u64,
    /// The bytes carried, untouched.
    pub payload: Bytes,
}

/// A header announcing a payload over [`MAX_PAYLOAD`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a frame of {0} bytes is over the {MAX_PAYLOAD}-byte limit")]
pub struct TooLarge(pub u32);

/// Takes the next whole frame out of `input`, if one has arrived.
pub fn decode(input: &mut BytesMut) -> Result<Option<Frame>, TooLarge> {
    let Some(header) = input.get(..HEADER_LEN) else {
        return Ok(None);
    };
    let len = u32::from_le_bytes(header[..4].try_into().expect("four bytes"));
    if len > MAX_PAYLOAD {
        return Err(TooLarge(len));
    }
    let whole = HEADER_LEN + len as usize;
    if input.len() < whole {
        input.reserve(whole - input.len());
        return Ok(None);
    }
    input.advance(4);
    let id = input.get_u64_le();
    let payload = input.split_to(len as usize).freeze();
    Ok(Some(Frame { id, payload }))
}

/// Appends one frame to `out`.
pub fn encode(id: u64, payload: &[u8], out: &mut BytesMut) {
    let len = u32::try_from(payload.len()).expect("a payload under 4 GiB");
    out.reserve(HEADER_LEN + payload.len());
    out.put_u32_le(len);
    out.put_u64_le(id);
    out.put_slice(payload);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_split_at_every_offset_decodes_once_whole() {
        let mut framed = BytesMut::new();
        encode(7, b"hello", &mut framed);
        for split in 0..framed.len() {
            let mut input = BytesMut::from(&framed[..split]);
            assert_eq!(decode(&mut input), Ok(None), "split at {split}");
            input.extend_from_slice(&framed[split..]);
            let frame = decode(&mut input).unwrap().unwrap();
            assert_eq!((frame.id, &frame.payload[..]), (7, &b"hello"[..]));
            assert!(input.is_empty());
        }
    }

    #[test]
    fn back_to_back_frames_decode_in_order() {
        let mut input = BytesMut::new();
        encode(1, b"a", &mut input);
        encode(2, b"", &mut input);
        assert_eq!(decode(&mut input).unwrap().unwrap().id, 1);
        assert_eq!(decode(&mut input).unwrap().unwrap().payload.len(), 0);
        assert_eq!(decode(&mut input), Ok(None));
    }

    #[test]
    fn a_length_over_the_limit_is_refused_from_the_header() {
        let mut input = BytesMut::from(&u32::MAX.to_le_bytes()[..]);
        input.extend_from_slice(&[0; 8]);
        assert_eq!(decode(&mut input), Err(TooLarge(u32::MAX)));
    }
}
