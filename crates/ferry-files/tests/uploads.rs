//! Resumable, verified, atomic uploads on the real file system: resume after a drop and after
//! a crash, a changed source, a wrong hash, two uploads at once, and the size limit.

mod common;

use std::{fs, io::Write, os::unix::fs::FileExt};

use common::{hex, pattern, source_of, Tree};
use ferry_files::{FilesError, Root, RootConfig, Source};
use ferry_wire::Status;

/// Small enough for tests to cross several fsyncs with little data.
const FSYNC_EVERY: u64 = 64 * 1024;

const CHUNK: usize = 16 * 1024;

fn config() -> RootConfig {
    RootConfig::default().fsync_every(FSYNC_EVERY)
}

/// Writes `bytes[from..to]` in [`CHUNK`]-byte writes.
fn send(upload: &mut ferry_files::Upload, bytes: &[u8], from: usize, to: usize) {
    for chunk in bytes[from..to].chunks(CHUNK) {
        upload.write(chunk).expect("write a chunk");
    }
}

fn landed_bytes(tree: &Tree, path: &str) -> Vec<u8> {
    fs::read(tree.root_dir().join(path)).expect("the landed file")
}

#[test]
fn an_upload_dropped_midway_resumes_from_its_last_fsync() {
    let tree = Tree::new("resume-drop");
    let root = tree.open(config());
    let bytes = pattern(300 * 1024, 1);
    let source = source_of(&bytes, 1_700_000_000_000_000_000);

    let mut first = root.begin_upload("dir/big.bin", source.clone()).unwrap();
    assert_eq!(
        (first.resume_from(), first.prefix_blake3()),
        (0, hex(b"").as_str())
    );
    send(&mut first, &bytes, 0, 13 * CHUNK);
    assert_eq!(first.written(), 13 * CHUNK as u64);
    drop(first);

    let mut second = root.begin_upload("dir/big.bin", source).unwrap();
    let durable = 12 * CHUNK;
    assert_eq!(
        second.resume_from(),
        durable as u64,
        "the last fsync was at 3 × 64 KiB"
    );
    assert_eq!(second.prefix_blake3(), hex(&bytes[..durable]));
    send(&mut second, &bytes, durable, bytes.len());
    let landed = second.finish().unwrap();
    assert_eq!((landed.bytes, landed.replaced), (bytes.len() as u64, false));
    assert_eq!(landed.blake3, hex(&bytes));
    assert_eq!(landed_bytes(&tree, "dir/big.bin"), bytes);
    assert!(
        tree.partial_names().is_empty(),
        "{:?}",
        tree.partial_names()
    );
}

/// A server whose sender went away saves what arrived: the next upload resends none of it,
/// where a plain drop would resend everything since the last fsync.
#[test]
fn a_saved_upload_resumes_from_every_byte_written() {
    let tree = Tree::new("resume-save");
    let root = tree.open(config());
    let bytes = pattern(300 * 1024, 2);
    let source = source_of(&bytes, 1_700_000_000_000_000_000);

    let mut first = root.begin_upload("saved.bin", source.clone()).unwrap();
    let cut = 13 * CHUNK + 100;
    send(&mut first, &bytes, 0, cut);
    first.save().unwrap();
    drop(first);

    let mut second = root.begin_upload("saved.bin", source).unwrap();
    assert_eq!(
        second.resume_from(),
        cut as u64,
        "past the last fsync, at 3 × 64 KiB"
    );
    assert_eq!(second.prefix_blake3(), hex(&bytes[..cut]));
    send(&mut second, &bytes, cut, bytes.len());
    assert_eq!(second.finish().unwrap().blake3, hex(&bytes));
    assert_eq!(landed_bytes(&tree, "saved.bin"), bytes);
}

/// A crash leaves the data file longer than its record says is durable (the page cache had
/// more, or garbage): the resume cuts it back to what was recorded.
#[test]
fn after_a_crash_the_unsynced_tail_is_cut_off() {
    let tree = Tree::new("resume-crash");
    let root = tree.open(config());
    let bytes = pattern(200 * 1024, 2);
    let source = source_of(&bytes, 5);
    let mut upload = root.begin_upload("crash.bin", source.clone()).unwrap();
    send(&mut upload, &bytes, 0, 100 * 1024);
    drop(upload);
    let data = tree
        .partial_names()
        .into_iter()
        .find(|name| name.ends_with(".data"))
        .expect("the partial data file");
    let data = tree.root_dir().join(".partial").join(data);
    let mut partial = fs::OpenOptions::new().append(true).open(&data).unwrap();
    partial.write_all(&[0xEE; 5000]).unwrap();
    drop(partial);

    // Checkpoints come every half FSYNC_EVERY: the last one before 100 KiB is at 96 KiB.
    let durable = 100 * 1024 / (FSYNC_EVERY / 2) * (FSYNC_EVERY / 2);
    let mut resumed = root.begin_upload("crash.bin", source).unwrap();
    assert_eq!(resumed.resume_from(), durable);
    assert_eq!(fs::metadata(&data).unwrap().len(), durable);
    send(&mut resumed, &bytes, durable as usize, bytes.len());
    assert_eq!(resumed.finish().unwrap().blake3, hex(&bytes));
    assert_eq!(landed_bytes(&tree, "crash.bin"), bytes);
}

#[test]
fn a_changed_source_starts_again_from_zero() {
    let tree = Tree::new("changed");
    let root = tree.open(config());
    let old = pattern(150 * 1024, 3);
    let mut upload = root.begin_upload("f.bin", source_of(&old, 10)).unwrap();
    send(&mut upload, &old, 0, old.len() - 1);
    drop(upload);

    let touched = source_of(&old, 11);
    let upload = root.begin_upload("f.bin", touched).unwrap();
    assert_eq!(upload.resume_from(), 0, "another modification time");
    drop(upload);

    let new = pattern(150 * 1024, 4);
    let mut upload = root.begin_upload("f.bin", source_of(&new, 11)).unwrap();
    assert_eq!(upload.resume_from(), 0, "another hash");
    send(&mut upload, &new, 0, new.len());
    upload.finish().unwrap();
    assert_eq!(landed_bytes(&tree, "f.bin"), new);
}

#[test]
fn a_sender_whose_prefix_differs_restarts() {
    let tree = Tree::new("restart");
    let root = tree.open(config());
    let bytes = pattern(100 * 1024, 5);
    let source = source_of(&bytes, 1);
    let mut upload = root.begin_upload("r.bin", source.clone()).unwrap();
    send(&mut upload, &bytes, 0, 80 * 1024);
    drop(upload);
    // Someone scribbled on the partial: its prefix no longer hashes like the sender's.
    let data = tree
        .partial_names()
        .into_iter()
        .find(|n| n.ends_with(".data"))
        .unwrap();
    let file = fs::OpenOptions::new()
        .write(true)
        .open(tree.root_dir().join(".partial").join(data))
        .unwrap();
    file.write_all_at(b"XX", 10).unwrap();

    let mut upload = root.begin_upload("r.bin", source).unwrap();
    assert_eq!(upload.resume_from(), FSYNC_EVERY);
    assert_ne!(upload.prefix_blake3(), hex(&bytes[..FSYNC_EVERY as usize]));
    upload.restart().unwrap();
    assert_eq!((upload.resume_from(), upload.written()), (0, 0));
    send(&mut upload, &bytes, 0, bytes.len());
    upload.finish().unwrap();
    assert_eq!(landed_bytes(&tree, "r.bin"), bytes);
}

#[test]
fn a_hash_mismatch_lands_nothing_and_the_retry_starts_clean() {
    let tree = Tree::new("mismatch");
    tree.put_file("m.bin", b"the old file");
    let root = tree.open(config());
    let bytes = pattern(90 * 1024, 6);
    let lie = Source {
        blake3: hex(b"something else"),
        ..source_of(&bytes, 1)
    };
    let mut upload = root.begin_upload("m.bin", lie.clone()).unwrap();
    send(&mut upload, &bytes, 0, bytes.len());
    let err = upload.finish().unwrap_err();
    assert!(matches!(err, FilesError::HashMismatch { .. }), "{err:?}");
    assert_eq!(err.status(), Status::InvalidArgs);
    let message = err.to_string();
    assert!(
        message.contains(&hex(&bytes)) && message.contains(&lie.blake3),
        "{message}"
    );
    assert_eq!(landed_bytes(&tree, "m.bin"), b"the old file");
    assert!(
        tree.partial_names().is_empty(),
        "{:?}",
        tree.partial_names()
    );
    assert_eq!(root.begin_upload("m.bin", lie).unwrap().resume_from(), 0);

    let mut put = root.begin_put("p.bin", Some(&hex(b"other"))).unwrap();
    put.write(&bytes).unwrap();
    assert!(matches!(put.finish(), Err(FilesError::HashMismatch { .. })));
    assert!(!tree.root_dir().join("p.bin").exists());
}

#[test]
fn of_two_live_uploads_the_first_holds_the_path_until_it_is_dropped() {
    let tree = Tree::new("busy");
    let root = tree.open(config());
    let bytes = pattern(100 * 1024, 7);
    let source = source_of(&bytes, 1);
    let mut first = root.begin_upload("same.bin", source.clone()).unwrap();
    send(&mut first, &bytes, 0, 70 * 1024);

    let busy = root.begin_upload("same.bin", source.clone()).unwrap_err();
    assert!(matches!(busy, FilesError::Busy { .. }), "{busy:?}");
    assert_eq!(busy.status(), Status::Overloaded);
    assert_eq!(
        busy.to_string(),
        "another upload to \"same.bin\" is in progress; retry when it ends"
    );
    // Another thread, as another connection's upload would be.
    let clone = root.clone();
    let from_thread = std::thread::spawn(move || clone.begin_upload("same.bin", source.clone()));
    assert!(matches!(
        from_thread.join().unwrap(),
        Err(FilesError::Busy { .. })
    ));

    drop(first);
    let mut second = root.begin_upload("same.bin", source_of(&bytes, 1)).unwrap();
    assert_eq!(second.resume_from(), FSYNC_EVERY);
    send(&mut second, &bytes, FSYNC_EVERY as usize, bytes.len());
    second.finish().unwrap();
    assert_eq!(landed_bytes(&tree, "same.bin"), bytes);
}

#[test]
fn the_first_of_two_finishers_lands_and_the_waiting_one_then_starts_afresh() {
    let tree = Tree::new("takeover");
    let root = tree.open(config());
    let bytes = pattern(10 * 1024, 8);
    let mut first = root.begin_upload("t.bin", source_of(&bytes, 1)).unwrap();
    first.write(&bytes).unwrap();
    assert!(root.begin_upload("t.bin", source_of(&bytes, 1)).is_err());
    first.finish().unwrap();
    let again = root.begin_upload("t.bin", source_of(&bytes, 1)).unwrap();
    assert_eq!(
        again.resume_from(),
        0,
        "the landed file is not a partial to resume"
    );
    drop(again);
    assert_eq!(landed_bytes(&tree, "t.bin"), bytes);
}

#[test]
fn the_size_limit_refuses_declared_and_streamed_excess() {
    let tree = Tree::new("limit");
    let root = tree.open(config().max_file_size(1000));
    let too_big = pattern(1001, 9);
    let err = root
        .begin_upload("big", source_of(&too_big, 1))
        .unwrap_err();
    assert!(
        matches!(
            err,
            FilesError::TooLarge {
                size: 1001,
                max: 1000,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.status(), Status::TooLarge);

    let mut put = root.begin_put("big", None).unwrap();
    put.write(&too_big[..1000]).unwrap();
    let err = put.write(&too_big[1000..]).unwrap_err();
    assert!(matches!(err, FilesError::TooLarge { .. }), "{err:?}");
    drop(put);
    assert!(!tree.root_dir().join("big").exists());
    assert!(
        tree.partial_names().is_empty(),
        "{:?}",
        tree.partial_names()
    );
}

#[test]
fn bytes_beyond_or_short_of_the_declared_size_are_refused() {
    let tree = Tree::new("declared");
    let root = tree.open(config());
    let bytes = pattern(100, 10);
    let mut upload = root.begin_upload("d.bin", source_of(&bytes, 1)).unwrap();
    upload.write(&bytes[..60]).unwrap();
    assert!(matches!(
        upload.write(&bytes[..41]),
        Err(FilesError::BeyondSize { size: 100, .. })
    ));
    let err = upload.finish().unwrap_err();
    assert!(
        matches!(
            err,
            FilesError::Incomplete {
                written: 60,
                size: 100,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(!tree.root_dir().join("d.bin").exists());
}

#[test]
fn a_put_replaces_a_file_whole_and_reports_its_hash() {
    let tree = Tree::new("put");
    tree.put_file("a/b/c.txt", b"old");
    let root = tree.open(config());
    let bytes = pattern(200 * 1024, 11);
    let mut put = root.begin_put("a/b/c.txt", None).unwrap();
    send(&mut put, &bytes, 0, bytes.len());
    assert_eq!(
        landed_bytes(&tree, "a/b/c.txt"),
        b"old",
        "nothing shows before finish"
    );
    let landed = put.finish().unwrap();
    assert_eq!((landed.blake3, landed.replaced), (hex(&bytes), true));
    assert_eq!(landed_bytes(&tree, "a/b/c.txt"), bytes);

    let mut new = root
        .begin_put("new/deep/dir/file", Some(&hex(b"x").to_uppercase()))
        .unwrap();
    new.write(b"x").unwrap();
    assert!(!new.finish().unwrap().replaced);
    assert!(matches!(
        root.begin_put("a/b", None),
        Err(FilesError::WrongKind { .. })
    ));
    assert!(matches!(
        root.begin_put("", None),
        Err(FilesError::WrongKind { .. })
    ));
    assert!(matches!(
        root.begin_put("x", Some("not-a-hash")),
        Err(FilesError::BadHash { .. })
    ));
}

#[test]
fn a_put_abandoned_by_a_crash_is_removed_when_the_store_reopens() {
    let tree = Tree::new("abandoned");
    let root = tree.open(config());
    let mut put = root.begin_put("p", None).unwrap();
    put.write(b"partial").unwrap();
    // A crash: the partial stays, its lock goes with the process.
    std::mem::forget(put);
    drop(root);
    assert_eq!(tree.partial_names().len(), 1);
    // The forgotten upload's descriptor still holds the lock in this process; a crashed
    // process holds none, which is what a fresh copy of the file stands for here.
    let name = tree.partial_names().remove(0);
    let partial = tree.root_dir().join(".partial");
    fs::copy(partial.join(&name), partial.join("copy")).unwrap();
    fs::remove_file(partial.join(&name)).unwrap();
    fs::rename(partial.join("copy"), partial.join(&name)).unwrap();
    let _reopened = tree.open(config());
    assert!(
        tree.partial_names().is_empty(),
        "{:?}",
        tree.partial_names()
    );
}

#[test]
fn stat_and_prefix_hash_describe_files_by_their_bytes() {
    let tree = Tree::new("stat");
    let bytes = pattern(3 * 1024 * 1024 + 17, 12);
    tree.put_file("s/file.bin", &bytes);
    let root = tree.open(config());
    let info = root.stat("s/file.bin").unwrap();
    assert_eq!(
        (info.path.as_str(), info.size, info.is_dir),
        ("s/file.bin", bytes.len() as u64, false)
    );
    assert_eq!(info.blake3, Some(hex(&bytes)));
    assert!(info.modified_ns > 1_600_000_000_000_000_000);
    assert_eq!(
        root.stat("s/file.bin").unwrap(),
        info,
        "the cached hash is the same"
    );
    fs::write(tree.root_dir().join("s/file.bin"), b"changed").unwrap();
    assert_eq!(
        root.stat("s/file.bin").unwrap().blake3,
        Some(hex(b"changed"))
    );

    let dir = root.stat("s").unwrap();
    assert!(dir.is_dir && dir.blake3.is_none());
    assert!(root.stat("").unwrap().is_dir);
    assert_eq!(root.prefix_hash("s/file.bin", 3).unwrap(), hex(b"cha"));
    assert!(matches!(
        root.prefix_hash("s/file.bin", 8),
        Err(FilesError::BeyondEnd { .. })
    ));
    let missing = root.stat("s/nope").unwrap_err();
    assert_eq!(missing.status(), Status::NotFound);
    assert!(matches!(
        root.open_read("s"),
        Err(FilesError::WrongKind { .. })
    ));
}

#[test]
fn a_download_reads_at_any_offset() {
    let tree = Tree::new("download");
    let bytes = pattern(100_000, 13);
    tree.put_file("d.bin", &bytes);
    let root = tree.open(config());
    let download = root.open_read("d.bin").unwrap();
    assert_eq!(download.info.blake3, Some(hex(&bytes)));
    let mut buf = vec![0u8; 1000];
    assert_eq!(download.read_at(99_500, &mut buf).unwrap(), 500);
    assert_eq!(&buf[..500], &bytes[99_500..]);
    assert_eq!(download.read_at(100_000, &mut buf).unwrap(), 0);
}

#[test]
fn the_store_is_shared_across_threads() {
    fn shared<T: Send + Sync + Clone>() {}
    fn sent<T: Send>() {}
    shared::<Root>();
    sent::<ferry_files::Upload>();
    sent::<ferry_files::Download>();
}
