//! The `ferry` binary end to end: real processes on real sockets.

mod common;

use std::{net::TcpListener, path::PathBuf, process::Output};

use common::{ferry, stderr, stdout, Served};
use serde_json::Value;

/// Asserts the call succeeded and printed exactly `expected` and a newline.
fn assert_prints(output: &Output, expected: &str) {
    assert_eq!(
        (
            output.status.code(),
            stdout(output).as_str(),
            stderr(output).as_str()
        ),
        (Some(0), format!("{expected}\n").as_str(), "")
    );
}

/// Asserts the call failed with `code` and a stderr mentioning every one of `needles`.
fn assert_fails(output: &Output, code: i32, needles: &[&str]) {
    let text = stderr(output);
    assert_eq!(output.status.code(), Some(code), "stderr: {text}");
    assert_eq!(stdout(output), "");
    for needle in needles {
        assert!(text.contains(needle), "{needle:?} not in stderr: {text}");
    }
}

/// A Unix socket path of this process and test.
fn socket_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("ferry-cli-{}-{name}.sock", std::process::id()))
}

#[test]
fn calls_print_their_results_as_json() {
    let served = Served::tcp();
    assert_prints(&served.call(&["calc.add", "2", "3"]), "5");
    assert_prints(&served.call(&["calc.add", "-5", "3"]), "-2");
    assert_prints(&served.call(&["calc.divide", "200", "100"]), "2.0");
    assert_prints(&served.call(&["echo.ping", "hello"]), "\"hello\"");
    assert_prints(&served.call(&["echo.ping", "\"200\""]), "\"200\"");
    assert_prints(
        &served.call(&["echo.echo", "[104,105,0,255]"]),
        "[104,105,0,255]",
    );
}

#[test]
fn named_arguments_may_leave_out_defaults() {
    let served = Served::tcp();
    assert_prints(
        &served.call(&["calc.divide", "--args", r#"{"num1": 5}"#]),
        "5.0",
    );
    assert_prints(
        &served.call(&["calc.divide", "--args", r#"{"num2": 4, "num1": 2}"#]),
        "0.5",
    );
}

#[test]
fn timeout_and_metadata_are_accepted() {
    let served = Served::tcp();
    let args = ["calc.add", "1", "2", "--timeout", "2.5", "--meta", "k=v"];
    assert_prints(
        &served.call(&[&args[..], &["--meta", "trace=x=y"]].concat()),
        "3",
    );
}

#[test]
fn whoami_shows_the_metadata_dialect_and_deadline_the_handler_saw() {
    let served = Served::tcp();
    let args = ["echo.whoami", "--meta", "user=alice", "--meta", "trace=x=y"];
    let output = served.call(&[&args[..], &["--timeout", "7"]].concat());
    assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(&output));
    let seen: Value = serde_json::from_str(&stdout(&output)).expect("JSON out");
    assert_eq!(
        seen["metadata"],
        serde_json::json!({"user": "alice", "trace": "x=y"})
    );
    assert_eq!(seen["dialect"], "native");
    assert_eq!(seen["method"], "echo.whoami");
    assert!(
        seen["peer"].as_str().unwrap().starts_with("127.0.0.1:"),
        "{seen}"
    );
    let left = seen["deadline_ms"].as_u64().expect("a deadline");
    assert!(left <= 7000 && left > 0, "{left} ms left of 7 s");
    let unbounded = served.call(&["echo.whoami"]);
    let seen: Value = serde_json::from_str(&stdout(&unbounded)).expect("JSON out");
    assert_eq!(seen["metadata"], serde_json::json!({}));
}

#[test]
fn an_application_error_exits_1_with_its_type_and_data() {
    let served = Served::tcp();
    let output = served.call(&["calc.divide", "200", "0"]);
    assert_fails(&output, 1, &["InvalidOperation", "division by zero"]);
    assert_eq!(
        stderr(&output),
        "error: application (InvalidOperation): division by zero\n\
         data: {\"message\":\"division by zero\"}\n"
    );
}

#[test]
fn other_failures_exit_2_with_the_status_name() {
    let served = Served::tcp();
    let unknown = served.call(&["calc.nope"]);
    assert_fails(&unknown, 2, &["error: unknown_method: ", "calc.nope"]);
    let invalid = served.call(&["calc.add", "x", "y"]);
    assert_fails(&invalid, 2, &["error: invalid_args: ", "calc.add"]);
    let too_many = served.call(&["calc.add", "1", "2", "3"]);
    assert_fails(
        &too_many,
        2,
        &["error: invalid_args: ", "takes 2 arguments, 3 were given"],
    );
}

#[test]
fn a_refused_connection_is_unavailable_and_names_the_address() {
    let address = {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        listener.local_addr().expect("bound").to_string()
    };
    let output = ferry(&["call", &address, "calc.add", "1", "2"]);
    assert_fails(&output, 2, &["error: unavailable: ", &address]);
}

#[test]
fn bad_named_arguments_are_usage_errors() {
    let served = Served::tcp();
    let not_object = served.call(&["calc.divide", "--args", "[5]"]);
    assert_fails(&not_object, 2, &["JSON object"]);
    let both = served.call(&["calc.divide", "1", "--args", r#"{"num1": 5}"#]);
    assert_fails(&both, 2, &["cannot be used with"]);
    let timeout = served.call(&["calc.add", "1", "2", "--timeout", "0"]);
    assert_fails(&timeout, 2, &["--timeout"]);
}

#[test]
fn list_prints_every_service_and_method() {
    let served = Served::tcp();
    let output = ferry(&["list", &served.address]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    for needle in [
        "ferry.reflect",
        "describe() -> Reflection",
        "calc",
        "add(a: integer, b: integer) -> integer  ! InvalidOperation",
        "divide(",
        "num2",
        "= 1",
        "! InvalidOperation",
        "[idempotent]",
        "echo",
        "ping(text: string) -> string",
        "echo(data: bytes) -> bytes",
    ] {
        assert!(text.contains(needle), "{needle:?} not in:\n{text}");
    }
}

#[test]
fn list_json_is_the_reflection_document() {
    let served = Served::tcp();
    let output = ferry(&["list", &served.address, "--json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let document: Value = serde_json::from_slice(&output.stdout).expect("stdout is JSON");
    let names: Vec<&str> = document["services"]
        .as_array()
        .expect("services is an array")
        .iter()
        .filter_map(|service| service["name"].as_str())
        .collect();
    assert_eq!(names, ["ferry.reflect", "calc", "echo"]);
}

#[test]
fn every_subcommand_has_help_with_an_example() {
    for (subcommand, example) in [
        ("serve", "ferry serve --listen"),
        ("call", "ferry call 127.0.0.1:7070 calc.divide 200 100"),
        ("list", "ferry list 127.0.0.1:7070"),
    ] {
        let output = ferry(&[subcommand, "--help"]);
        assert_eq!(output.status.code(), Some(0));
        assert!(stdout(&output).contains(example), "{}", stdout(&output));
    }
}

#[test]
fn sigterm_drains_and_exits_0() {
    let served = Served::tcp();
    assert_prints(&served.call(&["calc.add", "1", "1"]), "2");
    let (status, stderr) = served.stop();
    assert_eq!(status.code(), Some(0), "stderr: {stderr}");
}

#[test]
fn sigterm_right_after_the_listening_line_still_drains() {
    let (status, stderr) = Served::tcp().stop();
    assert_eq!(status.code(), Some(0), "stderr: {stderr}");
}

#[test]
fn serve_and_call_over_a_unix_socket() {
    let path = socket_path("unix");
    let listen = format!("unix:{}", path.display());
    let served = Served::start(&["--listen", &listen]);
    assert_eq!(served.address, listen);
    assert_prints(&served.call(&["calc.add", "1", "2"]), "3");
    let (status, _) = served.stop();
    assert!(status.success());
    assert!(!path.exists(), "the socket file is removed on shutdown");
}

#[test]
fn serve_reports_an_address_it_cannot_bind() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let address = listener.local_addr().expect("bound").to_string();
    let output = ferry(&["serve", "--listen", &address]);
    assert_fails(&output, 2, &["error: cannot listen on", &address]);
}
