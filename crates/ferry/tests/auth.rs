//! The auth layer on a real server over the native protocol: each outcome, the identity a
//! handler sees, and the token kept from the handler.

mod common;

use std::sync::{
    atomic::{AtomicUsize, Ordering},
    Arc,
};

use common::TestServer;
use ferry::{
    auth::{Auth, BearerToken, Tokens},
    with_context, Address, CallError, CallOptions, Client, ClientConfig, Context, Router,
    ServerConfig, Status,
};
use serde_json::{json, Value};

const TOKENS: &str = "\
# the test's token file
t-ops     ops
t-alice   alice   util.*
t-bob     bob     calc.add
";

/// `util.whoami` answers its caller's identity and metadata; `util.count` counts its runs.
fn router(runs: Arc<AtomicUsize>) -> Router {
    Router::new()
        .function(
            "util.whoami",
            [],
            with_context(|ctx: Context| async move {
                let metadata: Vec<(String, String)> = ctx
                    .metadata_pairs()
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                    .collect();
                let identity = ctx.identity().map(|identity| identity.name().to_owned());
                json!({"identity": identity, "metadata": metadata})
            }),
        )
        .function("util.count", [], move || {
            let runs = runs.clone();
            async move { runs.fetch_add(1, Ordering::SeqCst) + 1 }
        })
        .auth(Auth::new(
            Tokens::parse(TOKENS).expect("the test's tokens parse"),
        ))
}

async fn call(address: &Address, method: &str, options: &CallOptions) -> Result<Value, Status> {
    let client = Client::connect(address.clone())
        .await
        .map_err(|e| e.status())?;
    let answer = client.call(method, &json!([]), options).await;
    answer.map_err(|err: CallError<Value>| err.status())
}

fn bearer(token: &str) -> CallOptions {
    CallOptions::new().metadata("authorization", &format!("Bearer {token}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_outcome_over_the_native_protocol_and_a_refused_handler_never_runs() {
    let runs = Arc::new(AtomicUsize::new(0));
    let server = TestServer::start(router(runs.clone()), ServerConfig::default()).await;
    let address = &server.address;
    let refused = [
        (CallOptions::new(), Status::Unauthenticated),
        (bearer("guessed"), Status::Unauthenticated),
        (
            CallOptions::new().metadata("authorization", "Basic t-alice"),
            Status::Unauthenticated,
        ),
        (bearer("t-bob"), Status::PermissionDenied),
    ];
    for (options, status) in &refused {
        assert_eq!(call(address, "util.count", options).await, Err(*status));
    }
    assert_eq!(
        runs.load(Ordering::SeqCst),
        0,
        "a refused call ran its handler"
    );
    assert_eq!(
        call(address, "util.count", &bearer("t-alice")).await,
        Ok(json!(1))
    );
    assert_eq!(
        call(address, "util.count", &bearer("t-ops")).await,
        Ok(json!(2))
    );
    // The scheme is read in any case.
    let lower = CallOptions::new().metadata("authorization", "bearer t-alice");
    assert_eq!(call(address, "util.count", &lower).await, Ok(json!(3)));
    // The listing is every identity's, whatever its patterns, and nobody else's.
    let listing = call(address, "ferry.reflect.describe", &bearer("t-bob")).await;
    assert!(listing.unwrap()["services"].is_array());
    let anonymous = call(address, "ferry.reflect.describe", &CallOptions::new()).await;
    assert_eq!(anonymous, Err(Status::Unauthenticated));
    // A known identity outside its patterns learns no more of an unknown method.
    let unknown = call(address, "util.nope", &bearer("t-bob")).await;
    assert_eq!(unknown, Err(Status::PermissionDenied));
    assert_eq!(
        call(address, "util.nope", &bearer("t-ops")).await,
        Err(Status::UnknownMethod)
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_handler_sees_its_callers_identity_and_never_the_token() {
    let server = TestServer::start(router(Arc::default()), ServerConfig::default()).await;
    let options = bearer("t-alice").metadata("user", "kept");
    let seen = call(&server.address, "util.whoami", &options)
        .await
        .unwrap();
    assert_eq!(
        seen,
        json!({"identity": "alice", "metadata": [["user", "kept"]]})
    );
    // The client layer sends the token with every call of the client.
    let config = ClientConfig::default().layer(BearerToken::new("t-ops"));
    let client = Client::connect_with(server.address.clone(), config)
        .await
        .unwrap();
    for _ in 0..2 {
        let seen: Value = client
            .call("util.whoami", &json!([]), &CallOptions::new())
            .await
            .unwrap();
        assert_eq!(seen, json!({"identity": "ops", "metadata": []}));
    }
    server.stop().await;
}
