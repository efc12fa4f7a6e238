//! The 12-byte connection preface.

use bytes::BytesMut;

use super::encode;
use crate::{
    Frame, FrameDecoder, Preface, WireError, CODEC_JSON, CODEC_MSGPACK, MAGIC, PREFACE_LEN, VERSION,
};

const MSGPACK_16_MIB: [u8; 12] = [
    0x46, 0x45, 0x52, 0x52, 0x59, 0x00, 0x01, 0x01, 0x01, 0x00, 0x00, 0x00,
];

fn encode_preface(preface: Preface) -> Vec<u8> {
    let mut buf = BytesMut::new();
    preface.encode(&mut buf);
    buf.to_vec()
}

#[test]
fn constants() {
    assert_eq!(&MAGIC, b"FERRY\0");
    assert_eq!(VERSION, 1);
    assert_eq!(PREFACE_LEN, 12);
    assert_eq!(CODEC_MSGPACK, 1);
    assert_eq!(CODEC_JSON, 2);
}

#[test]
fn encodes_to_the_documented_bytes() {
    let msgpack = Preface {
        version: VERSION,
        codec: CODEC_MSGPACK,
        max_frame_len: 16 << 20,
    };
    assert_eq!(encode_preface(msgpack), MSGPACK_16_MIB);
    let json = Preface {
        version: VERSION,
        codec: CODEC_JSON,
        max_frame_len: 0x0102_0304,
    };
    assert_eq!(encode_preface(json), *b"FERRY\0\x01\x02\x01\x02\x03\x04");
}

#[test]
fn encode_appends() {
    let mut buf = BytesMut::from(&b"xy"[..]);
    Preface {
        version: 1,
        codec: 2,
        max_frame_len: 3,
    }
    .encode(&mut buf);
    assert_eq!(&buf[..], b"xyFERRY\0\x01\x02\x00\x00\x00\x03");
}

#[test]
fn round_trip_leaves_the_following_bytes() {
    for preface in [
        Preface {
            version: VERSION,
            codec: CODEC_MSGPACK,
            max_frame_len: 16 << 20,
        },
        Preface {
            version: VERSION,
            codec: CODEC_JSON,
            max_frame_len: 0,
        },
        Preface {
            version: 0xff,
            codec: 0xff,
            max_frame_len: u32::MAX,
        },
    ] {
        let mut bytes = encode_preface(preface);
        let ping = encode(&Frame::Ping { payload: 1 });
        bytes.extend(&ping);
        let mut buf = BytesMut::from(&bytes[..]);
        assert_eq!(Preface::decode(&mut buf), Ok(Some(preface)));
        assert_eq!(&buf[..], &ping[..], "only the preface is consumed");
        assert_eq!(
            FrameDecoder::new(64).decode(&mut buf),
            Ok(Some(Frame::Ping { payload: 1 }))
        );
    }
}

#[test]
fn partial_preface_needs_more_at_every_length() {
    for len in 0..PREFACE_LEN {
        let mut buf = BytesMut::from(&MSGPACK_16_MIB[..len]);
        assert_eq!(Preface::decode(&mut buf), Ok(None), "{len} bytes");
        assert_eq!(
            &buf[..],
            &MSGPACK_16_MIB[..len],
            "nothing consumed at {len} bytes"
        );
    }
}

#[test]
fn byte_by_byte() {
    let mut buf = BytesMut::new();
    for (i, byte) in MSGPACK_16_MIB.iter().enumerate() {
        buf.extend_from_slice(&[*byte]);
        let result = Preface::decode(&mut buf);
        if i + 1 < PREFACE_LEN {
            assert_eq!(result, Ok(None));
        } else {
            let expected = Preface {
                version: 1,
                codec: 1,
                max_frame_len: 16 << 20,
            };
            assert_eq!(result, Ok(Some(expected)));
        }
    }
    assert!(buf.is_empty());
}

#[test]
fn bad_magic_on_the_first_differing_byte() {
    for at in 0..MAGIC.len() {
        for wrong in [0x00, b'f', b'X', 0xff] {
            if wrong == MAGIC[at] {
                continue;
            }
            // Only the bytes up to and including the wrong one have arrived.
            let mut bytes = MAGIC[..at].to_vec();
            bytes.push(wrong);
            let mut buf = BytesMut::from(&bytes[..]);
            assert_eq!(
                Preface::decode(&mut buf),
                Err(WireError::BadMagic),
                "at {at}"
            );
            assert_eq!(&buf[..], &bytes[..], "nothing consumed");
            // The same with the whole preface present.
            let mut full = MSGPACK_16_MIB;
            full[at] = wrong;
            let mut buf = BytesMut::from(&full[..]);
            assert_eq!(
                Preface::decode(&mut buf),
                Err(WireError::BadMagic),
                "at {at}, full"
            );
        }
    }
    assert!(WireError::BadMagic.is_fatal());
}

#[test]
fn other_protocols_are_refused_early() {
    for first_bytes in [
        &b"GET / HTTP/1.1\r\n"[..],
        b"PRI * HTTP/2.0",
        b"\x16\x03\x01",
        b"{",
    ] {
        let mut buf = BytesMut::from(first_bytes);
        assert_eq!(Preface::decode(&mut buf), Err(WireError::BadMagic));
    }
}

/// The bytes after the magic are not judged here: the caller decides what it can speak.
#[test]
fn other_version_and_codec_decode() {
    let mut buf = BytesMut::from(&b"FERRY\0\x02\x09\x00\x00\x10\x00"[..]);
    let expected = Preface {
        version: 2,
        codec: 9,
        max_frame_len: 4096,
    };
    assert_eq!(Preface::decode(&mut buf), Ok(Some(expected)));
    assert!(buf.is_empty());
}
