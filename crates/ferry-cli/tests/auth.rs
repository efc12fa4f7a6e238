//! `ferry serve --auth-tokens` end to end, and the `--token` / `FERRY_TOKEN` of every command
//! that calls a server: over the native protocol, over JSON-RPC and XML-RPC to http:// URLs,
//! and a malformed token file refusing the start with its line number.

mod common;

use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
};

use common::{stderr, stdout, Served, FERRY};
use serde_json::Value;

const TOKENS: &str = "\
# the CLI test's tokens
t-ops    ops
t-alice  alice  calc.* echo.*
t-bob    bob    calc.add
";

/// A fresh directory for one test's files.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ferry-cli-auth-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `ferry serve` with `tokens` as its token file, and more flags.
fn serve(dir: &Path, tokens: &str, more: &[&str]) -> Served {
    let file = dir.join("tokens");
    std::fs::write(&file, tokens).unwrap();
    Served::tcp_with(&[&["--auth-tokens", file.to_str().unwrap()], more].concat())
}

/// `ferry ARGS...` with `FERRY_TOKEN` set to `env` (unset with `None`, whatever the test's
/// own environment holds).
fn ferry(env: Option<&str>, args: &[&str]) -> Output {
    let mut command = Command::new(FERRY);
    command.args(args);
    match env {
        Some(token) => command.env("FERRY_TOKEN", token),
        None => command.env_remove("FERRY_TOKEN"),
    };
    command.output().expect("ferry runs")
}

/// Asserts `output` failed with exit 2 and `status` on stderr.
fn refused(output: &Output, status: &str) {
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert!(stderr(output).contains(status), "{}", stderr(output));
}

#[test]
fn ferry_call_sends_the_token_of_the_flag_or_the_environment() {
    let dir = scratch("call");
    let served = serve(&dir, TOKENS, &[]);
    let address = served.address.as_str();
    let add = ["call", address, "calc.add", "1", "2"];
    refused(&ferry(None, &add), "unauthenticated");
    refused(
        &ferry(None, &[&add[..], &["--token", "t-guessed"]].concat()),
        "unauthenticated",
    );
    let ping = ["call", address, "echo.ping", "hi", "--token", "t-bob"];
    refused(&ferry(None, &ping), "permission_denied");
    let bob = ferry(None, &[&add[..], &["--token", "t-bob"]].concat());
    assert_eq!(
        (stdout(&bob).trim(), bob.status.code()),
        ("3", Some(0)),
        "{bob:?}"
    );
    let env = ferry(Some("t-alice"), &add);
    assert_eq!(stdout(&env).trim(), "3", "{env:?}");
    // The flag wins over the environment.
    let flag = ferry(
        Some("t-guessed"),
        &[&add[..], &["--token", "t-alice"]].concat(),
    );
    assert_eq!(stdout(&flag).trim(), "3", "{flag:?}");
    // The handler never sees the token.
    let whoami = ferry(Some("t-alice"), &["call", address, "echo.whoami"]);
    let seen: Value = serde_json::from_str(&stdout(&whoami)).expect("whoami answers JSON");
    assert_eq!(seen["metadata"], serde_json::json!({}), "{seen}");
    drop(served);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn ferry_call_over_http_sends_the_authorization_header() {
    let dir = scratch("http");
    let served = serve(&dir, TOKENS, &[]);
    for path in ["jsonrpc", "RPC2"] {
        let url = format!("http://{}/{path}", served.address);
        let add = ["call", url.as_str(), "calc.add", "1", "2"];
        refused(&ferry(None, &add), "unauthenticated");
        let ping = ["call", url.as_str(), "echo.ping", "hi"];
        refused(&ferry(Some("t-bob"), &ping), "permission_denied");
        let ok = ferry(Some("t-bob"), &add);
        assert_eq!(stdout(&ok).trim(), "3", "{path}: {ok:?}");
    }
    drop(served);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn list_bench_put_and_get_send_the_token() {
    let dir = scratch("others");
    let store = dir.join("store");
    let served = serve(&dir, TOKENS, &["--files", store.to_str().unwrap()]);
    let address = served.address.as_str();
    // Listing is every identity's, whatever its patterns, and nobody else's.
    refused(&ferry(None, &["list", address]), "unauthenticated");
    let listed = ferry(Some("t-bob"), &["list", address]);
    assert!(stdout(&listed).contains("add(a: "), "{listed:?}");
    let bench = |token| {
        let args = [
            "bench",
            address,
            "--method",
            "calc.add",
            "--args",
            r#"{"a": 1, "b": 2}"#,
        ];
        let timing = ["--duration", "0.3", "--warmup", "0", "--json"];
        let output = ferry(token, &[&args[..], &timing].concat());
        assert!(output.status.success(), "{output:?}");
        serde_json::from_str::<Value>(&stdout(&output)).expect("a JSON report")
    };
    let anonymous = bench(None);
    assert!(
        anonymous["errors"]["unauthenticated"].as_u64() > Some(0),
        "{anonymous}"
    );
    let bob = bench(Some("t-bob"));
    assert_eq!(bob["errors"], serde_json::json!({}), "{bob}");
    assert!(bob["calls"].as_u64() > Some(0), "{bob}");
    let local = dir.join("local.txt");
    std::fs::write(&local, b"moved with a token").unwrap();
    let put = ["put", address, local.to_str().unwrap(), "a.txt"];
    refused(&ferry(None, &put), "unauthenticated");
    refused(&ferry(Some("t-alice"), &put), "permission_denied");
    let landed = ferry(None, &[&put[..], &["--token", "t-ops"]].concat());
    assert!(landed.status.success(), "{landed:?}");
    let fetched = dir.join("fetched.txt");
    let get = ["get", address, "a.txt", fetched.to_str().unwrap()];
    refused(&ferry(None, &get), "unauthenticated");
    let got = ferry(Some("t-ops"), &get);
    assert!(got.status.success(), "{got:?}");
    assert_eq!(std::fs::read(&fetched).unwrap(), b"moved with a token");
    drop(served);
    std::fs::remove_dir_all(dir).unwrap();
}

/// `ferry serve --auth-tokens FILE` run to its (failing) end.
fn serve_failing(file: &Path) -> Output {
    let file = file.to_str().unwrap();
    ferry(
        None,
        &["serve", "--listen", "127.0.0.1:0", "--auth-tokens", file],
    )
}

#[test]
fn a_malformed_token_file_refuses_the_start_naming_its_line() {
    let dir = scratch("malformed");
    let cases = [
        (
            "t-ops ops\n# fine\nt-bad\n",
            "line 3: a token with no identity",
        ),
        ("t-a a\nt-a b\n", "line 2: the same token as line 1"),
        ("t-a a calc.* *.health\n", "line 1: \"*.health\""),
        ("# nothing granted\n", "every call would be refused"),
    ];
    for (text, said) in cases {
        let file = dir.join("tokens");
        std::fs::write(&file, text).unwrap();
        let output = serve_failing(&file);
        assert_eq!(output.status.code(), Some(2), "{text:?}: {output:?}");
        let message = stderr(&output);
        assert!(
            message.contains("--auth-tokens") && message.contains(said),
            "{message}"
        );
        assert!(
            !message.contains("t-a ") && !message.contains("t-ops"),
            "a token in {message}"
        );
    }
    let missing = dir.join("missing");
    let output = serve_failing(&missing);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert!(
        stderr(&output).contains("No such file"),
        "{}",
        stderr(&output)
    );
    std::fs::remove_dir_all(dir).unwrap();
}
