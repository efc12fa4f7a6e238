//! `ferry bench` end to end: the real binary against a `ferry serve` process, or against a
//! server in this test process when the test needs the server's own count of calls.

mod common;

use std::{
    net::TcpListener,
    process::{Command, Output, Stdio},
    sync::Arc,
    time::{Duration, Instant},
};

use common::{ferry, stderr, stdout, Served, FERRY};
use ferry::{server::ServerStats, Server};
use serde_json::{json, Value};

/// A demo server running in this process, on its own runtime, so the test can read its
/// counters and kill it outright.
struct InProcess {
    runtime: tokio::runtime::Runtime,
    address: String,
    stats: Arc<ServerStats>,
}

impl InProcess {
    fn start() -> InProcess {
        let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
        let server = runtime
            .block_on(Server::bind("127.0.0.1:0", ferry_demo::router()))
            .expect("the server binds");
        let address = server.local_address().to_string();
        let stats = server.stats();
        runtime.spawn(server.run());
        InProcess {
            runtime,
            address,
            stats,
        }
    }

    /// Drops every task of the server at once, as if its process died: sockets close, nobody
    /// says goodbye, new connections are refused.
    fn kill(self) {
        self.runtime.shutdown_background();
    }
}

/// Runs `ferry bench ADDRESS ARGS...` to completion.
fn bench(address: &str, args: &[&str]) -> Output {
    ferry(&[&["bench", address], args].concat())
}

/// The single JSON object a `--json` run printed, after checking it exited 0 and wrote
/// nothing else.
fn json_report(output: &Output) -> Value {
    let text = stdout(output);
    assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(output));
    assert_eq!(stderr(output), "", "nothing but the report is printed");
    assert_eq!(text.lines().count(), 1, "one line of JSON: {text}");
    let report: Value = serde_json::from_str(&text).expect("stdout is one JSON value");
    assert!(report.is_object(), "{report}");
    report
}

fn count(report: &Value, key: &str) -> u64 {
    report[key]
        .as_u64()
        .unwrap_or_else(|| panic!("{key} is a count in {report}"))
}

/// Checks that `figures` (a report, or its `send_lag`) has its percentiles in order.
fn assert_percentiles_in_order(figures: &Value) {
    let keys = ["p50_us", "p90_us", "p99_us", "p999_us", "max_us"];
    let values: Vec<u64> = keys.iter().map(|key| count(figures, key)).collect();
    assert!(values.is_sorted(), "{figures}");
    assert!(figures["mean_us"].is_number(), "{figures}");
}

/// The first word of every line of a text report.
fn labels(text: &str) -> Vec<&str> {
    text.lines()
        .map(|line| line.split_whitespace().next().unwrap_or(""))
        .collect()
}

#[test]
fn json_reports_rate_percentiles_and_no_errors() {
    let served = Served::tcp();
    let output = bench(
        &served.address,
        &["--duration", "1", "--warmup", "0", "--json"],
    );
    let report = json_report(&output);
    for key in [
        "calls", "rps", "p50_us", "p90_us", "p99_us", "p999_us", "max_us", "errors", "config",
    ] {
        assert!(report.get(key).is_some(), "{key} missing from {report}");
    }
    assert!(count(&report, "calls") > 0, "{report}");
    assert!(report["rps"].as_f64().expect("rps is a number") > 0.0);
    assert_percentiles_in_order(&report);
    assert_eq!(report["errors"], json!({}));
    assert_eq!(
        report["send_lag"],
        Value::Null,
        "a closed loop has no due times"
    );
    assert_eq!(report["method"], "echo.echo");
    assert_eq!(report["codec"], "msgpack");
    assert_eq!(
        report["config"],
        json!({"conns": 1, "inflight": 1, "duration_s": 1.0, "warmup_s": 0.0,
               "rate": null, "payload": 64})
    );
}

#[test]
fn the_calls_reported_are_the_calls_the_server_handled() {
    let server = InProcess::start();
    for codec in ["msgpack", "json"] {
        let before = server.stats.calls();
        let output = bench(
            &server.address,
            &[
                "--conns",
                "2",
                "--inflight",
                "4",
                "--payload",
                "1024",
                "--duration",
                "1",
                "--warmup",
                "0",
                "--codec",
                codec,
                "--json",
            ],
        );
        let report = json_report(&output);
        assert_eq!(report["errors"], json!({}), "{report}");
        assert!(count(&report, "calls") > 0);
        assert_eq!(
            count(&report, "calls"),
            server.stats.calls() - before,
            "{codec}"
        );
    }
}

#[test]
fn failed_calls_are_counted_by_status() {
    let served = Served::tcp();
    let args = [
        "--method",
        "nope.nothing",
        "--duration",
        "1",
        "--warmup",
        "0",
    ];
    let report = json_report(&bench(&served.address, &[&args[..], &["--json"]].concat()));
    let calls = count(&report, "calls");
    assert!(calls > 0);
    assert_eq!(report["errors"], json!({"unknown_method": calls}));

    let named = ["--method", "calc.add", "--args", r#"{"a": "two"}"#];
    let report = json_report(&bench(
        &served.address,
        &[&named[..], &args[2..], &["--json"]].concat(),
    ));
    assert_eq!(
        report["errors"],
        json!({"invalid_args": count(&report, "calls")})
    );
}

#[test]
fn an_open_loop_makes_the_calls_its_rate_asks_for() {
    let served = Served::tcp();
    let args = [
        "--rate",
        "200",
        "--duration",
        "1",
        "--warmup",
        "0",
        "--json",
    ];
    let report = json_report(&bench(&served.address, &args));
    let calls = count(&report, "calls");
    assert!(
        (100..=300).contains(&calls),
        "{calls} calls at 200/s for 1 s"
    );
    assert_eq!(report["config"]["rate"], 200.0);
    assert_eq!(report["errors"], json!({}));
}

#[test]
fn an_open_loop_reports_how_late_its_calls_were_sent_apart_from_their_latency() {
    let served = Served::tcp();
    let args = [
        "--rate",
        "500",
        "--inflight",
        "8",
        "--duration",
        "1",
        "--warmup",
        "0",
    ];
    let report = json_report(&bench(&served.address, &[&args[..], &["--json"]].concat()));
    let lag = &report["send_lag"];
    assert_percentiles_in_order(lag);
    // Each call is timed from when it was due, so its latency holds its send lag.
    for key in ["p50_us", "max_us"] {
        assert!(count(&report, key) >= count(lag, key), "{report}");
    }

    let output = bench(&served.address, &args);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(&output));
    // A busy machine may leave slots busy when calls fall due: the report then says how many
    // were missed, on a line of its own.
    let mut shown = labels(&text);
    shown.retain(|label| *label != "missed");
    assert_eq!(
        shown,
        ["ferry", "load", "calls", "rate", "p50", "p90", "p99", "p99.9", "max", "send", "errors"],
        "{text}"
    );
    let line = text
        .lines()
        .find(|line| line.starts_with("send lag "))
        .expect("a send lag line");
    let words: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(
        [words[2], words[4], words[5], words[7], words[8], words[10]],
        ["p50", "us,", "p99", "us,", "max", "us"],
        "{line}"
    );
    for number in [words[3], words[6], words[9]] {
        assert!(number.parse::<u64>().is_ok(), "{line}");
    }
    assert!(line.ends_with("(from due to sent)"), "{line}");
}

#[test]
fn human_output_ends_with_rate_percentiles_and_errors() {
    let served = Served::tcp();
    let args = ["--method", "echo.ping", "--duration", "1", "--warmup", "0"];
    let output = bench(&served.address, &args);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(&output));
    assert_eq!(
        stderr(&output),
        "",
        "no progress bar when stderr is not a terminal"
    );
    assert_eq!(
        labels(&text),
        ["ferry", "load", "calls", "rate", "p50", "p90", "p99", "p99.9", "max", "errors"],
        "{text}"
    );
    assert!(text.starts_with(&format!(
        "ferry bench {} echo.ping (msgpack)\n",
        served.address
    )));
    assert!(text.contains("\np50 "), "{text}");
    assert!(text.contains("\np99 "), "{text}");
    assert!(text.ends_with("errors   none\n"), "{text}");
}

#[test]
fn a_server_that_cannot_be_reached_exits_2() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        listener.local_addr().expect("its address").port()
    };
    let output = bench(&format!("127.0.0.1:{port}"), &["--duration", "1", "--json"]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(stdout(&output), "");
    let text = stderr(&output);
    assert!(text.starts_with("error: cannot bench 127.0.0.1:"), "{text}");
    assert!(text.contains("cannot connect"), "{text}");
}

#[test]
fn bad_flags_are_refused_before_connecting() {
    for args in [
        &["--conns", "0"][..],
        &["--inflight", "0"],
        &["--duration", "0"],
        &["--warmup", "-1"],
        &["--rate", "0"],
        &["--codec", "xml"],
        &["--args", "[1]"],
    ] {
        let output = bench("127.0.0.1:1", args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(
            stderr(&output).contains("error"),
            "{args:?}: {}",
            stderr(&output)
        );
    }
}

#[test]
fn a_server_dying_mid_run_is_counted_as_unavailable() {
    let server = InProcess::start();
    let running = Command::new(FERRY)
        .args([
            "bench",
            &server.address,
            "--duration",
            "4",
            "--warmup",
            "0",
            "--json",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ferry bench starts");
    let waiting_since = Instant::now();
    while server.stats.calls() == 0 {
        assert!(
            waiting_since.elapsed() < Duration::from_secs(60),
            "no call arrived"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    server.kill();
    let output = running.wait_with_output().expect("ferry bench finishes");
    let report = json_report(&output);
    let unavailable = report["errors"]["unavailable"].as_u64().unwrap_or(0);
    assert!(unavailable > 0, "{report}");
    assert!(
        count(&report, "calls") > unavailable,
        "some calls succeeded first: {report}"
    );
    assert_eq!(
        report["errors"].as_object().map(|errors| errors.len()),
        Some(1),
        "{report}"
    );
}
