//! The call context, statuses chosen by handlers, layers and blocking methods, over the native
//! protocol on real TCP. The HTTP and length-prefixed dialects are tested in ferry-http.

mod common;

use std::{
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use ferry::{
    layer::{ClientLayer, Layer, Outcome},
    with_context, ByteStr, CallError, CallOptions, Client, ClientConfig, Context, Dialect,
    Metadata, Router, ServerConfig, Status,
};
use serde_json::{json, Value};

use common::TestServer;

/// What a handler saw of its call.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct Seen {
    method: String,
    metadata: Vec<(String, String)>,
    peer: String,
    dialect: String,
    described: bool,
    time_left_ms: Option<u128>,
}

impl Seen {
    fn of(ctx: &Context) -> Seen {
        Seen {
            method: ctx.method().to_owned(),
            metadata: ctx
                .metadata_pairs()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
            peer: ctx.peer().to_string(),
            dialect: ctx.dialect().to_string(),
            described: ctx.descriptor().is_some(),
            time_left_ms: ctx.time_left().map(|left| left.as_millis()),
        }
    }
}

/// A service whose methods show what the context gives and what a handler may answer.
#[ferry::service]
pub trait Probe {
    /// What this call looks like from inside.
    async fn seen(&self, ctx: &ferry::Context) -> Seen;
    /// Answers the status named, with its own message; `application` carries a typed error.
    async fn refuse(&self, status: String) -> Result<u32, CallError<String>>;
    /// Sleeps `ms` on the thread it runs on: the blocking pool.
    #[ferry(blocking)]
    async fn compute(&self, ms: u64) -> u64;
    /// Counts its runs.
    async fn count(&self) -> usize;
}

#[derive(Default)]
struct Prober {
    runs: AtomicUsize,
}

impl Probe for Prober {
    async fn seen(&self, ctx: &Context) -> Seen {
        Seen::of(ctx)
    }

    async fn refuse(&self, status: String) -> Result<u32, CallError<String>> {
        match Status::from_name(&status) {
            Some(Status::Application) => Err(CallError::Application("my own error".to_owned())),
            Some(status) => Err(CallError::new(status, format!("refused with {status}"))),
            None => Ok(0),
        }
    }

    async fn compute(&self, ms: u64) -> u64 {
        std::thread::sleep(Duration::from_millis(ms));
        ms
    }

    async fn count(&self) -> usize {
        self.runs.fetch_add(1, Ordering::SeqCst) + 1
    }
}

fn probe_router() -> (Router, Arc<Prober>) {
    let prober = Arc::new(Prober::default());
    let router = Router::new().service(ProbeServer::from_arc(prober.clone()));
    (router, prober)
}

async fn start(router: Router) -> (TestServer, ProbeClient) {
    let server = TestServer::start(router, ServerConfig::default()).await;
    let client = ProbeClient::connect(server.address.clone()).await.unwrap();
    (server, client)
}

#[tokio::test]
async fn a_handler_sees_method_metadata_peer_dialect_and_descriptor() {
    let (server, client) = start(probe_router().0).await;
    let seen = client
        .with_metadata("user", "alice")
        .with_metadata("trace", "t-1")
        .seen()
        .await
        .unwrap();
    assert_eq!(seen.method, "probe.seen");
    assert_eq!(
        seen.metadata,
        [
            ("user".into(), "alice".into()),
            ("trace".into(), "t-1".into())
        ]
    );
    assert!(seen.peer.starts_with("127.0.0.1:"), "{}", seen.peer);
    assert_eq!(seen.dialect, "native");
    assert!(seen.described);
    server.stop().await;
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn the_deadline_a_handler_sees_is_the_callers() {
    let (server, client) = start(probe_router().0).await;
    let seen = client
        .with_timeout(Some(Duration::from_secs(7)))
        .seen()
        .await
        .unwrap();
    let left = seen.time_left_ms.expect("a deadline");
    // The clock is paused: only the few milliseconds tokio may advance while idle can pass.
    assert!((6_900..=7_000).contains(&left), "{left} ms left");
    let none = client.with_timeout(None).seen().await.unwrap();
    assert_eq!(none.time_left_ms, None);
    server.stop().await;
}

#[tokio::test]
async fn every_status_a_handler_chooses_reaches_the_caller() {
    let (server, client) = start(probe_router().0).await;
    for status in [
        Status::Unauthenticated,
        Status::PermissionDenied,
        Status::InvalidArgs,
        Status::Unavailable,
        Status::Overloaded,
        Status::DeadlineExceeded,
        Status::Internal,
    ] {
        match client.refuse(status.name().to_owned()).await {
            Err(CallError::Status {
                status: got,
                message,
                ..
            }) => {
                assert_eq!(got, status);
                assert_eq!(message, format!("refused with {status}"));
            }
            other => panic!("{status}: {other:?}"),
        }
    }
    let own = client.refuse("application".into()).await;
    assert!(
        matches!(&own, Err(CallError::Application(text)) if text == "my own error"),
        "{own:?}"
    );
    assert_eq!(client.refuse("none".into()).await.unwrap(), 0);
    server.stop().await;
}

/// Refuses calls without `authorization: Bearer good`, counting what it sees.
#[derive(Default)]
struct Bearer {
    outcomes: Mutex<Vec<(String, Status, bool)>>,
}

impl Layer for Bearer {
    fn before(&self, ctx: &mut Context) -> Result<(), CallError> {
        match ctx.metadata("authorization") {
            Some("Bearer good") => Ok(()),
            Some(_) => Err(CallError::new(Status::PermissionDenied, "bad token")),
            None => Err(CallError::new(Status::Unauthenticated, "no token")),
        }
    }

    fn after(&self, outcome: &Outcome<'_>) {
        let seen = (
            outcome.method().to_owned(),
            outcome.status(),
            outcome.descriptor().is_some(),
        );
        self.outcomes.lock().unwrap().push(seen);
    }
}

#[tokio::test]
async fn a_refusing_layer_keeps_the_handler_from_running() {
    let bearer = Arc::new(Bearer::default());
    let (router, prober) = probe_router();
    let (server, client) = start(router.layer(bearer.clone())).await;
    let refused = client.count().await;
    assert!(
        matches!(
            refused,
            Err(CallError::Status {
                status: Status::Unauthenticated,
                ..
            })
        ),
        "{refused:?}"
    );
    let wrong = client
        .with_metadata("authorization", "Bearer bad")
        .count()
        .await;
    assert_eq!(wrong.unwrap_err().status(), Status::PermissionDenied);
    assert_eq!(
        prober.runs.load(Ordering::SeqCst),
        0,
        "a refused handler ran"
    );
    let allowed = client.with_metadata("authorization", "Bearer good");
    assert_eq!(allowed.count().await.unwrap(), 1);
    // A call of an unknown method meets the layer before `unknown_method`.
    let unknown = Client::connect(server.address.clone()).await.unwrap();
    let nope: Result<Value, _> = unknown
        .call("probe.nope", &json!([]), &CallOptions::new())
        .await;
    assert_eq!(nope.unwrap_err().status(), Status::Unauthenticated);
    let nope: Result<Value, _> = unknown
        .call(
            "probe.nope",
            &json!([]),
            &CallOptions::new().metadata("authorization", "Bearer good"),
        )
        .await;
    assert_eq!(nope.unwrap_err().status(), Status::UnknownMethod);
    server.stop().await;
    // Refused calls report to no layer (the refusing one is the only one); the rest do.
    let outcomes = bearer.outcomes.lock().unwrap().clone();
    assert_eq!(
        outcomes,
        [
            ("probe.count".to_owned(), Status::Ok, true),
            ("probe.nope".to_owned(), Status::UnknownMethod, false),
        ]
    );
}

/// Records every outcome, never refusing.
#[derive(Default)]
struct Recorder(Mutex<Vec<(String, Status)>>);

impl Layer for Recorder {
    fn after(&self, outcome: &Outcome<'_>) {
        let seen = (outcome.method().to_owned(), outcome.status());
        self.0.lock().unwrap().push(seen);
    }
}

#[tokio::test]
async fn an_outer_layer_sees_what_an_inner_one_refuses_and_calls_that_do_not_decode() {
    let recorder = Arc::new(Recorder::default());
    let bearer = Arc::new(Bearer::default());
    let router = probe_router()
        .0
        .layer(recorder.clone())
        .layer(bearer.clone());
    let (server, client) = start(router).await;
    let _ = client.count().await;
    let authorized = client
        .client()
        .with_metadata("authorization", "Bearer good");
    let bad_args: Result<Value, _> = authorized
        .call("probe.compute", &json!(["many"]), &CallOptions::new())
        .await;
    assert_eq!(bad_args.unwrap_err().status(), Status::InvalidArgs);
    server.stop().await;
    let outcomes = recorder.0.lock().unwrap().clone();
    assert_eq!(
        outcomes,
        [
            ("probe.count".to_owned(), Status::Unauthenticated),
            ("probe.compute".to_owned(), Status::InvalidArgs),
        ]
    );
}

/// Marks every call with the client's name.
struct Stamp;

impl ClientLayer for Stamp {
    fn before(&self, _method: &str, metadata: &mut Metadata) {
        metadata.push((
            ByteStr::from_static("client"),
            ByteStr::from_static("tests"),
        ));
    }
}

/// Counts the outcomes a client saw.
#[derive(Default)]
struct Tally(Mutex<Vec<Status>>);

impl ClientLayer for Tally {
    fn after(&self, _method: &str, status: Status, _elapsed: Duration) {
        self.0.lock().unwrap().push(status);
    }
}

#[tokio::test]
async fn a_client_layer_adds_metadata_the_server_sees_and_observes_outcomes() {
    let server = TestServer::start(probe_router().0, ServerConfig::default()).await;
    let tally = Arc::new(Tally::default());
    let config = ClientConfig::default().layer(Stamp).layer(tally.clone());
    let client = ProbeClient::new(
        Client::connect_with(server.address.clone(), config)
            .await
            .unwrap(),
    );
    let seen = client.with_metadata("user", "bo").seen().await.unwrap();
    assert_eq!(
        seen.metadata,
        [
            ("user".into(), "bo".into()),
            ("client".into(), "tests".into())
        ]
    );
    let _ = client.refuse("permission_denied".into()).await;
    server.stop().await;
    assert_eq!(
        *tally.0.lock().unwrap(),
        [Status::Ok, Status::PermissionDenied]
    );
}

#[tokio::test]
async fn a_blocking_method_does_not_stall_a_ping_on_the_same_connection() {
    let router =
        probe_router()
            .0
            .function("util.ping", ["text"], |text: String| async move { text });
    let (server, client) = start(router).await;
    let computing = tokio::spawn({
        let client = client.clone();
        async move { client.compute(300).await }
    });
    server.wait_for_calls(1).await;
    let pong: String = client
        .client()
        .call("util.ping", &json!(["hi"]), &CallOptions::new())
        .await
        .unwrap();
    assert_eq!(pong, "hi");
    assert!(
        !computing.is_finished(),
        "the ping waited for the computation"
    );
    assert_eq!(computing.await.unwrap().unwrap(), 300);
    server.stop().await;
}

#[tokio::test]
async fn metadata_over_the_bounds_is_too_large_and_the_connection_goes_on() {
    let config = ServerConfig::default().max_metadata(4, 64);
    let server = TestServer::start(probe_router().0, config).await;
    let client = ProbeClient::connect(server.address.clone()).await.unwrap();
    let many = (0..5).fold(client.clone(), |client, i| {
        client.with_metadata(&format!("k{i}"), "v")
    });
    let refused = many.seen().await.unwrap_err();
    assert_eq!(refused.status(), Status::TooLarge, "{refused}");
    assert!(refused.to_string().contains("5 pairs"), "{refused}");
    let long = client.with_metadata("k", &"x".repeat(100)).seen().await;
    assert_eq!(long.unwrap_err().status(), Status::TooLarge);
    assert_eq!(
        client
            .with_metadata("k", "v")
            .seen()
            .await
            .unwrap()
            .metadata
            .len(),
        1
    );
    server.stop().await;
}

#[tokio::test]
async fn functions_and_service_defs_get_the_context_too() {
    let router = Router::new()
        .function(
            "util.who",
            [],
            with_context(|ctx: Context| async move {
                format!(
                    "{} via {}",
                    ctx.metadata("user").unwrap_or("?"),
                    ctx.dialect()
                )
            }),
        )
        .try_function(
            "util.admin",
            ["action"],
            with_context(|ctx: Context, action: String| async move {
                match ctx.metadata("role") {
                    Some("admin") => Ok(action),
                    _ => Err(CallError::<String>::new(
                        Status::PermissionDenied,
                        "admins only",
                    )),
                }
            }),
        );
    assert_eq!(Dialect::Native.name(), "native");
    let server = TestServer::start(router, ServerConfig::default()).await;
    let client = Client::connect(server.address.clone()).await.unwrap();
    let options = CallOptions::new().metadata("user", "cy");
    let who: String = client.call("util.who", &json!([]), &options).await.unwrap();
    assert_eq!(who, "cy via native");
    let denied: Result<String, _> = client
        .call("util.admin", &json!(["reset"]), &CallOptions::new())
        .await;
    assert_eq!(denied.unwrap_err().status(), Status::PermissionDenied);
    let done: String = client
        .call(
            "util.admin",
            &json!(["reset"]),
            &CallOptions::new().metadata("role", "admin"),
        )
        .await
        .unwrap();
    assert_eq!(done, "reset");
    server.stop().await;
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn layers_hear_how_long_a_call_ran_and_that_a_cancelled_one_was_cancelled() {
    let recorder = Arc::new(Recorder::default());
    let timings = Arc::new(Timings::default());
    let router = Router::new()
        .function("util.nap", ["ms"], |ms: u64| async move {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            ms
        })
        .function("util.hang", [], std::future::pending::<()>)
        .layer(recorder.clone())
        .layer(timings.clone());
    let server = TestServer::start(router, ServerConfig::default()).await;
    let client = Client::connect(server.address.clone()).await.unwrap();
    let napped: u64 = client
        .call("util.nap", &json!([50]), &CallOptions::new())
        .await
        .unwrap();
    assert_eq!(napped, 50);
    let hung = tokio::spawn({
        let client = client.with_timeout(None);
        async move {
            let _: Result<Value, _> = client
                .call("util.hang", &json!([]), &CallOptions::new())
                .await;
        }
    });
    server.wait_for_calls(2).await;
    hung.abort();
    for _ in 0..100 {
        if recorder.0.lock().unwrap().len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    server.stop().await;
    assert_eq!(
        *recorder.0.lock().unwrap(),
        [
            ("util.nap".to_owned(), Status::Ok),
            ("util.hang".to_owned(), Status::Cancelled),
        ]
    );
    let nap = timings.0.lock().unwrap()[0];
    assert!(nap >= Duration::from_millis(50), "{nap:?}");
}

/// The durations layers are told.
#[derive(Default)]
struct Timings(Mutex<Vec<Duration>>);

impl Layer for Timings {
    fn after(&self, outcome: &Outcome<'_>) {
        self.0.lock().unwrap().push(outcome.elapsed());
    }
}
