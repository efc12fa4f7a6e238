//! A directory tree per test, on the real file system: the store's root and a directory
//! outside it that no operation may ever write to.

#![allow(dead_code, unreachable_pub)]

use std::{
    fs,
    path::{Path, PathBuf},
};

use ferry_files::{Resolve, Root, RootConfig, Source};

/// Both resolvers, so every confinement test covers the openat2 path and the fallback walk.
/// Forcing openat2 fails where the kernel lacks it (Linux before 5.6), which these tests
/// then report rather than silently testing the walk twice.
pub const RESOLVERS: [Resolve; 2] = [Resolve::Openat2, Resolve::Walk];

/// `BASE/root/` (the store) and `BASE/outside/` (must stay as the test left it), removed
/// when dropped.
pub struct Tree {
    pub base: PathBuf,
}

impl Tree {
    pub fn new(name: &str) -> Tree {
        let base = std::env::temp_dir().join(format!("ferry-files-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&base);
        fs::create_dir_all(base.join("root")).expect("create the root");
        fs::create_dir_all(base.join("outside")).expect("create the outside directory");
        Tree { base }
    }

    pub fn root_dir(&self) -> PathBuf {
        self.base.join("root")
    }

    pub fn outside(&self) -> PathBuf {
        self.base.join("outside")
    }

    pub fn open(&self, config: RootConfig) -> Root {
        Root::open(&self.root_dir(), config).expect("open the store")
    }

    /// Writes `bytes` at `relative` under the root, creating directories.
    pub fn put_file(&self, relative: &str, bytes: &[u8]) {
        let path = self.root_dir().join(relative);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, bytes).unwrap();
    }

    /// The names in the outside directory, which tests expect to stay as they made it.
    pub fn outside_names(&self) -> Vec<String> {
        names(&self.outside())
    }

    /// The names in `.partial/`.
    pub fn partial_names(&self) -> Vec<String> {
        names(&self.root_dir().join(".partial"))
    }
}

impl Drop for Tree {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.base);
    }
}

pub fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap_or_else(|err| panic!("read {}: {err}", dir.display()))
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

/// `len` bytes that differ from one offset to the next, so a misplaced chunk is caught.
pub fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|at| (at as u8).wrapping_mul(31).wrapping_add(seed) ^ (at >> 8) as u8)
        .collect()
}

pub fn hex(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}

/// The identity of `bytes` as a sender would declare it.
pub fn source_of(bytes: &[u8], modified_ns: i64) -> Source {
    Source {
        size: bytes.len() as u64,
        modified_ns,
        blake3: hex(bytes),
    }
}
