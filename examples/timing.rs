//! A layer that logs every call with its status and duration, on every dialect, and a client
//! layer that stamps each call with a request id the server's log shows.
//!
//! Run with `cargo run -p ferry-examples --example timing`; it serves on 127.0.0.1:7073 and makes
//! a few calls itself, so the log shows lines like
//!
//! ```text
//! call calc.add from 127.0.0.1:50312 over native: ok in 21µs (request r-1)
//! ```

use std::{
    sync::atomic::{AtomicU64, Ordering},
    time::Duration,
};

use ferry::{
    layer::{ClientLayer, Layer, Outcome},
    ByteStr, CallOptions, Client, ClientConfig, Context, Metadata, Router, Server, Status,
};
use serde_json::json;

/// The request id a call carried, kept by the log layer for its log line.
#[derive(Debug, Clone)]
struct RequestId(String);

/// Logs each call once it ends.
#[derive(Debug)]
struct Timing;

impl Layer for Timing {
    fn before(&self, ctx: &mut Context) -> Result<(), ferry::CallError> {
        // `after` sees the outcome, not the metadata: what it needs travels in the extensions.
        if let Some(id) = ctx.metadata("request-id").map(str::to_owned) {
            ctx.extensions_mut().insert(RequestId(id));
        }
        Ok(())
    }

    fn after(&self, outcome: &Outcome<'_>) {
        let known = if outcome.descriptor().is_some() {
            ""
        } else {
            " (no such method)"
        };
        let request = outcome.extensions().get::<RequestId>();
        let request = request.map_or("none", |id| id.0.as_str());
        println!(
            "call {}{known} from {} over {}: {} in {:?} (request {request})",
            outcome.method(),
            outcome.peer(),
            outcome.dialect(),
            outcome.status(),
            outcome.elapsed()
        );
    }
}

/// Gives every call of a client its own request id.
#[derive(Debug, Default)]
struct RequestIds(AtomicU64);

impl ClientLayer for RequestIds {
    fn before(&self, _method: &str, metadata: &mut Metadata) {
        let id = self.0.fetch_add(1, Ordering::Relaxed) + 1;
        metadata.push((
            ByteStr::from_static("request-id"),
            ByteStr::from(format!("r-{id}")),
        ));
    }

    fn after(&self, method: &str, status: Status, elapsed: Duration) {
        println!("client: {method} ended {status} after {elapsed:?}");
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let router = Router::new()
        .function(
            "calc.add",
            ["a", "b"],
            |a: i64, b: i64| async move { a + b },
        )
        .function("util.nap", ["ms"], |ms: u64| async move {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            ms
        })
        .layer(Timing);
    let server = Server::bind("127.0.0.1:7073", router).await?;
    let address = server.local_address();
    let shutdown = server.shutdown_handle();
    let serving = tokio::spawn(server.run());

    let config = ClientConfig::default().layer(RequestIds::default());
    let client = Client::connect_with(address, config).await?;
    let options = CallOptions::new();
    let sum: i64 = client.call("calc.add", &json!([2, 3]), &options).await?;
    let napped: u64 = client.call("util.nap", &json!([20]), &options).await?;
    let missing: Result<i64, _> = client.call("calc.nope", &json!([]), &options).await;
    println!(
        "sum {sum}, napped {napped} ms, missing: {}",
        missing.unwrap_err()
    );

    shutdown.shutdown();
    serving.await??;
    Ok(())
}
