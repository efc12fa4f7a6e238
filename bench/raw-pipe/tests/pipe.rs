//! The raw pipe server and client over a real loopback socket: exact counts both ways.

use std::{net::TcpListener, thread, time::Duration};

use bench_common::{Direction, Limit};

fn start_server() -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    thread::spawn(move || raw_pipe::server::serve(listener));
    address
}

/// Long enough never to cut a run short on a busy machine: these runs stop on their count.
const SAFETY: Duration = Duration::from_secs(60);

#[test]
fn an_upload_is_counted_to_the_byte_by_the_server() {
    let address = start_server();
    let report =
        raw_pipe::client::run(address, Direction::Up, 10_000, Limit::items(300, SAFETY)).unwrap();
    assert_eq!(report.bytes, 3_000_000);
    assert_eq!(report.items, 300);
    assert!(report.seconds > 0.0);
}

#[test]
fn a_download_delivers_the_bytes_asked_for() {
    let address = start_server();
    let report =
        raw_pipe::client::run(address, Direction::Down, 4096, Limit::items(500, SAFETY)).unwrap();
    assert_eq!(report.bytes, 500 * 4096);
    assert_eq!(report.items, 500);
}

#[test]
fn a_timed_run_stops_at_its_duration() {
    let address = start_server();
    let limit = Limit {
        duration: Duration::from_millis(200),
        items: None,
    };
    for direction in [Direction::Down, Direction::Up] {
        let report = raw_pipe::client::run(address, direction, 65536, limit).unwrap();
        assert!(report.bytes > 0, "{direction:?} moved nothing");
        assert!(
            report.seconds < 10.0,
            "{direction:?} ran {}s",
            report.seconds
        );
    }
}

#[test]
fn a_chunk_out_of_bounds_is_refused_before_connecting() {
    let address = start_server();
    let limit = Limit::items(1, SAFETY);
    assert!(raw_pipe::client::run(address, Direction::Up, 0, limit).is_err());
    assert!(raw_pipe::client::run(address, Direction::Up, raw_pipe::MAX_CHUNK + 1, limit).is_err());
}
