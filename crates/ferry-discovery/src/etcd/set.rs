//! A service's instances as a watch keeps them: the keys listed, then each put and delete
//! applied in turn. Sans-IO, so that what a watch does to the set is tested without etcd.

use std::collections::BTreeMap;

use tracing::warn;

use crate::{Instance, Instances};

/// The instances under one prefix, by key.
#[derive(Debug, Default)]
pub(crate) struct InstanceSet {
    by_key: BTreeMap<Vec<u8>, Instance>,
}

impl InstanceSet {
    /// The set a list found, from its keys and values; values that do not decode are left
    /// out.
    pub(crate) fn listed<'a>(pairs: impl IntoIterator<Item = (&'a [u8], &'a [u8])>) -> InstanceSet {
        let mut set = InstanceSet::default();
        for (key, value) in pairs {
            set.put(key, value);
        }
        set
    }

    /// Applies a put of `key`; says whether the set changed. A value that does not decode
    /// removes the key's instance: what it said before is no longer what etcd holds.
    pub(crate) fn put(&mut self, key: &[u8], value: &[u8]) -> bool {
        match decode(key, value) {
            Some(instance) => self.by_key.insert(key.to_vec(), instance.clone()) != Some(instance),
            None => self.delete(key),
        }
    }

    /// Applies a delete of `key`; says whether the set changed.
    pub(crate) fn delete(&mut self, key: &[u8]) -> bool {
        self.by_key.remove(key).is_some()
    }

    /// The instances, sorted by address (then by key, should two keys name one address).
    pub(crate) fn instances(&self) -> Instances {
        let mut instances: Vec<&Instance> = self.by_key.values().collect();
        // The map iterates by key, and the sort is stable, so equal addresses keep key order.
        instances.sort_by(|a, b| a.address.cmp(&b.address));
        instances.into_iter().cloned().collect()
    }
}

/// The instance a value describes, or `None` (with a warning naming the key) when it is not
/// an instance's JSON.
pub(crate) fn decode(key: &[u8], value: &[u8]) -> Option<Instance> {
    match serde_json::from_slice(value) {
        Ok(instance) => Some(instance),
        Err(error) => {
            let key = String::from_utf8_lossy(key);
            warn!(%key, %error, "skipping a value that is not an instance");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(address: &str) -> Vec<u8> {
        serde_json::to_vec(&Instance::new(address)).unwrap()
    }

    fn addresses(set: &InstanceSet) -> Vec<String> {
        set.instances().iter().map(|i| i.address.clone()).collect()
    }

    #[test]
    fn a_listed_set_is_sorted_by_address_and_skips_bad_values() {
        let (b, a) = (value("b:2"), value("a:1"));
        let set = InstanceSet::listed([
            (&b"/s/echo/b:2"[..], &b[..]),
            (b"/s/echo/junk", b"{not json"),
            (b"/s/echo/a:1", &a[..]),
            (b"/s/echo/noaddress", br#"{"weight":3}"#),
        ]);
        assert_eq!(addresses(&set), ["a:1", "b:2"]);
    }

    #[test]
    fn missing_fields_take_their_defaults_and_unknown_ones_are_ignored() {
        let set = InstanceSet::listed([(
            &b"/s/echo/a:1"[..],
            &br#"{"address":"a:1","zone":"eu-1"}"#[..],
        )]);
        assert_eq!(set.instances()[0], Instance::new("a:1"));
    }

    #[test]
    fn puts_and_deletes_change_the_set_and_say_so() {
        let mut set = InstanceSet::default();
        assert!(set.put(b"k/a", &value("a:1")));
        assert!(set.put(b"k/c", &value("c:3")));
        assert!(!set.put(b"k/a", &value("a:1")), "the same value again");
        assert!(set.put(b"k/b", &value("b:2")));
        assert_eq!(addresses(&set), ["a:1", "b:2", "c:3"]);

        assert!(set.delete(b"k/b"));
        assert!(!set.delete(b"k/b"), "already gone");
        assert!(!set.delete(b"k/never"));
        assert_eq!(addresses(&set), ["a:1", "c:3"]);
    }

    #[test]
    fn a_changed_value_replaces_the_instance() {
        let mut set = InstanceSet::default();
        set.put(b"k/a", &value("a:1"));
        let heavier = serde_json::to_vec(&Instance::new("a:1").weight(5)).unwrap();
        assert!(set.put(b"k/a", &heavier));
        assert_eq!(set.instances()[0].weight, 5);
    }

    #[test]
    fn a_put_that_does_not_decode_removes_the_instance() {
        let mut set = InstanceSet::default();
        set.put(b"k/a", &value("a:1"));
        assert!(set.put(b"k/a", b"garbage"));
        assert!(set.instances().is_empty());
        assert!(!set.put(b"k/a", b"garbage"), "nothing left to remove");
    }
}
