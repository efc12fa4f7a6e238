//! Frame encode and decode costs: requests and responses at 64 B, 1 KiB and 16 KiB bodies,
//! and a read buffer holding 64 frames, as a connection driver sees after one large read.
//!
//! `cargo bench -p ferry-wire` runs them.

use std::{hint::black_box, time::Duration};

use bytes::{Bytes, BytesMut};
use criterion::{BatchSize, Criterion, Throughput};
use ferry_wire::{ByteStr, Frame, FrameDecoder, Request, Response, Status, DEFAULT_MAX_FRAME_LEN};

const SIZES: [(&str, usize); 3] = [("64B", 64), ("1KiB", 1024), ("16KiB", 16 * 1024)];
const FRAMES_PER_BUFFER: usize = 64;

fn request(body_len: usize) -> Frame {
    Frame::Request(Request {
        call_id: 7,
        method: ByteStr::from_static("echo.echo"),
        deadline: Some(Duration::from_secs(30)),
        metadata: Vec::new(),
        body: Bytes::from(vec![0x5a; body_len]),
    })
}

fn response(body_len: usize) -> Frame {
    Frame::Response(Response {
        call_id: 7,
        status: Status::Ok,
        body: Bytes::from(vec![0x5a; body_len]),
    })
}

fn encoded(frames: &[Frame]) -> BytesMut {
    let mut buf = BytesMut::new();
    for frame in frames {
        frame.encode(&mut buf);
    }
    buf
}

fn encode(c: &mut Criterion, kind: &str, make: fn(usize) -> Frame) {
    let mut group = c.benchmark_group(format!("encode_{kind}"));
    for (name, size) in SIZES {
        let frame = make(size);
        let mut buf = BytesMut::with_capacity(size + 64);
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_function(name, |b| {
            b.iter(|| {
                buf.clear();
                black_box(&frame).encode(&mut buf);
                black_box(buf.len())
            })
        });
    }
    group.finish();
}

fn decode(c: &mut Criterion, kind: &str, make: fn(usize) -> Frame) {
    let mut group = c.benchmark_group(format!("decode_{kind}"));
    for (name, size) in SIZES {
        let bytes = encoded(&[make(size)]);
        let mut decoder = FrameDecoder::new(DEFAULT_MAX_FRAME_LEN);
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_function(name, |b| {
            b.iter_batched_ref(
                || bytes.clone(),
                |buf| black_box(decoder.decode(buf)),
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();
}

fn decode_buffer_of_frames(c: &mut Criterion) {
    let frames: Vec<Frame> = (0..FRAMES_PER_BUFFER).map(|_| response(64)).collect();
    let bytes = encoded(&frames);
    let mut decoder = FrameDecoder::new(DEFAULT_MAX_FRAME_LEN);
    let mut group = c.benchmark_group("decode_buffer");
    group.throughput(Throughput::Elements(FRAMES_PER_BUFFER as u64));
    group.bench_function("64_responses_of_64B", |b| {
        b.iter_batched_ref(
            || bytes.clone(),
            |buf| {
                while let Ok(Some(frame)) = decoder.decode(buf) {
                    black_box(frame);
                }
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

fn frames(c: &mut Criterion) {
    encode(c, "request", request);
    encode(c, "response", response);
    decode(c, "request", request);
    decode(c, "response", response);
    decode_buffer_of_frames(c);
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    frames(&mut criterion);
    criterion.final_summary();
}
