//! How waiting calls are found by call id.

use std::hash::Hasher;

/// Hashes a call id with one multiplication. Ids come from a counter, not from the peer, so
/// they need no protection against chosen collisions; the odd multiplier keeps consecutive ids
/// in distinct buckets and fills the high bits the table's probe tags are taken from.
#[derive(Default)]
pub(crate) struct CallIdHasher(u64);

/// 2^64 divided by the golden ratio, made odd.
const SPREAD: u64 = 0x9e37_79b9_7f4a_7c15;

impl Hasher for CallIdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(*byte)).wrapping_mul(SPREAD);
        }
    }

    fn write_u32(&mut self, call_id: u32) {
        self.0 = u64::from(call_id).wrapping_mul(SPREAD);
    }
}

#[cfg(test)]
mod tests {
    use std::hash::{BuildHasher, BuildHasherDefault};

    use super::*;

    #[test]
    fn consecutive_call_ids_hash_apart_in_low_and_high_bits() {
        let hasher = BuildHasherDefault::<CallIdHasher>::default();
        let hashes: Vec<u64> = (1..=64u32).map(|id| hasher.hash_one(id)).collect();
        let low: std::collections::HashSet<u64> = hashes.iter().map(|h| h & 63).collect();
        let high: std::collections::HashSet<u64> = hashes.iter().map(|h| h >> 57).collect();
        assert_eq!(low.len(), 64, "low bits collide");
        assert!(high.len() > 32, "only {} distinct probe tags", high.len());
    }
}
