//! Every frame kind encodes to exactly the documented bytes, and those bytes decode back.

use std::time::Duration;

use bytes::{Bytes, BytesMut};

use super::{decode_one_piece, encode, encode_all};
use crate::{
    ByteStr, Frame, GoAway, Kind, Request, Response, Status, DEFAULT_MAX_FRAME_LEN, FLAG_DEADLINE,
    FLAG_METADATA, HEADER_LEN,
};

/// Asserts `frame` encodes to `expected` and that `expected` decodes to `frame` alone.
fn assert_wire(frame: Frame, expected: &[u8]) {
    assert_eq!(encode(&frame), expected, "encoding of {frame:?}");
    assert_eq!(
        decode_one_piece(DEFAULT_MAX_FRAME_LEN, expected),
        vec![Ok(frame)]
    );
}

#[test]
fn header_layout_constants() {
    assert_eq!(HEADER_LEN, 10);
    assert_eq!(FLAG_DEADLINE, 0x01);
    assert_eq!(FLAG_METADATA, 0x02);
}

#[test]
fn request_without_deadline_or_metadata() {
    let frame = Frame::Request(Request {
        call_id: 0x0102_0304,
        method: ByteStr::from_static("a.b"),
        deadline: None,
        metadata: Vec::new(),
        body: Bytes::from_static(&[0xaa]),
    });
    #[rustfmt::skip]
    let expected = [
        0x00, 0x00, 0x00, 0x06, // body length 6
        0x01,                   // kind: request
        0x00,                   // flags: none
        0x01, 0x02, 0x03, 0x04, // call id
        0x00, 0x03, b'a', b'.', b'b', // method
        0xaa,                   // args
    ];
    assert_wire(frame, &expected);
}

#[test]
fn request_with_deadline_and_metadata() {
    let frame = Frame::Request(Request {
        call_id: 7,
        method: ByteStr::from_static("s.m"),
        deadline: Some(Duration::from_millis(1500)),
        metadata: vec![("k".into(), "v".into()), ("trace".into(), "xyz".into())],
        body: Bytes::from_static(b"{}"),
    });
    #[rustfmt::skip]
    let expected = [
        0x00, 0x00, 0x00, 0x1f, // body length 31
        0x01,                   // kind: request
        0x03,                   // flags: deadline | metadata
        0x00, 0x00, 0x00, 0x07, // call id
        0x00, 0x03, b's', b'.', b'm', // method
        0x00, 0x00, 0x05, 0xdc, // deadline 1500 ms
        0x00, 0x02,             // 2 metadata pairs
        0x00, 0x01, b'k', 0x00, 0x01, b'v',
        0x00, 0x05, b't', b'r', b'a', b'c', b'e', 0x00, 0x03, b'x', b'y', b'z',
        b'{', b'}',             // args
    ];
    assert_wire(frame, &expected);
}

#[test]
fn request_with_deadline_only() {
    let frame = Frame::Request(Request {
        call_id: 1,
        method: ByteStr::from_static("x"),
        deadline: Some(Duration::from_secs(70_000)),
        metadata: Vec::new(),
        body: Bytes::new(),
    });
    #[rustfmt::skip]
    let expected = [
        0x00, 0x00, 0x00, 0x07, 0x01, 0x01, 0x00, 0x00, 0x00, 0x01,
        0x00, 0x01, b'x',
        0x04, 0x2c, 0x1d, 0x80, // 70,000,000 ms
    ];
    assert_wire(frame, &expected);
}

#[test]
fn request_with_metadata_only() {
    let frame = Frame::Request(Request {
        call_id: 0xffff_ffff,
        method: ByteStr::from_static(""),
        deadline: None,
        metadata: vec![("".into(), "é".into())],
        body: Bytes::from_static(&[0x90]),
    });
    #[rustfmt::skip]
    let expected = [
        0x00, 0x00, 0x00, 0x0b, 0x01, 0x02, 0xff, 0xff, 0xff, 0xff,
        0x00, 0x00,             // empty method
        0x00, 0x01,             // 1 pair
        0x00, 0x00, 0x00, 0x02, 0xc3, 0xa9, // "" = "é"
        0x90,
    ];
    assert_wire(frame, &expected);
}

#[test]
fn response_for_every_status() {
    for status in Status::ALL {
        let frame = Frame::Response(Response {
            call_id: 0x0a0b_0c0d,
            status,
            body: Bytes::from_static(b"xy"),
        });
        let expected = [
            0x00,
            0x00,
            0x00,
            0x03,
            0x02,
            0x00,
            0x0a,
            0x0b,
            0x0c,
            0x0d,
            status as u8,
            b'x',
            b'y',
        ];
        assert_wire(frame, &expected);
    }
}

#[test]
fn response_literal_bytes() {
    let ok = Frame::Response(Response {
        call_id: 1,
        status: Status::Ok,
        body: Bytes::from_static(&[0x03]),
    });
    assert_wire(ok, &[0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x00, 0x03]);

    let unknown = Frame::Response(Response {
        call_id: 2,
        status: Status::UnknownMethod,
        body: Bytes::new(),
    });
    assert_wire(unknown, &[0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x02]);

    let too_large = Frame::Response(Response {
        call_id: 0x100,
        status: Status::TooLarge,
        body: Bytes::from_static(b"!"),
    });
    assert_wire(too_large, &[0, 0, 0, 2, 0x02, 0, 0, 0, 0x01, 0, 0x08, b'!']);

    let protocol = Frame::Response(Response {
        call_id: 3,
        status: Status::Protocol,
        body: Bytes::new(),
    });
    assert_wire(protocol, &[0, 0, 0, 1, 0x02, 0, 0, 0, 0, 3, 0x0c]);
}

#[test]
fn cancel() {
    assert_wire(
        Frame::Cancel { call_id: 42 },
        &[0, 0, 0, 0, 0x03, 0, 0, 0, 0, 42],
    );
}

#[test]
fn ping_and_pong() {
    #[rustfmt::skip]
    let ping = [
        0, 0, 0, 8, 0x04, 0, 0, 0, 0, 0,
        0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
    ];
    assert_wire(
        Frame::Ping {
            payload: 0x0102_0304_0506_0708,
        },
        &ping,
    );
    #[rustfmt::skip]
    let pong = [
        0, 0, 0, 8, 0x05, 0, 0, 0, 0, 0,
        0xff, 0xee, 0xdd, 0xcc, 0xbb, 0xaa, 0x99, 0x88,
    ];
    assert_wire(
        Frame::Pong {
            payload: 0xffee_ddcc_bbaa_9988,
        },
        &pong,
    );
}

#[test]
fn goaway() {
    let frame = Frame::GoAway(GoAway {
        last_call_id: 7,
        status: Status::Unavailable,
        message: ByteStr::from_static("bye"),
    });
    #[rustfmt::skip]
    let expected = [
        0x00, 0x00, 0x00, 0x04, // body length 4
        0x06,                   // kind: goaway
        0x00,                   // flags
        0x00, 0x00, 0x00, 0x07, // last call id
        0x07,                   // status: unavailable
        b'b', b'y', b'e',       // message, to the end of the body
    ];
    assert_wire(frame, &expected);

    let refusal = Frame::GoAway(GoAway {
        last_call_id: 0,
        status: Status::Protocol,
        message: ByteStr::from_static(""),
    });
    assert_wire(refusal, &[0, 0, 0, 1, 0x06, 0, 0, 0, 0, 0, 0x0c]);
}

#[test]
fn stream_item() {
    let frame = Frame::StreamItem {
        call_id: 5,
        body: Bytes::from_static(b"abc"),
        more: false,
    };
    assert_wire(frame, &[0, 0, 0, 3, 0x07, 0, 0, 0, 0, 5, b'a', b'b', b'c']);
    let empty = Frame::StreamItem {
        call_id: 6,
        body: Bytes::new(),
        more: false,
    };
    assert_wire(empty, &[0, 0, 0, 0, 0x07, 0, 0, 0, 0, 6]);
    let fragment = Frame::StreamItem {
        call_id: 7,
        body: Bytes::from_static(b"x"),
        more: true,
    };
    assert_wire(fragment, &[0, 0, 0, 1, 0x07, 0x01, 0, 0, 0, 7, b'x']);
}

#[test]
fn stream_end() {
    let ok = Frame::StreamEnd(Response {
        call_id: 5,
        status: Status::Ok,
        body: Bytes::new(),
    });
    assert_wire(ok, &[0, 0, 0, 1, 0x08, 0, 0, 0, 0, 5, 0x00]);
    let failed = Frame::StreamEnd(Response {
        call_id: 5,
        status: Status::Internal,
        body: Bytes::from_static(&[0xc0]),
    });
    assert_wire(failed, &[0, 0, 0, 2, 0x08, 0, 0, 0, 0, 5, 0x0b, 0xc0]);
}

#[test]
fn refused() {
    let overloaded = Frame::Refused(Response {
        call_id: 9,
        status: Status::Overloaded,
        body: Bytes::from_static(&[0xc0]),
    });
    assert_wire(
        overloaded,
        &[
            0,
            0,
            0,
            2,
            0x0A,
            0,
            0,
            0,
            0,
            9,
            Status::Overloaded.as_u8(),
            0xc0,
        ],
    );
}

#[test]
fn stream_credit() {
    let frame = Frame::StreamCredit {
        call_id: 5,
        bytes: 0x0001_0010,
    };
    assert_wire(
        frame,
        &[0, 0, 0, 4, 0x09, 0, 0, 0, 0, 5, 0x00, 0x01, 0x00, 0x10],
    );
}

#[test]
fn kind_bytes_are_the_header_kind() {
    let cases = [
        (Kind::Request, 0x01),
        (Kind::Response, 0x02),
        (Kind::Cancel, 0x03),
        (Kind::Ping, 0x04),
        (Kind::Pong, 0x05),
        (Kind::GoAway, 0x06),
        (Kind::StreamItem, 0x07),
        (Kind::StreamEnd, 0x08),
        (Kind::StreamCredit, 0x09),
        (Kind::Refused, 0x0A),
    ];
    for (kind, byte) in cases {
        assert_eq!(kind as u8, byte);
        assert_eq!(Kind::from_u8(byte), Some(kind));
    }
    for byte in (0..=u8::MAX).filter(|byte| !(0x01..=0x0A).contains(byte)) {
        assert_eq!(Kind::from_u8(byte), None, "byte {byte:#04x}");
    }
}

#[test]
fn frame_call_id() {
    let request = Frame::Request(Request {
        call_id: 11,
        ..Request::default()
    });
    assert_eq!(request.call_id(), 11);
    let response = Frame::Response(Response {
        call_id: 12,
        status: Status::Ok,
        body: Bytes::new(),
    });
    assert_eq!(response.call_id(), 12);
    assert_eq!(Frame::Cancel { call_id: 13 }.call_id(), 13);
    assert_eq!(Frame::Ping { payload: 99 }.call_id(), 0);
    assert_eq!(Frame::Pong { payload: 99 }.call_id(), 0);
    let goaway = Frame::GoAway(GoAway {
        last_call_id: 14,
        status: Status::Unavailable,
        message: ByteStr::default(),
    });
    assert_eq!(goaway.call_id(), 14);
    assert_eq!(
        Frame::StreamItem {
            call_id: 15,
            body: Bytes::new(),
            more: false,
        }
        .call_id(),
        15
    );
    let end = Frame::StreamEnd(Response {
        call_id: 16,
        status: Status::Ok,
        body: Bytes::new(),
    });
    assert_eq!(end.call_id(), 16);
    assert_eq!(
        Frame::StreamCredit {
            call_id: 17,
            bytes: 1
        }
        .call_id(),
        17
    );
}

/// The deadline field of a request encoded with `deadline`.
fn deadline_on_wire(deadline: Duration) -> [u8; 4] {
    let frame = Frame::Request(Request {
        call_id: 1,
        method: ByteStr::from_static("m"),
        deadline: Some(deadline),
        ..Request::default()
    });
    let bytes = encode(&frame);
    assert_eq!(bytes[5], FLAG_DEADLINE);
    // Header, then the u16 length and the one-byte method, then the deadline.
    bytes[HEADER_LEN + 3..HEADER_LEN + 7].try_into().unwrap()
}

#[test]
fn deadline_rounds_up_to_whole_milliseconds() {
    assert_eq!(deadline_on_wire(Duration::ZERO), [0, 0, 0, 0]);
    assert_eq!(deadline_on_wire(Duration::from_nanos(1)), [0, 0, 0, 1]);
    assert_eq!(deadline_on_wire(Duration::from_nanos(999)), [0, 0, 0, 1]);
    assert_eq!(deadline_on_wire(Duration::from_micros(1)), [0, 0, 0, 1]);
    assert_eq!(deadline_on_wire(Duration::from_micros(999)), [0, 0, 0, 1]);
    assert_eq!(deadline_on_wire(Duration::from_millis(1)), [0, 0, 0, 1]);
    assert_eq!(
        deadline_on_wire(Duration::from_nanos(1_000_001)),
        [0, 0, 0, 2]
    );
    assert_eq!(deadline_on_wire(Duration::from_micros(1_001)), [0, 0, 0, 2]);
    assert_eq!(deadline_on_wire(Duration::from_millis(256)), [0, 0, 1, 0]);
    assert_eq!(
        deadline_on_wire(Duration::new(2, 1)),
        2_001u32.to_be_bytes()
    );
    assert_eq!(
        deadline_on_wire(Duration::new(1, 999_999_999)),
        2_000u32.to_be_bytes()
    );
    let max_millis = u64::from(u32::MAX);
    assert_eq!(
        deadline_on_wire(Duration::from_millis(max_millis)),
        [0xff; 4]
    );
    assert_eq!(
        deadline_on_wire(Duration::from_millis(max_millis + 1)),
        [0xff; 4]
    );
    assert_eq!(deadline_on_wire(Duration::from_secs(u64::MAX)), [0xff; 4]);
    assert_eq!(deadline_on_wire(Duration::MAX), [0xff; 4]);
}

#[test]
fn decoded_deadline_is_whole_milliseconds() {
    let frame = Frame::Request(Request {
        call_id: 1,
        method: ByteStr::from_static("m"),
        deadline: Some(Duration::from_micros(1)),
        ..Request::default()
    });
    let decoded = decode_one_piece(DEFAULT_MAX_FRAME_LEN, &encode(&frame));
    let Ok(Frame::Request(request)) = &decoded[0] else {
        panic!("{decoded:?}")
    };
    assert_eq!(request.deadline, Some(Duration::from_millis(1)));
}

#[test]
fn empty_metadata_sets_no_flag_and_no_block() {
    let frame = Frame::Request(Request {
        call_id: 1,
        method: ByteStr::from_static("m"),
        ..Request::default()
    });
    assert_eq!(
        encode(&frame),
        [0, 0, 0, 3, 0x01, 0x00, 0, 0, 0, 1, 0, 1, b'm']
    );
}

/// Names over 65,535 bytes are cut; the header length must match what is written, and the cut
/// must land on a character boundary so the frame still decodes.
#[test]
fn long_method_is_cut_and_stream_stays_in_step() {
    let ping = Frame::Ping { payload: 1 };
    let method = "é".repeat(40_000); // 80,000 bytes; 65,535 falls inside a character.
    let request = Frame::Request(Request {
        call_id: 1,
        method: ByteStr::from(method.clone()),
        ..Request::default()
    });
    let mut bytes = encode(&request);
    assert_eq!(bytes.len(), HEADER_LEN + 2 + 65_534);
    assert_eq!(&bytes[..4], &(2u32 + 65_534).to_be_bytes());
    assert_eq!(&bytes[HEADER_LEN..HEADER_LEN + 2], &[0xff, 0xfe]);
    bytes.extend(encode(&ping));
    let decoded = decode_one_piece(DEFAULT_MAX_FRAME_LEN, &bytes);
    let expected = Frame::Request(Request {
        call_id: 1,
        method: ByteStr::from(&method[..65_534]),
        ..Request::default()
    });
    assert_eq!(decoded, vec![Ok(expected), Ok(ping)]);
}

#[test]
fn long_metadata_is_cut_and_stream_stays_in_step() {
    let ping = Frame::Ping { payload: 2 };
    let long = "v".repeat(70_000);
    let mut metadata: Vec<(ByteStr, ByteStr)> = vec![("k".into(), long.clone().into())];
    // One pair over the 65,535-pair limit.
    metadata.extend((0..65_535).map(|_| (ByteStr::default(), ByteStr::default())));
    let request = Frame::Request(Request {
        call_id: 1,
        method: ByteStr::from_static("m"),
        metadata,
        ..Request::default()
    });
    let mut bytes = encode(&request);
    let body_len = 2 + 1 + 2 + (4 + 1 + 65_535) + 65_534 * 4;
    assert_eq!(bytes.len(), HEADER_LEN + body_len);
    assert_eq!(&bytes[..4], &u32::try_from(body_len).unwrap().to_be_bytes());
    bytes.extend(encode(&ping));
    let decoded = decode_one_piece(DEFAULT_MAX_FRAME_LEN, &bytes);
    let mut expected: Vec<(ByteStr, ByteStr)> = vec![("k".into(), long[..65_535].into())];
    expected.extend((0..65_534).map(|_| (ByteStr::default(), ByteStr::default())));
    let expected = Frame::Request(Request {
        call_id: 1,
        method: ByteStr::from_static("m"),
        metadata: expected,
        ..Request::default()
    });
    assert_eq!(decoded, vec![Ok(expected), Ok(ping)]);
}

#[test]
fn a_head_followed_by_its_body_is_the_whole_frame() {
    let request = Request {
        call_id: 7,
        method: ByteStr::from_static("echo.echo"),
        deadline: Some(Duration::from_millis(1500)),
        metadata: vec![("trace".into(), "abc".into())],
        body: Bytes::from(vec![0x5a; 5000]),
    };
    let response = Response {
        call_id: 7,
        status: Status::Application,
        body: Bytes::from(vec![0xa5; 5000]),
    };
    let mut split = BytesMut::new();
    request.encode_head(&mut split);
    assert_eq!(
        split.len(),
        HEADER_LEN + request.body_len() - request.body.len()
    );
    split.extend_from_slice(&request.body);
    response.encode_head(&mut split);
    split.extend_from_slice(&response.body);
    let whole = encode_all(&[Frame::Request(request), Frame::Response(response)]);
    assert_eq!(split.to_vec(), whole);
}
