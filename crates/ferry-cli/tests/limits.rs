//! `ferry serve --max-connections`: a connection over the cap is answered 503 (here to curl)
//! while the one open is served on, and the refusal shows in /metrics.

mod common;

use std::{
    io::{Read, Write},
    net::TcpStream,
    time::Duration,
};

use common::Served;

/// Sends `GET PATH` on `http`, a kept-alive HTTP/1.1 connection, and reads the answer's body.
fn get_on(http: &mut TcpStream, path: &str) -> String {
    let request = format!("GET {path} HTTP/1.1\r\nhost: x\r\n\r\n");
    http.write_all(request.as_bytes()).unwrap();
    let mut answer = Vec::new();
    let mut chunk = [0u8; 64 * 1024];
    loop {
        let n = http.read(&mut chunk).expect("the server answers");
        assert!(n > 0, "closed: {}", String::from_utf8_lossy(&answer));
        answer.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&answer);
        let Some((head, body)) = text.split_once("\r\n\r\n") else {
            continue;
        };
        let len = head
            .lines()
            .find_map(|line| line.strip_prefix("content-length: "))
            .map(|len| len.parse::<usize>().unwrap());
        if len.is_some_and(|len| body.len() >= len) {
            assert!(head.starts_with("HTTP/1.1 200 "), "{head}");
            return body.to_owned();
        }
    }
}

#[test]
fn a_connection_over_max_connections_gets_a_503_and_the_open_one_is_served() {
    let served = Served::tcp_with(&["--max-connections", "1", "--threads", "1"]);
    let mut held = TcpStream::connect(&served.address).unwrap();
    held.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    assert!(get_on(&mut held, "/healthz").contains("ok"));

    let url = format!("http://{}/healthz", served.address);
    let curl = std::process::Command::new("curl")
        .args(["-sS", "-i", "--max-time", "30", &url])
        .output()
        .unwrap_or_else(|err| panic!("curl is required: cannot run curl ({err})"));
    let answer = String::from_utf8_lossy(&curl.stdout);
    assert!(answer.starts_with("HTTP/1.1 503 "), "{answer} {curl:?}");
    assert!(answer.contains("retry-after: 1\r\n"), "{answer}");
    assert!(
        answer.contains("the server holds its limit of 1 connections"),
        "{answer}"
    );

    let metrics = get_on(&mut held, "/metrics");
    assert!(
        metrics.contains("ferry_server_refusals_total{limit=\"max_connections\"} 1"),
        "{metrics}"
    );
    drop(held);
    // The place comes back once the server has seen the close.
    let called = (0..100).find_map(|_| {
        let output = served.call(&["calc.add", "2", "3"]);
        if output.status.success() {
            return Some(output);
        }
        std::thread::sleep(Duration::from_millis(50));
        None
    });
    let output = called.expect("a call is served once the held connection closed");
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "5");
}
