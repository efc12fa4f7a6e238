//! Hashes already computed, so a large file is hashed once while it is unchanged.

use std::{
    collections::{HashMap, VecDeque},
    fs::Metadata,
    os::unix::fs::MetadataExt,
    sync::Mutex,
};

/// How many hashes are remembered; the oldest is forgotten first.
const CAPACITY: usize = 1024;

/// What identifies one version of a file: the inode, its size and both its times. The change
/// time cannot be set back by a writer the way the modification time can.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Version {
    dev: u64,
    ino: u64,
    size: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl Version {
    pub(crate) fn of(metadata: &Metadata) -> Version {
        Version {
            dev: metadata.dev(),
            ino: metadata.ino(),
            size: metadata.size(),
            mtime: (metadata.mtime(), metadata.mtime_nsec()),
            ctime: (metadata.ctime(), metadata.ctime_nsec()),
        }
    }
}

/// A bounded map from file versions to their BLAKE3 hashes (hexadecimal).
#[derive(Debug, Default)]
pub(crate) struct HashCache {
    inner: Mutex<Remembered>,
}

#[derive(Debug, Default)]
struct Remembered {
    hashes: HashMap<Version, String>,
    /// Insertion order, oldest first.
    order: VecDeque<Version>,
}

impl HashCache {
    /// The hash remembered for `version`.
    pub(crate) fn get(&self, version: &Version) -> Option<String> {
        self.lock().hashes.get(version).cloned()
    }

    /// Remembers `hash` for `version`, forgetting the oldest hash when full.
    pub(crate) fn insert(&self, version: Version, hash: String) {
        let mut remembered = self.lock();
        if remembered.hashes.insert(version, hash).is_some() {
            return;
        }
        remembered.order.push_back(version);
        while remembered.order.len() > CAPACITY {
            if let Some(oldest) = remembered.order.pop_front() {
                remembered.hashes.remove(&oldest);
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Remembered> {
        // A panic elsewhere cannot leave the map inconsistent: every change is one insert or
        // one remove of both structures together.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(ino: u64) -> Version {
        Version {
            dev: 1,
            ino,
            size: 10,
            mtime: (0, 0),
            ctime: (0, 0),
        }
    }

    #[test]
    fn remembers_at_most_capacity_hashes_oldest_forgotten_first() {
        let cache = HashCache::default();
        for ino in 0..(CAPACITY as u64 + 10) {
            cache.insert(version(ino), format!("h{ino}"));
        }
        assert_eq!(cache.get(&version(0)), None);
        assert_eq!(cache.get(&version(9)), None);
        assert_eq!(cache.get(&version(10)).as_deref(), Some("h10"));
        let last = CAPACITY as u64 + 9;
        assert_eq!(cache.get(&version(last)), Some(format!("h{last}")));
        assert_eq!(cache.lock().hashes.len(), CAPACITY);
        assert_eq!(cache.lock().order.len(), CAPACITY);
    }

    #[test]
    fn another_version_of_the_same_inode_is_a_miss() {
        let cache = HashCache::default();
        cache.insert(version(7), "old".into());
        let grown = Version {
            size: 11,
            ..version(7)
        };
        assert_eq!(cache.get(&grown), None);
    }
}
