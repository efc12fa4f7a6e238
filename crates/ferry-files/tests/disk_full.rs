//! A full disk, for real: the store on a 1 MiB tmpfs. Mounting needs root (as the project's
//! machines and CI run); elsewhere the test fails saying so, and the mapping of ENOSPC to
//! `DiskFull` is still covered by the crate's unit tests.

mod common;

use std::process::Command;

use common::{pattern, source_of, Tree};
use ferry_files::{FilesError, RootConfig};
use ferry_wire::Status;

/// A tmpfs mounted over a directory, unmounted when dropped (before the tree is removed).
struct SmallDisk {
    at: std::path::PathBuf,
}

impl SmallDisk {
    fn mount(at: std::path::PathBuf) -> SmallDisk {
        let output = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=1m", "tmpfs"])
            .arg(&at)
            .output()
            .unwrap_or_else(|err| panic!("this test needs mount(8): {err}"));
        assert!(
            output.status.success(),
            "this test mounts a 1 MiB tmpfs and needs root for it: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        SmallDisk { at }
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.at).status();
    }
}

#[test]
fn a_full_disk_is_reported_and_what_was_synced_stays_resumable() {
    let tree = Tree::new("disk-full");
    let _disk = SmallDisk::mount(tree.root_dir());
    let root = tree.open(RootConfig::default().fsync_every(64 * 1024));
    let bytes = pattern(2 * 1024 * 1024, 1);
    let source = source_of(&bytes, 1);

    let mut upload = root.begin_upload("big.bin", source.clone()).unwrap();
    let err = bytes
        .chunks(16 * 1024)
        .find_map(|chunk| upload.write(chunk).err())
        .expect("2 MiB cannot fit on a 1 MiB disk");
    assert!(matches!(err, FilesError::DiskFull { .. }), "{err:?}");
    assert_eq!(err.status(), Status::Unavailable);
    assert!(
        err.to_string()
            .contains("disk under the file store is full"),
        "{err}"
    );
    assert!(err.to_string().contains("big.bin"), "{err}");
    let stored = upload.written();
    drop(upload);

    let resumed = root.begin_upload("big.bin", source).unwrap();
    assert!(resumed.resume_from() > 0, "what was synced is kept");
    assert!(resumed.resume_from() <= stored);
    assert_eq!(resumed.resume_from() % (64 * 1024), 0);
    assert_eq!(
        resumed.prefix_blake3(),
        common::hex(&bytes[..resumed.resume_from() as usize])
    );
    assert!(!tree.root_dir().join("big.bin").exists());
}

#[test]
fn a_put_that_fills_the_disk_leaves_nothing_behind() {
    let tree = Tree::new("disk-full-put");
    let _disk = SmallDisk::mount(tree.root_dir());
    let root = tree.open(RootConfig::default());
    let bytes = pattern(2 * 1024 * 1024, 2);
    let mut put = root.begin_put("p.bin", None).unwrap();
    let err = bytes
        .chunks(64 * 1024)
        .find_map(|chunk| put.write(chunk).err());
    assert!(matches!(err, Some(FilesError::DiskFull { .. })), "{err:?}");
    drop(put);
    assert!(
        tree.partial_names().is_empty(),
        "{:?}",
        tree.partial_names()
    );
    assert!(!tree.root_dir().join("p.bin").exists());
}
