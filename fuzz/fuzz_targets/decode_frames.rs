//! Feeds arbitrary bytes, cut in two at a point taken from the first byte, through
//! `Preface::decode` and then `FrameDecoder::decode`; every decoded frame must re-encode to bytes
//! that decode back to the same frame, and the decoder must never hold more than one frame.

#![no_main]

use bytes::BytesMut;
use ferry_wire::{Frame, FrameDecoder, Preface, HEADER_LEN, PREFACE_LEN};
use libfuzzer_sys::fuzz_target;

/// The decoder's limit is the fuzzed preface's, capped so one input cannot ask for gigabytes.
const MAX_FRAME_LEN_CAP: u32 = 1 << 20;

fuzz_target!(|data: &[u8]| {
    let Some((&first, input)) = data.split_first() else {
        return;
    };
    // Scale the first byte onto 0..=len so long inputs are split anywhere, not only early.
    let at = usize::from(first) * input.len() / 255;
    let (head, tail) = input.split_at(at);

    let mut buf = BytesMut::new();
    let mut decoder: Option<FrameDecoder> = None;
    for chunk in [head, tail] {
        buf.extend_from_slice(chunk);
        let decoder = match &mut decoder {
            Some(decoder) => decoder,
            None => {
                let before = buf.clone();
                match Preface::decode(&mut buf) {
                    Ok(None) => {
                        assert_eq!(buf, before, "a partial preface is not consumed");
                        continue;
                    }
                    Err(error) => {
                        assert!(error.is_fatal());
                        assert_eq!(buf, before, "a bad preface is not consumed");
                        return;
                    }
                    Ok(Some(preface)) => {
                        let mut encoded = BytesMut::new();
                        preface.encode(&mut encoded);
                        assert_eq!(&encoded[..], &before[..PREFACE_LEN]);
                        let max = preface.max_frame_len.min(MAX_FRAME_LEN_CAP);
                        decoder.insert(FrameDecoder::new(max))
                    }
                }
            }
        };
        loop {
            let before = buf.len();
            match decoder.decode(&mut buf) {
                Ok(None) => break,
                Ok(Some(frame)) => assert_round_trip(&frame, decoder.max_frame_len()),
                Err(error) => assert!(!error.is_fatal(), "{error}"),
            }
            assert!(buf.len() < before, "a frame or error consumed nothing");
        }
        let limit = HEADER_LEN + decoder.max_frame_len() as usize;
        assert!(
            buf.len() < limit,
            "{} bytes buffered, limit {limit}",
            buf.len()
        );
    }
});

fn assert_round_trip(frame: &Frame, max_frame_len: u32) {
    let mut encoded = BytesMut::new();
    frame.encode(&mut encoded);
    let announced = u32::from_be_bytes(encoded[..4].try_into().unwrap());
    assert_eq!(announced as usize, encoded.len() - HEADER_LEN);
    assert!(announced <= max_frame_len, "re-encoding grew the frame");
    let decoded = FrameDecoder::new(max_frame_len).decode(&mut encoded);
    assert_eq!(decoded.as_ref(), Ok(&Some(frame.clone())));
    assert!(encoded.is_empty());
}
