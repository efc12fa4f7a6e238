//! Replays every fuzz target's corpus (`fuzz/corpus/<target>/`) on stable, through the same
//! function the cargo-fuzz target runs (`ferry_http::fuzzing`): an input the fuzzer once found
//! interesting keeps being checked by every CI run, with no nightly toolchain and no libFuzzer.

use std::{
    fs,
    panic::{self, AssertUnwindSafe},
    path::{Path, PathBuf},
};

use ferry_http::fuzzing::TARGETS;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

/// The files of one target's corpus; fails when the folder is missing or empty.
fn corpus(target: &str) -> Vec<PathBuf> {
    let folder = fuzz_dir().join("corpus").join(target);
    let entries = fs::read_dir(&folder)
        .unwrap_or_else(|err| panic!("{}: {err} (fuzz/seeds.py writes it)", folder.display()));
    let files: Vec<PathBuf> = entries
        .map(|entry| entry.expect("a corpus entry").path())
        .filter(|path| path.is_file())
        .collect();
    assert!(!files.is_empty(), "{} is empty", folder.display());
    files
}

#[test]
fn every_corpus_input_passes_its_target() {
    let mut failed = Vec::new();
    let mut replayed = 0;
    for (target, body) in TARGETS {
        for file in corpus(target) {
            let input = fs::read(&file).expect("a readable corpus file");
            if panic::catch_unwind(AssertUnwindSafe(|| body(&input))).is_err() {
                failed.push(file.display().to_string());
            }
            replayed += 1;
        }
    }
    assert!(
        failed.is_empty(),
        "{} inputs failed: {failed:#?}",
        failed.len()
    );
    assert!(replayed >= 9 * 4, "only {replayed} inputs replayed");
}

#[test]
fn every_target_has_a_corpus_a_fuzz_binary_and_no_body_of_its_own() {
    let manifest = fs::read_to_string(fuzz_dir().join("Cargo.toml")).expect("fuzz/Cargo.toml");
    for (target, _) in TARGETS {
        let source = fuzz_dir().join(format!("fuzz_targets/{target}.rs"));
        let source =
            fs::read_to_string(&source).unwrap_or_else(|err| panic!("{}: {err}", source.display()));
        let call = format!("ferry_http::fuzzing::{target}(data)");
        assert!(
            source.contains(&call),
            "fuzz_targets/{target}.rs does not call {call}"
        );
        let bin = format!("name = \"{target}\"\npath = \"fuzz_targets/{target}.rs\"");
        assert!(
            manifest.contains(&bin),
            "fuzz/Cargo.toml has no [[bin]] {target}"
        );
        corpus(target);
    }
    let folders = fs::read_dir(fuzz_dir().join("corpus")).expect("fuzz/corpus");
    for folder in folders {
        let name = folder.expect("a corpus folder").file_name();
        let name = name.to_string_lossy();
        assert!(
            TARGETS.iter().any(|(target, _)| *target == name),
            "fuzz/corpus/{name} belongs to no target"
        );
    }
}
