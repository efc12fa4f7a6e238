//! Property tests: encode → decode is the identity for every frame kind, however the bytes are
//! cut, and arbitrary bytes never panic the decoder nor make it buffer more than one frame.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use ferry_wire::{
    ByteStr, Frame, FrameDecoder, GoAway, Metadata, Preface, Request, Response, Status, WireError,
    HEADER_LEN, PREFACE_LEN,
};
use proptest::{collection::vec, prelude::*, sample::Index};

/// Any UTF-8 text of up to `max_chars` characters (so up to 4 × that many bytes).
fn text(max_chars: usize) -> impl Strategy<Value = ByteStr> {
    vec(any::<char>(), 0..=max_chars).prop_map(|chars| ByteStr::from(String::from_iter(chars)))
}

fn bytes(max_len: usize) -> impl Strategy<Value = Bytes> {
    vec(any::<u8>(), 0..=max_len).prop_map(Bytes::from)
}

fn status() -> impl Strategy<Value = Status> {
    proptest::sample::select(Status::ALL.to_vec())
}

fn metadata() -> impl Strategy<Value = Metadata> {
    vec((text(16), text(64)), 0..6)
}

fn request() -> impl Strategy<Value = Request> {
    (
        any::<u32>(),
        text(150),
        proptest::option::of(0..=u64::from(u32::MAX)),
        metadata(),
        bytes(4096),
    )
        .prop_map(|(call_id, method, deadline, metadata, body)| Request {
            call_id,
            method,
            deadline: deadline.map(Duration::from_millis),
            metadata,
            body,
        })
}

fn response() -> impl Strategy<Value = Response> {
    (any::<u32>(), status(), bytes(4096)).prop_map(|(call_id, status, body)| Response {
        call_id,
        status,
        body,
    })
}

fn frame() -> impl Strategy<Value = Frame> {
    prop_oneof![
        3 => request().prop_map(Frame::Request),
        2 => response().prop_map(Frame::Response),
        1 => any::<u32>().prop_map(|call_id| Frame::Cancel { call_id }),
        1 => any::<u64>().prop_map(|payload| Frame::Ping { payload }),
        1 => any::<u64>().prop_map(|payload| Frame::Pong { payload }),
        1 => (any::<u32>(), status(), text(200)).prop_map(|(last_call_id, status, message)| {
            Frame::GoAway(GoAway { last_call_id, status, message })
        }),
        1 => (any::<u32>(), bytes(4096), any::<bool>())
            .prop_map(|(call_id, body, more)| Frame::StreamItem { call_id, body, more }),
        1 => response().prop_map(Frame::StreamEnd),
        1 => response().prop_map(Frame::Refused),
        1 => (any::<u32>(), any::<u32>())
            .prop_map(|(call_id, bytes)| Frame::StreamCredit { call_id, bytes }),
    ]
}

fn encode(frame: &Frame) -> Vec<u8> {
    let mut buf = BytesMut::new();
    frame.encode(&mut buf);
    buf.to_vec()
}

/// Cuts `bytes` at the given points (in any order, duplicates allowed).
fn cut<'a>(bytes: &'a [u8], points: &[Index]) -> Vec<&'a [u8]> {
    let mut at: Vec<usize> = points
        .iter()
        .map(|point| point.index(bytes.len() + 1))
        .collect();
    at.push(0);
    at.push(bytes.len());
    at.sort_unstable();
    at.windows(2).map(|pair| &bytes[pair[0]..pair[1]]).collect()
}

/// Feeds the chunks in order, draining the decoder after each one; checks the decoder always
/// returns, and that after it asks for more input the buffer holds less than one whole frame.
fn decode_chunks(
    decoder: &mut FrameDecoder,
    chunks: &[&[u8]],
) -> Result<(Vec<Result<Frame, WireError>>, BytesMut), TestCaseError> {
    let limit = HEADER_LEN + decoder.max_frame_len() as usize;
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    for chunk in chunks {
        buf.extend_from_slice(chunk);
        let mut calls = 0;
        loop {
            calls += 1;
            prop_assert!(
                calls < 100_000,
                "decoder keeps returning without asking for input"
            );
            let before = buf.len();
            match decoder.decode(&mut buf) {
                Ok(None) => break,
                Ok(Some(frame)) => out.push(Ok(frame)),
                Err(error) => {
                    prop_assert!(!error.is_fatal());
                    out.push(Err(error));
                }
            }
            prop_assert!(buf.len() < before, "a frame or error consumed no bytes");
        }
        prop_assert!(
            buf.len() < limit,
            "{} bytes buffered with a {limit}-byte limit",
            buf.len()
        );
    }
    Ok((out, buf))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn one_frame_round_trips(frame in frame()) {
        let bytes = encode(&frame);
        let announced = u32::from_be_bytes(bytes[..4].try_into().unwrap()) as usize;
        prop_assert_eq!(announced, bytes.len() - HEADER_LEN);
        prop_assert_eq!(u32::from_be_bytes(bytes[6..10].try_into().unwrap()), frame.call_id());

        let mut buf = BytesMut::from(&bytes[..]);
        let decoded = FrameDecoder::new(u32::MAX).decode(&mut buf);
        prop_assert_eq!(decoded, Ok(Some(frame)));
        prop_assert!(buf.is_empty());
    }

    #[test]
    fn concatenated_frames_round_trip_in_random_chunks(
        frames in vec(frame(), 1..12),
        points in vec(any::<Index>(), 0..24),
    ) {
        let bytes: Vec<u8> = frames.iter().flat_map(encode).collect();
        let max = frames.iter().map(|frame| encode(frame).len() - HEADER_LEN).max().unwrap_or(0);
        let mut decoder = FrameDecoder::new(u32::try_from(max).unwrap());
        let (decoded, rest) = decode_chunks(&mut decoder, &cut(&bytes, &points))?;
        prop_assert!(rest.is_empty());
        let expected: Vec<_> = frames.into_iter().map(Ok).collect();
        prop_assert_eq!(decoded, expected);
    }

    #[test]
    fn frames_byte_by_byte(frames in vec(frame(), 1..4)) {
        let bytes: Vec<u8> = frames.iter().flat_map(encode).collect();
        let chunks: Vec<&[u8]> = bytes.chunks(1).collect();
        let (decoded, rest) = decode_chunks(&mut FrameDecoder::new(u32::MAX), &chunks)?;
        prop_assert!(rest.is_empty());
        let expected: Vec<_> = frames.into_iter().map(Ok).collect();
        prop_assert_eq!(decoded, expected);
    }

    /// With a limit some frames exceed, those come out as `FrameTooLarge` naming their header,
    /// the others intact, in order.
    #[test]
    fn oversize_frames_are_skipped_in_random_chunks(
        frames in vec(frame(), 1..12),
        max in 0u32..2048,
        points in vec(any::<Index>(), 0..24),
    ) {
        let bytes: Vec<u8> = frames.iter().flat_map(encode).collect();
        let expected: Vec<Result<Frame, WireError>> = frames
            .into_iter()
            .map(|frame| {
                let encoded = encode(&frame);
                let len = u32::try_from(encoded.len() - HEADER_LEN).unwrap();
                if len > max {
                    Err(WireError::FrameTooLarge { kind: encoded[4], call_id: frame.call_id(), len, max })
                } else {
                    Ok(frame)
                }
            })
            .collect();
        let mut decoder = FrameDecoder::new(max);
        let (decoded, rest) = decode_chunks(&mut decoder, &cut(&bytes, &points))?;
        prop_assert!(rest.is_empty());
        prop_assert_eq!(decoded, expected);
    }

    #[test]
    fn random_bytes_never_panic_or_overbuffer(
        input in vec(any::<u8>(), 0..4096),
        max in 0u32..512,
        points in vec(any::<Index>(), 0..32),
    ) {
        let mut decoder = FrameDecoder::new(max);
        let (decoded, _) = decode_chunks(&mut decoder, &cut(&input, &points))?;
        // Whatever decoded is a valid frame: it survives its own round trip.
        for frame in decoded.into_iter().flatten() {
            let mut buf = BytesMut::from(&encode(&frame)[..]);
            prop_assert_eq!(FrameDecoder::new(max).decode(&mut buf), Ok(Some(frame)));
        }
    }

    /// Random bytes that start with a valid header: exercises the body parsers rather than the
    /// length check.
    #[test]
    fn random_bodies_never_panic(
        kind in 0u8..12,
        flags in prop_oneof![Just(0u8), Just(1), Just(2), Just(3), any::<u8>()],
        call_id in any::<u32>(),
        body in vec(any::<u8>(), 0..256),
        split in any::<Index>(),
    ) {
        let mut bytes = Vec::new();
        bytes.extend_from_slice(&u32::try_from(body.len()).unwrap().to_be_bytes());
        bytes.extend_from_slice(&[kind, flags]);
        bytes.extend_from_slice(&call_id.to_be_bytes());
        bytes.extend_from_slice(&body);
        let ping = encode(&Frame::Ping { payload: 3 });
        bytes.extend_from_slice(&ping);
        let at = split.index(bytes.len() + 1);
        let mut decoder = FrameDecoder::new(256);
        let (decoded, rest) = decode_chunks(&mut decoder, &[&bytes[..at], &bytes[at..]])?;
        prop_assert!(rest.is_empty());
        prop_assert_eq!(decoded.len(), 2);
        let expected_outcome = matches!(
            decoded[0],
            Ok(_) | Err(WireError::UnknownKind(_)) | Err(WireError::Malformed { .. })
        );
        prop_assert!(expected_outcome, "unexpected {:?}", decoded[0]);
        if let Err(WireError::UnknownKind(byte)) = decoded[0] {
            prop_assert_eq!(byte, kind);
            prop_assert!(kind == 0 || kind > 9);
        }
        prop_assert_eq!(&decoded[1], &Ok(Frame::Ping { payload: 3 }));
    }

    #[test]
    fn preface_round_trips(version in any::<u8>(), codec in any::<u8>(), max_frame_len in any::<u32>()) {
        let preface = Preface { version, codec, max_frame_len };
        let mut buf = BytesMut::new();
        preface.encode(&mut buf);
        prop_assert_eq!(buf.len(), PREFACE_LEN);
        prop_assert_eq!(Preface::decode(&mut buf), Ok(Some(preface)));
        prop_assert!(buf.is_empty());
    }

    /// A preface decoder fed random bytes in random chunks either waits, fails on bad magic
    /// without consuming anything, or yields a preface having consumed exactly 12 bytes.
    #[test]
    fn preface_on_random_bytes(input in vec(any::<u8>(), 0..32), points in vec(any::<Index>(), 0..8)) {
        let mut buf = BytesMut::new();
        let mut fed = 0;
        for chunk in cut(&input, &points) {
            buf.extend_from_slice(chunk);
            fed += chunk.len();
            let before = buf.clone();
            match Preface::decode(&mut buf) {
                Ok(None) => {
                    prop_assert!(fed < PREFACE_LEN);
                    prop_assert_eq!(&buf, &before);
                }
                Ok(Some(preface)) => {
                    prop_assert_eq!(&input[..6], b"FERRY\0");
                    let mut encoded = BytesMut::new();
                    preface.encode(&mut encoded);
                    prop_assert_eq!(&encoded[..], &before[..PREFACE_LEN]);
                    prop_assert_eq!(&buf[..], &before[PREFACE_LEN..]);
                    return Ok(());
                }
                Err(error) => {
                    prop_assert_eq!(error, WireError::BadMagic);
                    prop_assert_eq!(&buf, &before);
                    let seen = fed.min(6);
                    prop_assert_ne!(&input[..seen], &b"FERRY\0"[..seen]);
                    return Ok(());
                }
            }
        }
    }
}
