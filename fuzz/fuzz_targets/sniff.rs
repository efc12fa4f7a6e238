//! Dialect sniffing over arbitrary first bytes: never panics, and a decision never changes as
//! more bytes arrive.
#![no_main]

use ferry::server::{sniff, Sniffed};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut decided = None;
    for end in 0..=data.len().min(40) {
        match (sniff(&data[..end]), decided) {
            (Sniffed::NeedMore, None) => {}
            (Sniffed::NeedMore, Some(earlier)) => panic!("{earlier:?} became undecided"),
            (now, None) => decided = Some(now),
            (now, Some(earlier)) => assert_eq!(now, earlier),
        }
    }
});
