//! Byte-level unit tests. Compiled only for `cargo test`.

mod compressed;
mod decode;
mod encode;
mod example;
mod preface;
mod split;
mod status;

use bytes::BytesMut;

use crate::{Frame, FrameDecoder, WireError};

/// The bytes `frame` encodes to.
fn encode(frame: &Frame) -> Vec<u8> {
    let mut buf = BytesMut::new();
    frame.encode(&mut buf);
    buf.to_vec()
}

/// Encodes all frames back to back.
fn encode_all(frames: &[Frame]) -> Vec<u8> {
    let mut buf = BytesMut::new();
    for frame in frames {
        frame.encode(&mut buf);
    }
    buf.to_vec()
}

/// A frame built by hand: header fields and body given literally, the length taken from `body`.
fn raw_frame(kind: u8, flags: u8, call_id: u32, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(10 + body.len());
    out.extend_from_slice(&u32::try_from(body.len()).unwrap().to_be_bytes());
    out.push(kind);
    out.push(flags);
    out.extend_from_slice(&call_id.to_be_bytes());
    out.extend_from_slice(body);
    out
}

/// Calls `decode` until it asks for more bytes, collecting frames and errors in order.
fn drain(decoder: &mut FrameDecoder, buf: &mut BytesMut) -> Vec<Result<Frame, WireError>> {
    let mut out = Vec::new();
    for _ in 0..10_000 {
        match decoder.decode(buf) {
            Ok(None) => return out,
            Ok(Some(frame)) => out.push(Ok(frame)),
            Err(error) => out.push(Err(error)),
        }
    }
    panic!("decoder did not stop asking for input after 10,000 calls");
}

/// Feeds `chunks` one after the other, draining after each, and checks nothing is left over.
fn decode_chunks<'a>(
    max_frame_len: u32,
    chunks: impl IntoIterator<Item = &'a [u8]>,
) -> Vec<Result<Frame, WireError>> {
    let mut decoder = FrameDecoder::new(max_frame_len);
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    for chunk in chunks {
        buf.extend_from_slice(chunk);
        out.extend(drain(&mut decoder, &mut buf));
    }
    assert!(buf.is_empty(), "{} bytes left undecoded", buf.len());
    out
}

/// Decodes a whole buffer in one piece.
fn decode_one_piece(max_frame_len: u32, bytes: &[u8]) -> Vec<Result<Frame, WireError>> {
    decode_chunks(max_frame_len, [bytes])
}
