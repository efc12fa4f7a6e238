//! Compressed bodies in frames: flagged, decompressed within the limit, refused past it, and
//! the zstd bit of the preface.

use std::time::Duration;

use bytes::{Bytes, BytesMut};

use super::drain;
use crate::{
    compress::{Compression, DecompressError},
    ByteStr, Frame, FrameDecoder, Kind, Preface, Request, RequestHead, Response, Status, WireError,
    CODEC_MSGPACK, MAX_PREFACE_FRAME_LEN,
};

fn text(len: usize) -> Bytes {
    b"a body worth compressing, "
        .iter()
        .copied()
        .cycle()
        .take(len)
        .collect()
}

/// `request` as a frame whose body is compressed.
fn compressed_request(request: &Request, buf: &mut BytesMut) {
    let mut compressor = Compression::zstd().compressor().unwrap();
    let body = compressor.compress(&request.body).unwrap();
    let head = RequestHead {
        body_len: body.len(),
        zstd: true,
        ..request.head()
    };
    head.encode(buf);
    buf.extend_from_slice(&body);
}

fn request(body: Bytes) -> Request {
    Request {
        call_id: 9,
        method: ByteStr::from("echo.echo"),
        deadline: Some(Duration::from_millis(1500)),
        metadata: vec![(ByteStr::from("k"), ByteStr::from("v"))],
        body,
    }
}

#[test]
fn a_compressed_request_and_response_decode_to_the_originals() {
    let sent = request(text(64 * 1024));
    let mut buf = BytesMut::new();
    compressed_request(&sent, &mut buf);
    assert!(buf.len() < 1024, "{} bytes on the wire", buf.len());
    let answer = Response {
        call_id: 9,
        status: Status::Ok,
        body: Compression::zstd()
            .compressor()
            .unwrap()
            .compress(&text(8000))
            .unwrap(),
    };
    answer.encode_zstd_head(&mut buf);
    buf.extend_from_slice(&answer.body);
    let mut decoder = FrameDecoder::new(1 << 20);
    decoder.accept_zstd();
    let expected = Response {
        body: text(8000),
        ..answer
    };
    assert_eq!(
        drain(&mut decoder, &mut buf),
        [Ok(Frame::Request(sent)), Ok(Frame::Response(expected))]
    );
}

#[test]
fn a_compressed_body_is_malformed_unless_zstd_was_accepted() {
    let mut buf = BytesMut::new();
    compressed_request(&request(text(4096)), &mut buf);
    let refused = FrameDecoder::new(1 << 20).decode(&mut buf);
    assert!(
        matches!(
            refused,
            Err(WireError::Malformed {
                kind: Kind::Request,
                reason: "unknown request flags"
            })
        ),
        "{refused:?}"
    );
    assert!(buf.is_empty(), "the frame was consumed");
    let answer = Response {
        call_id: 1,
        status: Status::Ok,
        body: Bytes::from_static(b"(compressed)"),
    };
    answer.encode_zstd_head(&mut buf);
    buf.extend_from_slice(&answer.body);
    let refused = FrameDecoder::new(1 << 20).decode(&mut buf);
    assert!(
        matches!(refused, Err(WireError::Malformed { kind: Kind::Response, reason }) if reason.contains("did not accept")),
        "{refused:?}"
    );
}

#[test]
fn a_body_decompressing_past_the_limit_is_refused_and_the_next_frame_decodes() {
    let mut buf = BytesMut::new();
    compressed_request(&request(Bytes::from(vec![0; 1 << 20])), &mut buf);
    Frame::Ping { payload: 3 }.encode(&mut buf);
    let mut decoder = FrameDecoder::new(64 * 1024);
    decoder.accept_zstd();
    let decoded = drain(&mut decoder, &mut buf);
    // The limit is the frame's: the method, deadline and metadata come off it.
    let fields = 2 + 9 + 4 + 2 + 4 + 2;
    let fault = DecompressError::TooLarge {
        len: 1 << 20,
        max: 64 * 1024 - fields,
    };
    assert_eq!(
        decoded,
        [
            Err(WireError::Compressed {
                kind: Kind::Request as u8,
                call_id: 9,
                fault
            }),
            Ok(Frame::Ping { payload: 3 })
        ]
    );
    assert!(!decoded[0].as_ref().unwrap_err().is_fatal());
}

#[test]
fn the_preface_carries_the_zstd_bit_above_the_limit() {
    let preface = Preface::new(CODEC_MSGPACK, 16 << 20, true);
    let mut buf = BytesMut::new();
    preface.encode(&mut buf);
    assert_eq!(&buf[8..], [0x81, 0x00, 0x00, 0x00]);
    let read = Preface::decode(&mut buf).unwrap().unwrap();
    assert!(read.accepts_zstd());
    assert_eq!(read.frame_limit(), 16 << 20);
    let plain = Preface::new(CODEC_MSGPACK, u32::MAX, false);
    assert!(!plain.accepts_zstd());
    assert_eq!(plain.frame_limit(), MAX_PREFACE_FRAME_LEN);
}
