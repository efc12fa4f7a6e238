//! The length-prefixed JSON dialect as a twenty-line Python client speaks it: `socket`,
//! `struct.pack("I", len(body))` and `json`, against the real `ferry serve`.

mod common;

use common::{python3, Served};

/// A hand-written client: one request per line of argv, each answer printed as one JSON line.
const CLIENT: &str = r#"
import json, socket, struct, sys

def recv_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise SystemExit("the server closed the connection")
        data += chunk
    return data

host, port = sys.argv[1].rsplit(":", 1)
sock = socket.create_connection((host, int(port)), timeout=10)
for request in sys.argv[2:]:
    body = request.encode()
    sock.sendall(struct.pack("I", len(body)) + body)
    (length,) = struct.unpack("I", recv_exact(sock, 4))
    print(json.dumps(json.loads(recv_exact(sock, length))))
"#;

fn exchange(served: &Served, requests: &[&str]) -> Vec<serde_json::Value> {
    let output = python3(&[&["-c", CLIENT, &served.address], requests].concat());
    let stdout = String::from_utf8(output.stdout).expect("UTF-8");
    assert!(
        output.status.success(),
        "client failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect()
}

#[test]
fn ping_is_answered_pong_byte_for_byte_as_python_frames_it() {
    let served = Served::tcp();
    let answers = exchange(&served, &[r#"{"in": "ping", "params": "ireader 0"}"#]);
    assert_eq!(
        answers,
        [serde_json::json!({"out": "pong", "result": "ireader 0"})]
    );
}

#[test]
fn every_demo_method_and_error_answers_in_the_same_framing() {
    let served = Served::tcp();
    let answers = exchange(
        &served,
        &[
            r#"{"in": "calc.add", "params": [1, 2]}"#,
            r#"{"in": "divide", "params": {"num1": 9}}"#,
            r#"{"in": "divide", "params": [1, 0]}"#,
            r#"{"in": "calc.nope", "params": []}"#,
            r#"{"in": "add", "params": ["one", 2]}"#,
            r#"not json"#,
            r#"{"in": "ping", "params": "still here"}"#,
        ],
    );
    assert_eq!(answers[0], serde_json::json!({"out": "add", "result": 3}));
    assert_eq!(
        answers[1],
        serde_json::json!({"out": "divide", "result": 9.0})
    );
    assert_eq!(answers[2]["error"]["status"], "application");
    assert_eq!(answers[2]["error"]["message"], "division by zero");
    assert_eq!(answers[2]["error"]["data"]["message"], "division by zero");
    assert_eq!(answers[3]["error"]["status"], "unknown_method");
    assert_eq!(answers[4]["error"]["status"], "invalid_args");
    assert_eq!(answers[5]["error"]["status"], "protocol");
    assert_eq!(answers[6]["result"], "still here");
}
