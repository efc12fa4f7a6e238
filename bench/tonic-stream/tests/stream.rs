//! The tonic stream server and client over a real loopback socket: exact counts both ways.

use std::time::Duration;

use bench_common::{Direction, Limit};
use tokio::net::TcpListener;

async fn start_server() -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(tonic_stream::server::serve(listener));
    address
}

/// Long enough never to cut a run short on a busy machine: these runs stop on their count.
const SAFETY: Duration = Duration::from_secs(60);

#[tokio::test]
async fn an_upload_is_counted_to_the_byte_by_the_server() {
    let mut client = tonic_stream::client::connect(start_server().await)
        .await
        .unwrap();
    let report = tonic_stream::client::run(
        &mut client,
        Direction::Up,
        10_000,
        Limit::items(300, SAFETY),
    )
    .await
    .unwrap();
    assert_eq!(report.bytes, 3_000_000);
    assert_eq!(report.items, 300);
}

#[tokio::test]
async fn a_download_of_n_items_ends_after_them() {
    let mut client = tonic_stream::client::connect(start_server().await)
        .await
        .unwrap();
    let report = tonic_stream::client::run(
        &mut client,
        Direction::Down,
        4096,
        Limit::items(500, SAFETY),
    )
    .await
    .unwrap();
    assert_eq!(report.bytes, 500 * 4096);
    assert_eq!(report.items, 500);
}

#[tokio::test]
async fn a_timed_run_stops_at_its_duration_and_the_connection_goes_on() {
    let mut client = tonic_stream::client::connect(start_server().await)
        .await
        .unwrap();
    let limit = Limit {
        duration: Duration::from_millis(200),
        items: None,
    };
    // Down first: an endless stream the client walks away from must not spoil the next one.
    for direction in [Direction::Down, Direction::Up, Direction::Down] {
        let report = tonic_stream::client::run(&mut client, direction, 65536, limit)
            .await
            .unwrap();
        assert!(report.bytes > 0, "{direction:?} moved nothing");
        assert!(
            report.seconds < 10.0,
            "{direction:?} ran {}s",
            report.seconds
        );
    }
}

#[tokio::test]
async fn a_chunk_out_of_bounds_is_refused() {
    let mut client = tonic_stream::client::connect(start_server().await)
        .await
        .unwrap();
    let limit = Limit::items(1, SAFETY);
    for chunk in [0, tonic_stream::MAX_CHUNK + 1] {
        assert!(
            tonic_stream::client::run(&mut client, Direction::Down, chunk, limit)
                .await
                .is_err()
        );
    }
}
