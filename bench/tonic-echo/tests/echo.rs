//! The tonic echo server and client over a real loopback socket.

use std::time::Duration;

use ferry_load::LoadConfig;
use tokio::net::TcpListener;
use tonic_echo::TonicTarget;

#[tokio::test]
async fn multiplexed_calls_are_all_answered() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(tonic_echo::server::serve(listener));
    let config = LoadConfig::default()
        .conns(2)
        .inflight(16)
        .payload(1024)
        .duration(Duration::from_millis(300))
        .warmup(Duration::ZERO);
    let report = ferry_load::run(TonicTarget::new(address), config)
        .await
        .unwrap();
    assert!(report.calls > 0, "{report}");
    assert!(report.errors.is_empty(), "{report}");
}
