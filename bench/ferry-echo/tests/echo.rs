//! ferry's demo server loaded through the target `ferry bench` uses, over a real socket.

use std::time::Duration;

use ferry_load::LoadConfig;

#[tokio::test]
async fn multiplexed_echo_calls_are_all_answered() {
    let server = ferry::Server::bind("127.0.0.1:0", ferry_demo::router())
        .await
        .unwrap();
    let address = server.local_address();
    tokio::spawn(server.run());
    let config = LoadConfig::default()
        .conns(2)
        .inflight(16)
        .payload(1024)
        .duration(Duration::from_millis(300))
        .warmup(Duration::ZERO);
    let report = ferry_load::run(ferry_echo::echo_target(address, 1024), config)
        .await
        .unwrap();
    assert!(report.calls > 0, "{report}");
    assert!(report.errors.is_empty(), "{report}");
}
