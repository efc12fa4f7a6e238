//! Decoder behaviour on bad input: oversize frames, unknown kinds, malformed bodies.

use bytes::{Bytes, BytesMut};

use super::{decode_chunks, decode_one_piece, drain, encode, raw_frame};
use crate::{
    ByteStr, Frame, FrameDecoder, GoAway, Kind, Request, Response, Status, WireError,
    DEFAULT_MAX_FRAME_LEN, HEADER_LEN,
};

fn ping(payload: u64) -> Frame {
    Frame::Ping { payload }
}

fn malformed(kind: Kind, reason: &'static str) -> WireError {
    WireError::Malformed { kind, reason }
}

#[test]
fn default_max_is_16_mib() {
    assert_eq!(DEFAULT_MAX_FRAME_LEN, 16 * 1024 * 1024);
    assert_eq!(FrameDecoder::new(123).max_frame_len(), 123);
}

#[test]
fn empty_and_partial_headers_need_more() {
    let bytes = encode(&ping(1));
    let mut decoder = FrameDecoder::new(64);
    for len in 0..bytes.len() {
        let mut buf = BytesMut::from(&bytes[..len]);
        assert_eq!(decoder.decode(&mut buf), Ok(None), "prefix of {len} bytes");
        assert_eq!(&buf[..], &bytes[..len], "a partial frame is not consumed");
    }
}

#[test]
fn body_at_the_limit_is_accepted_one_over_is_not() {
    let at_limit = Frame::StreamItem {
        call_id: 3,
        body: Bytes::from(vec![7; 32]),
        more: false,
    };
    let over = Frame::StreamItem {
        call_id: 4,
        body: Bytes::from(vec![7; 33]),
        more: false,
    };
    let mut bytes = encode(&at_limit);
    bytes.extend(encode(&over));
    bytes.extend(encode(&ping(5)));
    let too_large = WireError::FrameTooLarge {
        kind: 0x07,
        call_id: 4,
        len: 33,
        max: 32,
    };
    assert_eq!(
        decode_one_piece(32, &bytes),
        vec![Ok(at_limit), Err(too_large), Ok(ping(5))]
    );
}

#[test]
fn zero_limit_accepts_only_empty_bodies() {
    let mut bytes = encode(&Frame::Cancel { call_id: 9 });
    bytes.extend(encode(&ping(1)));
    let too_large = WireError::FrameTooLarge {
        kind: 0x04,
        call_id: 0,
        len: 8,
        max: 0,
    };
    assert_eq!(
        decode_one_piece(0, &bytes),
        vec![Ok(Frame::Cancel { call_id: 9 }), Err(too_large)]
    );
}

/// A header announcing 1 GiB against a 64-byte limit: reported once from the header alone, the
/// body skipped as it trickles in without ever being buffered, and the next frame decodes.
#[test]
fn oversize_body_is_skipped_as_it_arrives() {
    const ANNOUNCED: u32 = 1 << 30;
    const PIECE: usize = 4096;
    let mut header = Vec::new();
    header.extend_from_slice(&ANNOUNCED.to_be_bytes());
    header.extend_from_slice(&[0x01, 0x03, 0xde, 0xad, 0xbe, 0xef]);

    let mut decoder = FrameDecoder::new(64);
    let mut buf = BytesMut::new();

    // The header arrives in two pieces: nothing happens before the tenth byte.
    buf.extend_from_slice(&header[..7]);
    assert_eq!(decoder.decode(&mut buf), Ok(None));
    buf.extend_from_slice(&header[7..]);
    let expected = WireError::FrameTooLarge {
        kind: 0x01,
        call_id: 0xdead_beef,
        len: ANNOUNCED,
        max: 64,
    };
    assert_eq!(decoder.decode(&mut buf), Err(expected.clone()));
    assert!(!expected.is_fatal());
    assert!(buf.is_empty());
    let capacity_after_header = buf.capacity();
    assert!(
        capacity_after_header < 1024,
        "capacity {capacity_after_header}"
    );

    // The body arrives in pieces; every piece is dropped at once.
    let piece = vec![0x5a; PIECE];
    let mut remaining = ANNOUNCED as usize;
    let mut pieces = 0;
    while remaining > PIECE {
        buf.extend_from_slice(&piece);
        remaining -= PIECE;
        assert_eq!(decoder.decode(&mut buf), Ok(None));
        assert!(buf.is_empty(), "{} body bytes were buffered", buf.len());
        assert!(
            buf.capacity() <= 2 * PIECE,
            "capacity grew to {}",
            buf.capacity()
        );
        pieces += 1;
        if pieces == 2_000 {
            break;
        }
    }
    // Skipping survives calls on an empty buffer.
    assert_eq!(decoder.decode(&mut buf), Ok(None));

    // The rest of the gigabyte in 1 MiB pieces, but for its last 3 bytes, which share a chunk
    // with the next frame.
    let big_piece = vec![0x5a; 1 << 20];
    while remaining > 3 {
        let n = (remaining - 3).min(big_piece.len());
        buf.extend_from_slice(&big_piece[..n]);
        remaining -= n;
        assert_eq!(decoder.decode(&mut buf), Ok(None));
        assert!(buf.is_empty(), "{} body bytes were buffered", buf.len());
        assert!(
            buf.capacity() <= 2 << 20,
            "capacity grew to {}",
            buf.capacity()
        );
    }
    buf.extend_from_slice(&[0x5a; 3]);
    buf.extend_from_slice(&encode(&ping(77)));
    assert_eq!(drain(&mut decoder, &mut buf), vec![Ok(ping(77))]);
    assert!(buf.is_empty());
}

/// When header, body and following frame arrive together the body is dropped in the same call.
#[test]
fn oversize_body_in_the_same_chunk_as_its_header() {
    let big = Frame::Response(Response {
        call_id: 12,
        status: Status::Ok,
        body: Bytes::from(vec![1; 200]),
    });
    let mut bytes = encode(&big);
    let next = Frame::Cancel { call_id: 13 };
    bytes.extend(encode(&next));

    let mut decoder = FrameDecoder::new(100);
    let mut buf = BytesMut::from(&bytes[..]);
    let too_large = WireError::FrameTooLarge {
        kind: 0x02,
        call_id: 12,
        len: 201,
        max: 100,
    };
    assert_eq!(decoder.decode(&mut buf), Err(too_large));
    assert_eq!(
        &buf[..],
        &encode(&next)[..],
        "exactly the oversize frame was dropped"
    );
    assert_eq!(decoder.decode(&mut buf), Ok(Some(next)));
}

#[test]
fn oversize_frames_back_to_back_fed_byte_by_byte() {
    let frames = [
        Frame::StreamItem {
            call_id: 1,
            body: Bytes::from(vec![9; 20]),
            more: false,
        },
        Frame::StreamItem {
            call_id: 2,
            body: Bytes::from(vec![9; 21]),
            more: false,
        },
        Frame::StreamItem {
            call_id: 3,
            body: Bytes::from(vec![9; 16]),
            more: false,
        },
        Frame::GoAway(GoAway {
            last_call_id: 4,
            status: Status::Unavailable,
            message: ByteStr::from("x".repeat(40)),
        }),
        ping(6),
    ];
    let bytes: Vec<u8> = frames.iter().flat_map(encode).collect();
    let mut decoder = FrameDecoder::new(16);
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    for byte in &bytes {
        buf.extend_from_slice(&[*byte]);
        out.extend(drain(&mut decoder, &mut buf));
        assert!(buf.len() < HEADER_LEN + 16, "buffered {} bytes", buf.len());
    }
    assert_eq!(
        out,
        vec![
            Err(WireError::FrameTooLarge {
                kind: 0x07,
                call_id: 1,
                len: 20,
                max: 16
            }),
            Err(WireError::FrameTooLarge {
                kind: 0x07,
                call_id: 2,
                len: 21,
                max: 16
            }),
            Ok(frames[2].clone()),
            Err(WireError::FrameTooLarge {
                kind: 0x06,
                call_id: 4,
                len: 41,
                max: 16
            }),
            Ok(ping(6)),
        ]
    );
}

#[test]
fn oversize_frame_of_unknown_kind_reports_its_kind_byte() {
    let mut bytes = raw_frame(0xee, 0xff, 5, &[0; 11]);
    bytes.extend(encode(&ping(1)));
    let too_large = WireError::FrameTooLarge {
        kind: 0xee,
        call_id: 5,
        len: 11,
        max: 10,
    };
    assert_eq!(
        decode_one_piece(10, &bytes),
        vec![Err(too_large), Ok(ping(1))]
    );
}

#[test]
fn unknown_kind_is_consumed_and_the_next_frame_decodes() {
    for kind in [0x00, 0x0b, 0x42, 0xff] {
        let mut bytes = raw_frame(kind, 0x00, 1, b"abc");
        bytes.extend(raw_frame(kind, 0x13, 2, b""));
        bytes.extend(encode(&ping(3)));
        let error = WireError::UnknownKind(kind);
        assert!(!error.is_fatal());
        assert_eq!(
            decode_one_piece(DEFAULT_MAX_FRAME_LEN, &bytes),
            vec![Err(error.clone()), Err(error), Ok(ping(3))],
            "kind {kind:#04x}"
        );
    }
}

/// Each malformed frame must be reported, consumed exactly, and leave the stream in step: the
/// ping after it decodes, whether the bytes arrive at once or one by one.
fn assert_malformed(frame: Vec<u8>, error: WireError) {
    assert!(!error.is_fatal());
    let mut bytes = frame;
    bytes.extend(encode(&ping(0x55)));
    let expected = vec![Err(error), Ok(ping(0x55))];
    assert_eq!(decode_one_piece(DEFAULT_MAX_FRAME_LEN, &bytes), expected);
    assert_eq!(
        decode_chunks(DEFAULT_MAX_FRAME_LEN, bytes.chunks(1)),
        expected
    );
}

const SHORT: &str = "body shorter than its fields";
const NOT_UTF8: &str = "text is not UTF-8";
const TRAILING: &str = "trailing bytes after the body";
const UNKNOWN_STATUS: &str = "unknown status code";

#[test]
fn malformed_request_method() {
    let request = |body: &[u8]| raw_frame(0x01, 0x00, 1, body);
    // No room for the method length.
    assert_malformed(request(b""), malformed(Kind::Request, SHORT));
    assert_malformed(request(&[0x00]), malformed(Kind::Request, SHORT));
    // The method length runs past the body.
    assert_malformed(
        request(&[0x00, 0x05, b'a']),
        malformed(Kind::Request, SHORT),
    );
    assert_malformed(request(&[0xff, 0xff]), malformed(Kind::Request, SHORT));
    // Not UTF-8: a lone continuation byte, an overlong encoding, a cut character.
    assert_malformed(
        request(&[0x00, 0x02, 0xff, 0xfe]),
        malformed(Kind::Request, NOT_UTF8),
    );
    assert_malformed(
        request(&[0x00, 0x02, 0xc0, 0x80]),
        malformed(Kind::Request, NOT_UTF8),
    );
    assert_malformed(
        request(&[0x00, 0x01, 0xc3, 0xa9]),
        malformed(Kind::Request, NOT_UTF8),
    );
}

#[test]
fn malformed_request_deadline_and_metadata() {
    // Deadline flag, but only 3 bytes of deadline.
    let frame = raw_frame(0x01, 0x01, 1, &[0x00, 0x01, b'm', 0, 0, 1]);
    assert_malformed(frame, malformed(Kind::Request, SHORT));
    // Metadata flag, no count.
    let frame = raw_frame(0x01, 0x02, 1, &[0x00, 0x01, b'm', 0x00]);
    assert_malformed(frame, malformed(Kind::Request, SHORT));
    // Metadata count larger than the body could hold.
    let count = "metadata count larger than the body";
    let frame = raw_frame(0x01, 0x02, 1, &[0x00, 0x00, 0xff, 0xff]);
    assert_malformed(frame, malformed(Kind::Request, count));
    let frame = raw_frame(
        0x01,
        0x02,
        1,
        &[0x00, 0x00, 0x00, 0x02, 0, 0, 0, 0, 0, 0, 0],
    );
    assert_malformed(frame, malformed(Kind::Request, count));
    // Count fits the bound, but a key's length runs past the body.
    let frame = raw_frame(
        0x01,
        0x02,
        1,
        &[0x00, 0x00, 0x00, 0x01, 0x00, 0x09, b'k', b'v'],
    );
    assert_malformed(frame, malformed(Kind::Request, SHORT));
    // A metadata value that is not UTF-8.
    let frame = raw_frame(
        0x01,
        0x02,
        1,
        &[0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x80],
    );
    assert_malformed(frame, malformed(Kind::Request, NOT_UTF8));
}

#[test]
fn unknown_request_flags() {
    for flags in [0x04, 0x08, 0x10, 0x80, 0x07, 0xff] {
        let frame = raw_frame(0x01, flags, 1, &[0x00, 0x01, b'm']);
        assert_malformed(frame, malformed(Kind::Request, "unknown request flags"));
    }
}

#[test]
fn stream_item_flags() {
    let fragment = raw_frame(0x07, 0x01, 3, b"ab");
    let expected = Frame::StreamItem {
        call_id: 3,
        body: Bytes::from_static(b"ab"),
        more: true,
    };
    assert_eq!(
        decode_one_piece(DEFAULT_MAX_FRAME_LEN, &fragment),
        vec![Ok(expected)]
    );
    for flags in [0x02, 0x80, 0xff] {
        let frame = raw_frame(0x07, flags, 3, b"ab");
        assert_malformed(
            frame,
            malformed(Kind::StreamItem, "unknown stream item flags"),
        );
    }
}

#[test]
fn flags_are_ignored_on_other_kinds() {
    let bytes = raw_frame(0x03, 0xff, 8, b"");
    assert_eq!(
        decode_one_piece(DEFAULT_MAX_FRAME_LEN, &bytes),
        vec![Ok(Frame::Cancel { call_id: 8 })]
    );
}

#[test]
fn metadata_flag_with_zero_pairs_decodes_to_empty_metadata() {
    let bytes = raw_frame(0x01, 0x02, 1, &[0x00, 0x01, b'm', 0x00, 0x00, 0xab]);
    let expected = Frame::Request(Request {
        call_id: 1,
        method: ByteStr::from_static("m"),
        body: Bytes::from_static(&[0xab]),
        ..Request::default()
    });
    assert_eq!(
        decode_one_piece(DEFAULT_MAX_FRAME_LEN, &bytes),
        vec![Ok(expected)]
    );
}

#[test]
fn unknown_status_byte() {
    for byte in [14, 15, 0x7f, 0x80, 0xff] {
        assert_malformed(
            raw_frame(0x02, 0, 1, &[byte]),
            malformed(Kind::Response, UNKNOWN_STATUS),
        );
        let stream_end = raw_frame(0x08, 0, 1, &[byte, 0x01]);
        assert_malformed(stream_end, malformed(Kind::StreamEnd, UNKNOWN_STATUS));
        let goaway = raw_frame(0x06, 0, 1, &[byte, b'x']);
        assert_malformed(goaway, malformed(Kind::GoAway, UNKNOWN_STATUS));
        let refused = raw_frame(0x0A, 0, 1, &[byte]);
        assert_malformed(refused, malformed(Kind::Refused, UNKNOWN_STATUS));
    }
}

#[test]
fn missing_status_byte() {
    assert_malformed(raw_frame(0x02, 0, 1, b""), malformed(Kind::Response, SHORT));
    assert_malformed(
        raw_frame(0x08, 0, 1, b""),
        malformed(Kind::StreamEnd, SHORT),
    );
    assert_malformed(raw_frame(0x06, 0, 1, b""), malformed(Kind::GoAway, SHORT));
}

#[test]
fn goaway_message_must_be_utf8() {
    let frame = raw_frame(0x06, 0, 1, &[0x07, b'o', 0xff]);
    assert_malformed(frame, malformed(Kind::GoAway, NOT_UTF8));
}

#[test]
fn fixed_size_bodies_must_be_exact() {
    // Ping and pong: exactly 8 bytes.
    assert_malformed(raw_frame(0x04, 0, 0, &[0; 7]), malformed(Kind::Ping, SHORT));
    assert_malformed(
        raw_frame(0x04, 0, 0, &[0; 9]),
        malformed(Kind::Ping, TRAILING),
    );
    assert_malformed(raw_frame(0x05, 0, 0, &[]), malformed(Kind::Pong, SHORT));
    assert_malformed(
        raw_frame(0x05, 0, 0, &[0; 16]),
        malformed(Kind::Pong, TRAILING),
    );
    // Stream credit: exactly 4 bytes.
    assert_malformed(
        raw_frame(0x09, 0, 1, &[0; 3]),
        malformed(Kind::StreamCredit, SHORT),
    );
    assert_malformed(
        raw_frame(0x09, 0, 1, &[0; 5]),
        malformed(Kind::StreamCredit, TRAILING),
    );
    // Cancel: empty.
    assert_malformed(
        raw_frame(0x03, 0, 1, &[0]),
        malformed(Kind::Cancel, TRAILING),
    );
}

#[test]
fn ping_call_id_is_ignored() {
    let bytes = raw_frame(0x04, 0, 99, &[0, 0, 0, 0, 0, 0, 0, 1]);
    assert_eq!(
        decode_one_piece(DEFAULT_MAX_FRAME_LEN, &bytes),
        vec![Ok(ping(1))]
    );
}

/// Every truncation of every valid body, re-framed with the shorter length, is either a valid
/// frame or a `Malformed` error; never a panic.
#[test]
fn truncated_bodies_never_panic() {
    let frames = [
        Frame::Request(Request {
            call_id: 1,
            method: ByteStr::from_static("svc.méthod"),
            deadline: Some(std::time::Duration::from_millis(5)),
            metadata: vec![("trace".into(), "ü".into()), ("a".into(), "".into())],
            body: Bytes::from_static(b"args"),
        }),
        Frame::Response(Response {
            call_id: 2,
            status: Status::Ok,
            body: Bytes::new(),
        }),
        Frame::GoAway(GoAway {
            last_call_id: 3,
            status: Status::Unavailable,
            message: ByteStr::from_static("né"),
        }),
        ping(4),
        Frame::StreamCredit {
            call_id: 5,
            bytes: 6,
        },
    ];
    for frame in frames {
        let bytes = encode(&frame);
        let body = &bytes[HEADER_LEN..];
        for cut in 0..body.len() {
            let mut truncated = raw_frame(bytes[4], bytes[5], 1, &body[..cut]);
            truncated.extend(encode(&ping(9)));
            let decoded = decode_one_piece(DEFAULT_MAX_FRAME_LEN, &truncated);
            assert_eq!(decoded.len(), 2, "{frame:?} cut at {cut}: {decoded:?}");
            assert!(
                matches!(decoded[0], Ok(_) | Err(WireError::Malformed { .. })),
                "{frame:?} cut at {cut}: {decoded:?}"
            );
            assert_eq!(decoded[1], Ok(ping(9)));
        }
    }
}

#[test]
fn decoded_text_shares_the_frame_buffer() {
    let frame = Frame::Request(Request {
        call_id: 1,
        method: ByteStr::from_static("svc.m"),
        body: Bytes::from_static(b"body"),
        ..Request::default()
    });
    let mut buf = BytesMut::from(&encode(&frame)[..]);
    let start = buf.as_ptr() as usize;
    let Some(Frame::Request(request)) = FrameDecoder::new(64).decode(&mut buf).unwrap() else {
        panic!("not a request");
    };
    assert_eq!(
        request.method.as_bytes().as_ptr() as usize,
        start + HEADER_LEN + 2
    );
    assert_eq!(request.body.as_ptr() as usize, start + HEADER_LEN + 7);
}
