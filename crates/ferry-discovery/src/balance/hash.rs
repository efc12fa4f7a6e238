//! The same endpoint for the same key: rendezvous hashing.

use std::{cmp::Reverse, sync::Arc};

use super::{Balancer, LeastInFlight};
use crate::Endpoint;

/// Rendezvous (highest random weight) hashing on the call's key: every client sends a key to
/// the same endpoint, and when an endpoint leaves only its own keys move. Rendezvous rather
/// than a ring because it needs no virtual nodes to spread keys evenly and no state to rebuild
/// when the set changes; a pick costs one hash per endpoint, little for the sets a service has.
#[derive(Debug, Default)]
pub struct ConsistentHash {
    /// Calls without a key belong nowhere in particular, so they go where the load is least.
    unkeyed: LeastInFlight,
}

impl Balancer for ConsistentHash {
    fn pick(&self, usable: &[Arc<Endpoint>], key: Option<u64>) -> usize {
        match key {
            Some(key) => rendezvous(usable, key),
            None => self.unkeyed.pick(usable, None),
        }
    }
}

/// The endpoint that weighs most for `key`. A weight depends on the key and that endpoint
/// alone, so no other endpoint's arrival or departure changes who wins; a tie, vanishingly
/// rare, goes to the lowest address so that every client still agrees.
fn rendezvous(usable: &[Arc<Endpoint>], key: u64) -> usize {
    usable
        .iter()
        .enumerate()
        .max_by_key(|&(index, endpoint)| (mix(key ^ endpoint.hash()), Reverse(index)))
        .map_or(0, |(index, _)| index)
}

/// splitmix64's finalizer. Each input bit flips about half the output bits, so sequential keys
/// and addresses with similar hashes still get unrelated weights.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use proptest::prelude::*;

    use super::*;
    use crate::balance::testing::{at, loaded, picks};

    /// The address `key` goes to.
    fn owner(usable: &[Arc<Endpoint>], key: u64) -> &str {
        usable[ConsistentHash::default().pick(usable, Some(key))].address()
    }

    /// From two to eight distinct addresses, sorted as a balancer receives them.
    fn addresses() -> impl Strategy<Value = Vec<String>> {
        prop::collection::btree_set("[a-z]{1,8}:[0-9]{2,5}", 2..=8)
            .prop_map(|set: BTreeSet<String>| set.into_iter().collect())
    }

    proptest! {
        #[test]
        fn a_key_goes_to_the_same_address_from_any_client(
            addresses in addresses(),
            keys in prop::collection::vec(any::<u64>(), 1..32),
        ) {
            let (ours, theirs) = (at(&addresses), at(&addresses));
            for key in keys {
                prop_assert_eq!(owner(&ours, key), owner(&theirs, key));
                prop_assert_eq!(owner(&ours, key), owner(&ours, key));
            }
        }

        #[test]
        fn removing_an_endpoint_moves_only_its_own_keys(
            addresses in addresses(),
            removed in any::<prop::sample::Index>(),
            keys in prop::collection::vec(any::<u64>(), 1..64),
        ) {
            let removed = removed.index(addresses.len());
            let before = at(&addresses);
            let mut after = before.clone();
            after.remove(removed);
            for key in keys {
                let owner_before = owner(&before, key);
                if owner_before != addresses[removed] {
                    prop_assert_eq!(owner(&after, key), owner_before);
                }
            }
        }
    }

    #[test]
    fn keys_spread_evenly_and_a_removal_moves_about_a_third() {
        let before = at(&["10.0.0.1:7070", "10.0.0.2:7070", "10.0.0.3:7070"]);
        let after = &before[1..];
        let (mut shares, mut moved) = ([0_u32; 3], 0);
        for key in 0..10_000 {
            let index = ConsistentHash::default().pick(&before, Some(key));
            shares[index] += 1;
            moved += u32::from(owner(after, key) != before[index].address());
        }
        assert!(
            shares.iter().all(|&share| (2_500..=4_200).contains(&share)),
            "{shares:?}"
        );
        assert!(moved <= 5_000, "{moved} moved");
        assert_eq!(moved, shares[0], "only the removed endpoint's keys move");
    }

    #[test]
    fn calls_without_a_key_go_to_the_less_loaded() {
        let usable = loaded(&[4, 0]);
        assert_eq!(picks(&ConsistentHash::default(), &usable, 500), [0, 500]);
    }
}
