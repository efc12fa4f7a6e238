//! The framing: a 4-byte little-endian length, then the body (sans-IO).

use bytes::{Buf, BufMut, Bytes, BytesMut};

/// The length header's size.
const LEN: usize = 4;

/// A message whose header announces more than the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct TooLarge {
    pub(super) len: u32,
    pub(super) max: u32,
}

/// The next whole message body in `input`, if one has arrived. The length is checked before a
/// byte of the body is waited for.
pub(super) fn decode(input: &mut BytesMut, max: u32) -> Result<Option<Bytes>, TooLarge> {
    let Some(header) = input.get(..LEN) else {
        return Ok(None);
    };
    let len = u32::from_le_bytes(header.try_into().expect("four bytes"));
    if len > max {
        return Err(TooLarge { len, max });
    }
    let whole = LEN + len as usize;
    if input.len() < whole {
        input.reserve((whole - input.len()).min(64 * 1024));
        return Ok(None);
    }
    input.advance(LEN);
    Ok(Some(input.split_to(len as usize).freeze()))
}

/// Appends one framed message.
pub(super) fn encode(body: &[u8], out: &mut BytesMut) {
    let len = u32::try_from(body.len()).expect("a message under 4 GiB");
    out.reserve(LEN + body.len());
    out.put_u32_le(len);
    out.put_slice(body);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_a_message_split_at_every_offset() {
        let mut framed = BytesMut::new();
        encode(br#"{"in":"ping"}"#, &mut framed);
        for split in 0..framed.len() {
            let mut input = BytesMut::from(&framed[..split]);
            assert_eq!(decode(&mut input, 64), Ok(None), "split at {split}");
            input.extend_from_slice(&framed[split..]);
            let body = decode(&mut input, 64).unwrap().unwrap();
            assert_eq!(&body[..], br#"{"in":"ping"}"#);
            assert!(input.is_empty());
        }
    }

    #[test]
    fn refuses_a_length_over_the_limit_before_the_body_arrives() {
        let mut input = BytesMut::from(&[0xff, 0xff, 0xff, 0xff][..]);
        assert_eq!(
            decode(&mut input, 1024),
            Err(TooLarge {
                len: u32::MAX,
                max: 1024
            })
        );
    }

    #[test]
    fn encodes_the_length_little_endian() {
        let mut out = BytesMut::new();
        encode(b"{}", &mut out);
        assert_eq!(&out[..], b"\x02\x00\x00\x00{}");
    }
}
