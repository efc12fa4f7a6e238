//! `ferry serve --files DIR` from the real binary: the store over HTTP, driven by curl, and
//! the native transfer, driven by real `ferry put` / `ferry get` processes, killed and
//! restarted on either side.

mod common;

use std::{
    fs,
    os::unix::fs::symlink,
    path::{Path, PathBuf},
    process::{Child, Command, Output, Stdio},
    time::{Duration, Instant, SystemTime},
};

use serde_json::Value;

use common::{ferry, stderr, stdout, Served, FERRY};

fn curl(args: &[&str]) -> String {
    let output = Command::new("curl")
        .args(["-sS", "--max-time", "30"])
        .args(args)
        .output()
        .unwrap_or_else(|err| panic!("curl is required: cannot run curl ({err})"));
    assert!(output.status.success(), "curl {args:?} failed: {output:?}");
    String::from_utf8(output.stdout).expect("UTF-8 output")
}

#[test]
fn serve_files_takes_a_put_and_serves_it_back() {
    let base = std::env::temp_dir().join(format!("ferry-cli-files-{}", std::process::id()));
    let _ = fs::remove_dir_all(&base);
    fs::create_dir_all(&base).unwrap();
    let store = base.join("store");
    let local = base.join("local.txt");
    fs::write(&local, b"carried by ferry\n").unwrap();
    let served = Served::tcp_with(&["--files", store.to_str().unwrap(), "--files-max-size", "1K"]);
    let url = format!("http://{}/files/docs/note.txt", served.address);

    let answer = curl(&["-T", local.to_str().unwrap(), &url]);
    assert!(answer.contains("\"bytes\":17"), "{answer}");
    assert_eq!(
        fs::read(store.join("docs/note.txt")).unwrap(),
        b"carried by ferry\n"
    );
    assert_eq!(curl(&[&url]), "carried by ferry\n");

    fs::write(&local, vec![b'x'; 1025]).unwrap();
    let big = format!("http://{}/files/big.bin", served.address);
    let code = curl(&[
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "-T",
        local.to_str().unwrap(),
        &big,
    ]);
    assert_eq!(code, "413", "--files-max-size 1K is 1024 bytes");
    assert!(!store.join("big.bin").exists());
    drop(served);
    let _ = fs::remove_dir_all(&base);
}

#[test]
fn a_max_size_without_a_store_or_with_a_bad_unit_is_refused() {
    let alone = ferry(&["serve", "--files-max-size", "1G"]);
    assert!(!alone.status.success());
    assert!(stderr(&alone).contains("--files"), "{}", stderr(&alone));
    let bad = ferry(&["serve", "--files", "/tmp", "--files-max-size", "12Q"]);
    assert!(!bad.status.success());
    assert!(
        stderr(&bad).contains("the unit must be"),
        "{}",
        stderr(&bad)
    );
}

/// A test's own directory: the store `DIR` (`store/`), local files beside it; removed at the
/// end.
struct Place {
    base: PathBuf,
}

impl Place {
    fn new(name: &str) -> Place {
        let base = std::env::temp_dir().join(format!("ferry-cli-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&base);
        fs::create_dir_all(base.join("local")).unwrap();
        Place { base }
    }

    fn store(&self) -> PathBuf {
        self.base.join("store")
    }

    fn local(&self, name: &str) -> PathBuf {
        self.base.join("local").join(name)
    }

    /// `ferry serve --files DIR` with a small fsync granularity, so a crash costs little.
    fn serve(&self) -> Served {
        self.serve_fsyncing_every("64K")
    }

    fn serve_fsyncing_every(&self, bytes: &str) -> Served {
        let store = self.store();
        Served::tcp_with(&["--files", s(&store), "--files-fsync-every", bytes])
    }

    /// The data file of the one resumable upload in progress under `.partial/`, if any.
    fn partial_data(&self) -> Option<PathBuf> {
        let entries = fs::read_dir(self.store().join(".partial")).ok()?;
        entries
            .map(|entry| entry.unwrap().path())
            .find(|path| path.extension().is_some_and(|ext| ext == "data"))
    }
}

impl Drop for Place {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.base);
    }
}

fn s(path: &Path) -> &str {
    path.to_str().expect("test paths are UTF-8")
}

/// `len` bytes that look random and differ by `seed`: BLAKE3's extendable output.
fn random_bytes(len: usize, seed: &str) -> Vec<u8> {
    let mut bytes = vec![0u8; len];
    blake3::Hasher::new()
        .update(seed.as_bytes())
        .finalize_xof()
        .fill(&mut bytes);
    bytes
}

fn blake3_hex(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}

/// The JSON report of a transfer that must have succeeded.
fn report(output: &Output) -> Value {
    assert!(
        output.status.success(),
        "the transfer failed: {}",
        stderr(output)
    );
    let text = stdout(output);
    assert_eq!(text.lines().count(), 1, "exactly one JSON object: {text:?}");
    serde_json::from_str(&text).unwrap_or_else(|err| panic!("not JSON ({err}): {text:?}"))
}

/// A transfer refused with exit code 2 and a one-line reason naming `status`.
fn refused(output: &Output, status: &str) -> String {
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let reason = stderr(output);
    assert!(reason.contains(status), "{reason}");
    assert_eq!(reason.trim_end().lines().count(), 1, "{reason}");
    reason
}

/// Waits until `done` holds; a hang guard fails the test after a minute.
fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let guard = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(Instant::now() < guard, "still waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn len_of(path: &Path) -> u64 {
    fs::metadata(path).map_or(0, |metadata| metadata.len())
}

/// Starts `ferry put ADDR LOCAL REMOTE --limit-rate 2M` and waits until the store holds more
/// than `past` bytes of it.
fn slow_put(place: &Place, served: &Served, local: &Path, remote: &str, past: u64) -> Child {
    let child = Command::new(FERRY)
        .args([
            "put",
            &served.address,
            s(local),
            remote,
            "--limit-rate",
            "2M",
            "--json",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("ferry put starts");
    wait_until("the upload to pass its threshold", || {
        place
            .partial_data()
            .is_some_and(|data| len_of(&data) > past)
    });
    child
}

/// Kills a `ferry put` with SIGKILL, then waits until the server has let go of the partial
/// (its lock is free), and returns how many bytes the server holds.
fn kill_put(place: &Place, mut put: Child) -> u64 {
    put.kill().expect("ferry put can be killed");
    put.wait().expect("the killed put is reaped");
    let data = place.partial_data().expect("a partial upload");
    wait_until("the server to let go of the partial", || {
        let probe = Command::new("flock")
            .args(["--nonblock", s(&data), "true"])
            .status();
        probe
            .expect("flock(1) is required to see the partial's lock")
            .success()
    });
    len_of(&data)
}

fn put_json(served: &Served, local: &Path, remote: &str) -> Output {
    ferry(&["put", &served.address, s(local), remote, "--json"])
}

#[test]
fn a_put_and_a_get_move_a_file_whole_and_verified() {
    let place = Place::new("roundtrip");
    let served = place.serve();
    let bytes = random_bytes(6 << 20 | 12345, "roundtrip");
    let local = place.local("big.bin");
    fs::write(&local, &bytes).unwrap();

    let sent = report(&put_json(&served, &local, "docs/big.bin"));
    assert_eq!(sent["path"], "docs/big.bin");
    assert_eq!(sent["bytes"], bytes.len() as u64);
    assert_eq!(sent["blake3"], blake3_hex(&bytes));
    assert_eq!(sent["resumed_from"], 0);
    assert!(sent["seconds"]
        .as_f64()
        .is_some_and(|seconds| seconds > 0.0));
    assert!(fs::read(place.store().join("docs/big.bin")).unwrap() == bytes);
    assert!(
        place.partial_data().is_none(),
        "nothing left under .partial"
    );

    let fetched_path = place.local("fetched.bin");
    let output = ferry(&[
        "get",
        &served.address,
        "docs/big.bin",
        s(&fetched_path),
        "--json",
    ]);
    let fetched = report(&output);
    assert_eq!(fetched["path"], s(&fetched_path));
    assert_eq!(fetched["blake3"], blake3_hex(&bytes));
    assert_eq!(fetched["resumed_from"], 0);
    assert!(fs::read(&fetched_path).unwrap() == bytes);
    assert!(!place.local("fetched.bin.part").exists());

    // Without --json, one line for a person; LOCAL defaults to REMOTE's last component.
    let into_dir = ferry(&["get", &served.address, "docs/big.bin", s(&place.local(""))]);
    assert!(into_dir.status.success(), "{}", stderr(&into_dir));
    let line = stdout(&into_dir);
    assert!(
        line.starts_with("fetched ") && line.contains(&blake3_hex(&bytes)),
        "{line}"
    );
    assert_eq!(line.lines().count(), 1, "{line}");
    assert!(fs::read(place.local("big.bin")).unwrap() == bytes);
}

#[test]
fn a_killed_put_resumes_from_every_byte_the_server_received() {
    let place = Place::new("kill-put");
    // No fsync falls due within the file: all the resume has is what the server saved when
    // its sender vanished.
    let served = place.serve_fsyncing_every("64M");
    let bytes = random_bytes(12 << 20, "kill-put");
    let local = place.local("big.bin");
    fs::write(&local, &bytes).unwrap();

    let put = slow_put(&place, &served, &local, "big.bin", 1 << 20);
    let held = kill_put(&place, put);
    assert!(held > 1 << 20 && held < bytes.len() as u64, "{held}");

    let resumed = report(&put_json(&served, &local, "big.bin"));
    assert_eq!(
        resumed["resumed_from"], held,
        "the server saved what it received when the sender vanished"
    );
    assert_eq!(resumed["blake3"], blake3_hex(&bytes));
    assert!(fs::read(place.store().join("big.bin")).unwrap() == bytes);
}

#[test]
fn a_put_resumes_after_the_server_is_killed_and_restarted() {
    let place = Place::new("kill-server");
    let served = place.serve();
    let bytes = random_bytes(12 << 20, "kill-server");
    let local = place.local("big.bin");
    fs::write(&local, &bytes).unwrap();

    let mut put = slow_put(&place, &served, &local, "big.bin", 1 << 20);
    served.kill();
    let status = put.wait().expect("the put ends");
    assert_eq!(status.code(), Some(2), "a lost server fails the put");
    let held = len_of(&place.partial_data().expect("a partial upload"));

    let served = place.serve();
    let resumed = report(&put_json(&served, &local, "big.bin"));
    let resumed_from = resumed["resumed_from"].as_u64().unwrap();
    // What was not fsynced is sent again: at most --files-fsync-every (64 KiB) plus the one
    // chunk being written when the server died.
    assert!(
        resumed_from > 0 && resumed_from <= held,
        "{resumed_from} of {held}"
    );
    assert!(
        held - resumed_from <= (64 << 10) + ferry_files::CHUNK as u64,
        "{resumed_from} of {held}"
    );
    assert_eq!(resumed["blake3"], blake3_hex(&bytes));
    assert!(fs::read(place.store().join("big.bin")).unwrap() == bytes);
}

#[test]
fn a_changed_source_or_a_damaged_partial_starts_again_from_zero() {
    let place = Place::new("changed");
    let served = place.serve();
    let mut bytes = random_bytes(8 << 20, "changed");
    let local = place.local("big.bin");
    fs::write(&local, &bytes).unwrap();

    // Touched: another modification time is another source.
    let held = kill_put(&place, slow_put(&place, &served, &local, "a.bin", 1 << 20));
    assert!(held > 0);
    let file = fs::File::options().write(true).open(&local).unwrap();
    file.set_modified(SystemTime::now() + Duration::from_secs(10))
        .unwrap();
    let again = report(&put_json(&served, &local, "a.bin"));
    assert_eq!(again["resumed_from"], 0);
    assert!(fs::read(place.store().join("a.bin")).unwrap() == bytes);

    // Modified past the part sent, then given its old time back: the hash tells them apart.
    let mtime = fs::metadata(&local).unwrap().modified().unwrap();
    kill_put(&place, slow_put(&place, &served, &local, "b.bin", 1 << 20));
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    fs::write(&local, &bytes).unwrap();
    let file = fs::File::options().write(true).open(&local).unwrap();
    file.set_modified(mtime).unwrap();
    let again = report(&put_json(&served, &local, "b.bin"));
    assert_eq!(again["resumed_from"], 0);
    assert_eq!(again["blake3"], blake3_hex(&bytes));
    assert!(fs::read(place.store().join("b.bin")).unwrap() == bytes);

    // The same source, but the stored prefix damaged on the server's disk: the offer's prefix
    // hash differs from the sender's, which restarts inside the call.
    kill_put(&place, slow_put(&place, &served, &local, "c.bin", 1 << 20));
    let data = place.partial_data().unwrap();
    let mut stored = fs::read(&data).unwrap();
    stored[0] ^= 0xff;
    fs::write(&data, &stored).unwrap();
    let again = report(&put_json(&served, &local, "c.bin"));
    assert_eq!(again["resumed_from"], 0);
    assert!(fs::read(place.store().join("c.bin")).unwrap() == bytes);
}

#[test]
fn a_get_resumes_from_a_matching_part_and_restarts_a_wrong_one() {
    let place = Place::new("get-part");
    let served = place.serve();
    let bytes = random_bytes(5 << 20, "get-part");
    fs::create_dir_all(place.store()).unwrap();
    fs::write(place.store().join("big.bin"), &bytes).unwrap();
    let local = place.local("big.bin");
    let part = place.local("big.bin.part");
    let get = || ferry(&["get", &served.address, "big.bin", s(&local), "--json"]);

    let held = (3 << 20) + 5;
    fs::write(&part, &bytes[..held]).unwrap();
    let resumed = report(&get());
    assert_eq!(resumed["resumed_from"], held as u64);
    assert_eq!(resumed["blake3"], blake3_hex(&bytes));
    assert!(fs::read(&local).unwrap() == bytes);
    assert!(!part.exists());

    for wrong in [
        random_bytes(1 << 20, "wrong"),
        random_bytes(6 << 20, "longer"),
    ] {
        fs::remove_file(&local).unwrap();
        fs::write(&part, &wrong).unwrap();
        let restarted = report(&get());
        assert_eq!(restarted["resumed_from"], 0);
        assert!(fs::read(&local).unwrap() == bytes);
        assert!(!part.exists());
    }
}

#[test]
fn the_native_service_refuses_every_way_out_of_its_store() {
    let place = Place::new("escape");
    let served = place.serve();
    let local = place.local("x");
    fs::write(&local, b"should stay here").unwrap();
    let outside = place.base.join("outside");
    fs::create_dir_all(&outside).unwrap();
    fs::write(outside.join("secret"), b"not for the store").unwrap();
    fs::create_dir_all(place.store()).unwrap();
    symlink(outside.join("secret"), place.store().join("link")).unwrap();
    symlink(&outside, place.store().join("dir-link")).unwrap();
    let absolute = format!("/etc/ferry-escape-{}", std::process::id());

    for remote in ["../x", absolute.as_str(), "dir-link/x", "link"] {
        let output = ferry(&["put", &served.address, s(&local), remote]);
        refused(&output, "permission_denied");
    }
    assert!(!place.base.join("x").exists());
    assert!(!Path::new(&absolute).exists());
    assert_eq!(
        fs::read_dir(&outside).unwrap().count(),
        1,
        "only the secret"
    );
    assert_eq!(
        fs::read(outside.join("secret")).unwrap(),
        b"not for the store"
    );

    let fetched = place.local("fetched");
    for remote in ["link", "dir-link/secret", "../outside/secret"] {
        let output = ferry(&["get", &served.address, remote, s(&fetched)]);
        refused(&output, "permission_denied");
        assert!(!fetched.exists() && !place.local("fetched.part").exists());
    }
}

#[test]
fn a_get_of_a_missing_file_is_not_found_and_writes_nothing() {
    let place = Place::new("missing");
    let served = place.serve();
    let local = place.local("nope.bin");
    let output = ferry(&["get", &served.address, "docs/nope.bin", s(&local)]);
    let reason = refused(&output, "not_found");
    assert!(reason.contains("docs/nope.bin"), "{reason}");
    assert!(!local.exists() && !place.local("nope.bin.part").exists());
}
