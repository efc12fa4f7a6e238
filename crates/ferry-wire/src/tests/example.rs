//! The worked example of `docs/PROTOCOL.md`: encoded here, and compared with the doc's hex.

use bytes::{Bytes, BytesMut};

use super::{decode_one_piece, encode};
use crate::{
    ByteStr, Frame, Preface, Request, Response, Status, CODEC_MSGPACK, DEFAULT_MAX_FRAME_LEN,
    VERSION,
};

const CLIENT_PREFACE: [u8; 12] = [
    0x46, 0x45, 0x52, 0x52, 0x59, 0x00, 0x01, 0x01, 0x01, 0x00, 0x00, 0x00,
];
const SERVER_PREFACE: [u8; 12] = CLIENT_PREFACE;
#[rustfmt::skip]
const REQUEST: [u8; 27] = [
    0x00, 0x00, 0x00, 0x11, 0x01, 0x00, 0x00, 0x00, 0x00, 0x01,
    0x00, 0x08, 0x63, 0x61, 0x6c, 0x63, 0x2e, 0x61, 0x64, 0x64,
    0x82, 0xa1, 0x61, 0x01, 0xa1, 0x62, 0x02,
];
const RESPONSE: [u8; 12] = [
    0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x03,
];

/// `{"a":1,"b":2}` in MessagePack (opaque body bytes at this layer).
const ARGS: [u8; 7] = [0x82, 0xa1, 0x61, 0x01, 0xa1, 0x62, 0x02];

fn preface() -> Preface {
    Preface {
        version: VERSION,
        codec: CODEC_MSGPACK,
        max_frame_len: DEFAULT_MAX_FRAME_LEN,
    }
}

fn request() -> Frame {
    Frame::Request(Request {
        call_id: 1,
        method: ByteStr::from_static("calc.add"),
        deadline: None,
        metadata: Vec::new(),
        body: Bytes::from_static(&ARGS),
    })
}

fn response() -> Frame {
    Frame::Response(Response {
        call_id: 1,
        status: Status::Ok,
        body: Bytes::from_static(&[0x03]),
    })
}

fn encode_preface() -> Vec<u8> {
    let mut buf = BytesMut::new();
    preface().encode(&mut buf);
    buf.to_vec()
}

#[test]
fn worked_example_encodes_to_the_literal_bytes() {
    assert_eq!(encode_preface(), CLIENT_PREFACE);
    assert_eq!(encode_preface(), SERVER_PREFACE);
    assert_eq!(encode(&request()), REQUEST);
    assert_eq!(encode(&response()), RESPONSE);

    let mut client = BytesMut::from(&CLIENT_PREFACE[..]);
    assert_eq!(Preface::decode(&mut client), Ok(Some(preface())));
    assert_eq!(
        decode_one_piece(DEFAULT_MAX_FRAME_LEN, &REQUEST),
        vec![Ok(request())]
    );
    assert_eq!(
        decode_one_piece(DEFAULT_MAX_FRAME_LEN, &RESPONSE),
        vec![Ok(response())]
    );
}

fn protocol_md() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/PROTOCOL.md");
    std::fs::read_to_string(path).unwrap_or_else(|error| panic!("reading {path}: {error}"))
}

/// The hex bytes of a line: everything before `;`, as whitespace-separated hex pairs.
fn hex_bytes(line: &str) -> Vec<u8> {
    let data = line.split(';').next().unwrap_or_default();
    data.split_whitespace()
        .map(|token| {
            assert_eq!(token.len(), 2, "not a hex byte: {token:?} in {line:?}");
            u8::from_str_radix(token, 16)
                .unwrap_or_else(|_| panic!("not a hex byte: {token:?} in {line:?}"))
        })
        .collect()
}

/// The `text` code blocks after the worked-example marker, as lists of lines.
fn example_blocks(doc: &str) -> Vec<Vec<&str>> {
    let start = doc
        .find("<!-- worked-example")
        .expect("worked-example marker in PROTOCOL.md");
    let mut blocks = Vec::new();
    let mut current: Option<Vec<&str>> = None;
    for line in doc[start..].lines() {
        match (&mut current, line.trim_end()) {
            (None, "```text") => current = Some(Vec::new()),
            (Some(_), "```") => blocks.push(current.take().unwrap_or_default()),
            (Some(lines), _) => lines.push(line),
            (None, _) => {}
        }
    }
    blocks
}

/// The annotated dump: a `--` line starts each message; its bytes follow, one field per line.
#[test]
fn protocol_md_annotated_dump_matches() {
    let doc = protocol_md();
    let blocks = example_blocks(&doc);
    assert_eq!(blocks.len(), 2, "two code blocks in the worked example");
    let mut messages: Vec<(&str, Vec<u8>)> = Vec::new();
    for line in &blocks[0] {
        if let Some(label) = line.strip_prefix("-- ") {
            messages.push((label, Vec::new()));
        } else {
            messages
                .last_mut()
                .expect("bytes before the first label")
                .1
                .extend(hex_bytes(line));
        }
    }
    let expected: [(&str, Vec<u8>); 4] = [
        ("client → server: preface", encode_preface()),
        ("server → client: preface", encode_preface()),
        ("client → server: REQUEST", encode(&request())),
        ("server → client: RESPONSE", encode(&response())),
    ];
    assert_eq!(messages.len(), expected.len());
    for ((label, bytes), (prefix, want)) in messages.iter().zip(&expected) {
        assert!(
            label.starts_with(prefix),
            "{label:?} should start with {prefix:?}"
        );
        assert_eq!(bytes, want, "{label}");
        let count = format!("({} bytes)", want.len());
        assert!(
            label.ends_with(&count),
            "{label:?} should end with {count:?}"
        );
    }
}

/// The two raw streams under the dump.
#[test]
fn protocol_md_byte_streams_match() {
    let doc = protocol_md();
    let blocks = example_blocks(&doc);
    let (mut to_server, mut to_client) = (Vec::new(), Vec::new());
    let mut target = None;
    for line in &blocks[1] {
        let rest = if let Some(rest) = line.strip_prefix("client → server:") {
            target = Some(&mut to_server);
            rest
        } else if let Some(rest) = line.strip_prefix("server → client:") {
            target = Some(&mut to_client);
            rest
        } else {
            line
        };
        target
            .as_mut()
            .expect("a direction label first")
            .extend(hex_bytes(rest));
    }
    let mut want_to_server = encode_preface();
    want_to_server.extend(encode(&request()));
    let mut want_to_client = encode_preface();
    want_to_client.extend(encode(&response()));
    assert_eq!(to_server, want_to_server);
    assert_eq!(to_client, want_to_client);
}
