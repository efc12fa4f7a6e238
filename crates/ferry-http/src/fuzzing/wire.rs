//! The native protocol's frames, and the stream frames on top of them.

use std::collections::VecDeque;

use bytes::{Bytes, BytesMut};
use ferry_wire::{
    stream::{cost, ReceiveWindow, StreamFault, INITIAL_CREDIT, MAX_FRAGMENT_LEN},
    Frame, FrameDecoder, Preface, HEADER_LEN, PREFACE_LEN,
};

/// The decoder's limit is the fuzzed preface's, capped so one input cannot ask for gigabytes.
const MAX_FRAME_LEN_CAP: u32 = 1 << 20;

/// Arbitrary bytes, cut in two at a point taken from the first byte, through
/// `Preface::decode` and then `FrameDecoder::decode`: every decoded frame re-encodes to bytes
/// that decode back to the same frame, a partial or bad preface is not consumed, every frame
/// or error consumes bytes, and the decoder never holds more than one frame.
pub fn decode_frames(data: &[u8]) {
    let Some((head, tail)) = super::split(data) else {
        return;
    };
    let mut buf = BytesMut::new();
    let mut decoder: Option<FrameDecoder> = None;
    for chunk in [head, tail] {
        buf.extend_from_slice(chunk);
        let decoder = match &mut decoder {
            Some(decoder) => decoder,
            None => match preface(&mut buf) {
                Some(Some(max)) => decoder.insert(FrameDecoder::new(max)),
                Some(None) => continue,
                None => return,
            },
        };
        drain(decoder, &mut buf, |frame, max| {
            assert_round_trip(&frame, max)
        });
        let limit = HEADER_LEN + decoder.max_frame_len() as usize;
        assert!(
            buf.len() < limit,
            "{} bytes buffered, limit {limit}",
            buf.len()
        );
    }
}

/// The decoder's limit from a preface at the front of `buf`: `Some(None)` while it is partial,
/// `None` when it is bad.
fn preface(buf: &mut BytesMut) -> Option<Option<u32>> {
    let before = buf.clone();
    match Preface::decode(buf) {
        Ok(None) => {
            assert_eq!(*buf, before, "a partial preface is not consumed");
            Some(None)
        }
        Err(error) => {
            assert!(error.is_fatal());
            assert_eq!(*buf, before, "a bad preface is not consumed");
            None
        }
        Ok(Some(preface)) => {
            let mut encoded = BytesMut::new();
            preface.encode(&mut encoded);
            assert_eq!(&encoded[..], &before[..PREFACE_LEN]);
            Some(Some(preface.max_frame_len.min(MAX_FRAME_LEN_CAP)))
        }
    }
}

/// Every whole frame in `buf` to `each`, with the decoder's limit; errors must not be fatal
/// and each frame or error must consume bytes.
fn drain(decoder: &mut FrameDecoder, buf: &mut BytesMut, mut each: impl FnMut(Frame, u32)) {
    loop {
        let before = buf.len();
        match decoder.decode(buf) {
            Ok(None) => return,
            Ok(Some(frame)) => each(frame, decoder.max_frame_len()),
            Err(error) => assert!(!error.is_fatal(), "{error}"),
        }
        assert!(buf.len() < before, "a frame or error consumed nothing");
    }
}

fn assert_round_trip(frame: &Frame, max_frame_len: u32) {
    let mut encoded = BytesMut::new();
    frame.encode(&mut encoded);
    let announced = u32::from_be_bytes(encoded[..4].try_into().expect("a frame header"));
    assert_eq!(announced as usize, encoded.len() - HEADER_LEN);
    assert!(announced <= max_frame_len, "re-encoding grew the frame");
    let decoded = FrameDecoder::new(max_frame_len).decode(&mut encoded);
    assert_eq!(decoded.as_ref(), Ok(&Some(frame.clone())));
    assert!(encoded.is_empty());
}

/// Arbitrary frames to one stream's receiving end. The first two bytes size the window and the
/// largest item; then each `StreamItem` frame is an item frame from the peer and each
/// `StreamCredit` frame stands for the consumer taking `bytes % (queued + 1)` queued items. The
/// receiver must agree with a model of the sender's credit (refusing exactly the frames that
/// overrun it), put fragments back together in order, refuse an item over its limit, never
/// grant the sender more than its window, and hold at most the window plus one item.
pub fn stream_frames(data: &[u8]) {
    let [window_byte, item_byte, frames @ ..] = data else {
        return;
    };
    let window = (u64::from(*window_byte) + 1) * 16 * 1024;
    let max_item = (usize::from(*item_byte) + 1) * 4 * 1024;
    let mut model = StreamModel::open(window, max_item);
    let mut buf = BytesMut::from(frames);
    let mut decoder = FrameDecoder::new(MAX_FRAGMENT_LEN as u32);
    let mut open = true;
    drain(&mut decoder, &mut buf, |frame, _| {
        if !open {
            return;
        }
        match frame {
            Frame::StreamItem { body, more, .. } => open = model.item(body, more),
            Frame::StreamCredit { bytes, .. } => model.take(bytes),
            _ => {}
        }
        model.check();
    });
}

/// A stream's receiving end beside what it should be doing.
struct StreamModel {
    receiver: ReceiveWindow,
    window: u64,
    max_item: usize,
    /// The credit the sender has left.
    credit: u64,
    /// The part-built item and its cost.
    partial: BytesMut,
    partial_cost: u64,
    /// The cost of each whole item the consumer has not taken.
    queued: VecDeque<u64>,
    /// The largest cost of one item so far, the part-built one included.
    largest_item: u64,
}

impl StreamModel {
    fn open(window: u64, max_item: usize) -> StreamModel {
        let (receiver, grant) = ReceiveWindow::open(window, max_item);
        let window = window.clamp(INITIAL_CREDIT, u64::from(u32::MAX));
        let credit = INITIAL_CREDIT + u64::from(grant);
        assert_eq!(credit, window, "the opening grant makes up the window");
        StreamModel {
            receiver,
            window,
            max_item,
            credit,
            partial: BytesMut::new(),
            partial_cost: 0,
            queued: VecDeque::new(),
            largest_item: 0,
        }
    }

    /// One item frame; whether the stream goes on.
    fn item(&mut self, body: Bytes, more: bool) -> bool {
        let frame_cost = cost(body.len());
        let outcome = self.receiver.on_frame(body.clone(), more);
        if frame_cost > self.credit {
            let overrun = StreamFault::Overrun {
                sent: frame_cost,
                credit: self.credit,
            };
            assert_eq!(outcome, Err(overrun));
            return false;
        }
        if self.partial.len() + body.len() > self.max_item {
            let too_large = StreamFault::ItemTooLarge { max: self.max_item };
            assert_eq!(outcome, Err(too_large));
            return false;
        }
        let received = outcome.expect("a frame within credit and the item limit");
        self.credit = self.credit - frame_cost + received.grant.map_or(0, u64::from);
        self.partial.extend_from_slice(&body);
        self.partial_cost += frame_cost;
        self.largest_item = self.largest_item.max(self.partial_cost);
        if more {
            assert_eq!(
                received.item, None,
                "an item handed over before its last part"
            );
            return true;
        }
        let item = std::mem::take(&mut self.partial).freeze();
        assert_eq!(received.item, Some(item), "fragments put back together");
        assert_eq!(received.item_cost, self.partial_cost);
        self.queued
            .push_back(std::mem::take(&mut self.partial_cost));
        true
    }

    /// The consumer takes `count % (queued + 1)` items.
    fn take(&mut self, count: u32) {
        let count = count as usize % (self.queued.len() + 1);
        let taken: u64 = self.queued.drain(..count).sum();
        self.credit += self.receiver.on_taken(taken).map_or(0, u64::from);
    }

    fn check(&self) {
        let held = self.queued.iter().sum::<u64>() + self.partial_cost;
        assert_eq!(self.receiver.held(), held);
        assert!(
            self.credit <= self.window,
            "credit {} over the window {}",
            self.credit,
            self.window
        );
        assert!(
            held <= self.window + self.largest_item,
            "{held} held, window {} and an item of {}",
            self.window,
            self.largest_item
        );
    }
}
