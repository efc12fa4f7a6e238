//! Client-side figures: `ClientMetrics`, installed as a client layer, counts every call a real
//! client makes by method and status, and renders them in the Prometheus text format.

use std::sync::Arc;

use ferry::{metrics::ClientMetrics, CallOptions, Client, ClientConfig, Router, Server, Status};

#[tokio::test]
async fn counts_each_call_by_method_and_status() {
    let router = Router::new().function(
        "calc.add",
        ["a", "b"],
        |a: i64, b: i64| async move { a + b },
    );
    let server = Server::bind("127.0.0.1:0", router).await.unwrap();
    let address = server.local_address();
    let shutdown = server.shutdown_handle();
    let serving = tokio::spawn(server.run());
    let metrics = Arc::new(ClientMetrics::default());
    let config = ClientConfig::default().layer(metrics.clone());
    let client = Client::connect_with(address, config).await.unwrap();
    let options = CallOptions::default();
    for i in 0..5 {
        let sum: i64 = client.call("calc.add", &(i, 1), &options).await.unwrap();
        assert_eq!(sum, i + 1);
    }
    let unknown = client.call::<_, i64>("calc.nope", &(1, 1), &options).await;
    assert_eq!(unknown.unwrap_err().status(), Status::UnknownMethod);
    let counted: Vec<_> = metrics
        .snapshot()
        .into_iter()
        .map(|(method, status, counts)| (method, status, counts.count()))
        .collect();
    let want = [
        ("calc.add".to_owned(), Status::Ok, 5),
        ("calc.nope".to_owned(), Status::UnknownMethod, 1),
    ];
    assert_eq!(counted, want);
    let mut text = String::new();
    metrics.render(&mut text);
    let line = r#"rpc_client_call_duration_seconds_count{rpc_service="calc",rpc_method="add",rpc_status="ok"} 5"#;
    assert!(text.contains(line), "{line} missing");
    shutdown.shutdown();
    serving.await.unwrap().unwrap();
}
