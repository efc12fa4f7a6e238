//! The same frames come out however the bytes are cut.

use std::time::Duration;

use bytes::Bytes;

use super::{decode_chunks, decode_one_piece, encode_all, raw_frame};
use crate::{ByteStr, Frame, GoAway, Request, Response, Status, WireError};

/// One frame of every kind, with and without the optional request parts.
fn every_kind() -> Vec<Frame> {
    vec![
        Frame::Request(Request {
            call_id: 1,
            method: ByteStr::from_static("calc.add"),
            deadline: None,
            metadata: Vec::new(),
            body: Bytes::from_static(&[0x82, 0xa1, 0x61, 0x01, 0xa1, 0x62, 0x02]),
        }),
        Frame::Request(Request {
            call_id: 2,
            method: ByteStr::from_static("svc.mé"),
            deadline: Some(Duration::from_millis(250)),
            metadata: vec![("trace-id".into(), "abc".into()), ("".into(), "".into())],
            body: Bytes::new(),
        }),
        Frame::Request(Request {
            call_id: 3,
            method: ByteStr::from_static("a.b"),
            deadline: Some(Duration::from_millis(u64::from(u32::MAX))),
            metadata: Vec::new(),
            body: Bytes::from_static(b"{\"x\":1}"),
        }),
        Frame::Request(Request {
            call_id: 4,
            method: ByteStr::from_static("a.b"),
            deadline: None,
            metadata: vec![("k".into(), "v".into())],
            body: Bytes::from_static(b"[]"),
        }),
        Frame::Response(Response {
            call_id: 2,
            status: Status::Ok,
            body: Bytes::from_static(&[3]),
        }),
        Frame::Response(Response {
            call_id: 1,
            status: Status::InvalidArgs,
            body: Bytes::from_static(b"err"),
        }),
        Frame::Cancel { call_id: 3 },
        Frame::Ping { payload: u64::MAX },
        Frame::Pong { payload: 0 },
        Frame::StreamItem {
            call_id: 4,
            body: Bytes::from_static(b"item"),
            more: false,
        },
        Frame::StreamItem {
            call_id: 4,
            body: Bytes::new(),
            more: false,
        },
        Frame::StreamCredit {
            call_id: 4,
            bytes: 16,
        },
        Frame::StreamEnd(Response {
            call_id: 4,
            status: Status::Ok,
            body: Bytes::new(),
        }),
        Frame::GoAway(GoAway {
            last_call_id: 4,
            status: Status::Unavailable,
            message: ByteStr::from_static("shutting down"),
        }),
    ]
}

/// Decodes `bytes` whole, one byte at a time, and cut in two at every offset, and checks all
/// three give `expected`.
fn assert_every_split(max_frame_len: u32, bytes: &[u8], expected: &[Result<Frame, WireError>]) {
    assert_eq!(
        decode_one_piece(max_frame_len, bytes),
        expected,
        "in one piece"
    );
    assert_eq!(
        decode_chunks(max_frame_len, bytes.chunks(1)),
        expected,
        "byte by byte"
    );
    for at in 0..=bytes.len() {
        let (head, tail) = bytes.split_at(at);
        assert_eq!(
            decode_chunks(max_frame_len, [head, tail]),
            expected,
            "split at {at}"
        );
    }
}

#[test]
fn valid_frames_at_every_split() {
    let frames = every_kind();
    let bytes = encode_all(&frames);
    let expected: Vec<_> = frames.into_iter().map(Ok).collect();
    assert_every_split(1024, &bytes, &expected);
}

#[test]
fn frames_and_errors_at_every_split() {
    let frames = every_kind();
    let mut bytes = Vec::new();
    let mut expected = Vec::new();
    for (i, frame) in (0_u32..).zip(frames.iter()) {
        bytes.extend(encode_all(std::slice::from_ref(frame)));
        expected.push(Ok(frame.clone()));
        match i % 3 {
            0 => {
                // Oversize against the 36-byte limit used below.
                bytes.extend(raw_frame(0x07, 0, 100 + i, &[0xab; 40]));
                expected.push(Err(WireError::FrameTooLarge {
                    kind: 0x07,
                    call_id: 100 + i,
                    len: 40,
                    max: 36,
                }));
            }
            1 => {
                bytes.extend(raw_frame(0x20, 0, 1, b"??"));
                expected.push(Err(WireError::UnknownKind(0x20)));
            }
            _ => {
                bytes.extend(raw_frame(0x04, 0, 0, &[1; 9]));
                expected.push(Err(WireError::Malformed {
                    kind: crate::Kind::Ping,
                    reason: "trailing bytes after the body",
                }));
            }
        }
    }
    assert_every_split(36, &bytes, &expected);
}

#[test]
fn three_way_splits() {
    let frames = every_kind()[..6].to_vec();
    let bytes = encode_all(&frames);
    let expected: Vec<_> = frames.into_iter().map(Ok).collect();
    for a in (0..=bytes.len()).step_by(3) {
        for b in (a..=bytes.len()).step_by(5) {
            let chunks = [&bytes[..a], &bytes[a..b], &bytes[b..]];
            assert_eq!(
                decode_chunks(1024, chunks),
                expected,
                "split at {a} and {b}"
            );
        }
    }
}
