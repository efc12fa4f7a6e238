//! `ferry call` on streaming methods, `ferry list` showing them and `ferry bench --stream`:
//! real processes on real sockets.

mod common;

use common::{ferry, ferry_with_input, stderr, stdout, Served};
use serde_json::Value;

#[test]
fn a_server_stream_prints_one_json_value_per_line() {
    let served = Served::tcp();
    let output = served.call(&["echo.count", "5"]);
    assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(&output));
    assert_eq!(stdout(&output), "0\n1\n2\n3\n4\n");
}

#[test]
fn stdin_lines_are_sent_as_the_methods_stream() {
    let served = Served::tcp();
    let numbers: String = (1..=100).map(|n| format!("{n}\n")).collect();
    let args = ["call", &served.address, "echo.sum", "--stdin"];
    let output = ferry_with_input(&args, numbers.as_bytes());
    assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(&output));
    assert_eq!(stdout(&output), "5050\n");
    let args = ["call", &served.address, "echo.chat", "--stdin"];
    let output = ferry_with_input(&args, b"hello\n\nworld\n");
    assert_eq!(stdout(&output), "\"1: hello\"\n\"2: world\"\n");
}

#[test]
fn a_stream_failing_with_the_methods_own_error_keeps_its_lines_and_exits_1() {
    let served = Served::tcp();
    let args = ["call", &served.address, "calc.quotients", "100", "--stdin"];
    let output = ferry_with_input(&args, b"2\n4\n0\n5\n");
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "stderr: {text}");
    assert_eq!(stdout(&output), "50.0\n25.0\n");
    assert!(
        text.contains("InvalidOperation") && text.contains("division by zero"),
        "{text}"
    );
}

#[test]
fn a_stream_cut_by_its_deadline_keeps_its_lines_and_exits_2() {
    let served = Served::tcp();
    let output = served.call(&["echo.count", "10000000", "--timeout", "0.5"]);
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "stderr: {text}");
    assert!(text.contains("deadline_exceeded"), "{text}");
    let printed = stdout(&output);
    let lines: Vec<&str> = printed.lines().collect();
    assert!(!lines.is_empty(), "nothing printed before the deadline");
    for (expected, line) in lines.iter().enumerate() {
        assert_eq!(*line, expected.to_string(), "lines out of order or torn");
    }
}

#[test]
fn stdin_must_match_whether_the_method_takes_a_stream() {
    let served = Served::tcp();
    let output = served.call(&["echo.sum"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("--stdin"), "{}", stderr(&output));
    let args = ["call", &served.address, "echo.count", "3", "--stdin"];
    let output = ferry_with_input(&args, b"1\n");
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("takes no stream"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn list_shows_which_way_methods_stream() {
    let served = Served::tcp();
    let output = ferry(&["list", &served.address]);
    let listing = stdout(&output);
    for line in [
        "count(n: integer) -> stream of integer",
        "sum(stream of integer) -> integer",
        "chat(stream of string) -> stream of string",
    ] {
        assert!(listing.contains(line), "{line:?} not in:\n{listing}");
    }
}

#[test]
fn bench_measures_streams_both_ways() {
    let served = Served::tcp();
    for way in ["down", "up"] {
        let args = [
            "bench",
            &served.address,
            "--stream",
            way,
            "--chunk",
            "65536",
            "--duration",
            "0.5",
            "--warmup",
            "0",
            "--json",
        ];
        let output = ferry(&args);
        assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(&output));
        let report: Value = serde_json::from_str(&stdout(&output)).expect("one JSON object");
        assert_eq!(report["stream"], way);
        assert!(report["mb_per_s"].as_f64().unwrap() > 0.0, "{report}");
        assert!(report["items_per_s"].as_f64().unwrap() > 0.0, "{report}");
        let (bytes, items) = (
            report["bytes"].as_u64().unwrap(),
            report["items"].as_u64().unwrap(),
        );
        assert!(bytes >= items * 65536, "{report}");
    }
}
