//! `ferry serve --files DIR`: the store over HTTP from the real binary, driven by curl.

mod common;

use std::{fs, process::Command};

use common::{ferry, stderr, Served};

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
