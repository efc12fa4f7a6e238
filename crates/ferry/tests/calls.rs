//! Calls over real TCP on 127.0.0.1: results, errors, concurrency, deadlines, cancellation.
//!
//! Tests that wait on handlers' sleeps or on deadlines run on tokio's paused clock: server and
//! client share one current-thread runtime, so the clock moves only when every task waits.

mod common;

use std::time::Duration;

use common::{router, Drops, TestServer};
use ferry::{
    ByteStr, CallError, CallOptions, Client, ClientConfig, Codec, NoError, ServerConfig, Status,
};
use serde_json::{json, Value};

fn method(name: &'static str) -> ByteStr {
    ByteStr::from_static(name)
}

async fn setup() -> (TestServer, Client, Drops) {
    let drops = Drops::default();
    let server = TestServer::start(router(&drops), ServerConfig::default()).await;
    let client = Client::connect(server.address.clone())
        .await
        .expect("connect");
    (server, client, drops)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typed_result_by_name_and_by_position() {
    let (server, client, _) = setup().await;
    let named: i64 = client
        .call_typed::<_, _, NoError>(
            method("test.add"),
            &json!({"a": 2, "b": 40}),
            &CallOptions::new(),
        )
        .await
        .unwrap();
    let positional: i64 = client
        .call_typed::<_, _, NoError>(method("test.add"), &json!([2, 3]), &CallOptions::new())
        .await
        .unwrap();
    assert_eq!((named, positional), (42, 5));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn application_error_arrives_as_its_type() {
    let (server, client, _) = setup().await;
    let result = client
        .call_typed::<_, i64, String>(
            method("test.checked_div"),
            &json!({"a": 1, "b": 0}),
            &CallOptions::new(),
        )
        .await;
    match result {
        Err(CallError::Application(message)) => assert_eq!(message, "division by zero"),
        other => panic!("expected an application error, got {other:?}"),
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_method_and_wrong_argument_types_are_named() {
    let (server, client, _) = setup().await;
    let unknown = client
        .call_typed::<_, Value, NoError>(method("test.nope"), &json!({}), &CallOptions::new())
        .await;
    let Err(CallError::Status {
        status: Status::UnknownMethod,
        message,
        ..
    }) = unknown
    else {
        panic!("got {unknown:?}")
    };
    assert!(message.contains("test.nope"), "{message}");
    let wrong = client
        .call_typed::<_, i64, NoError>(
            method("test.add"),
            &json!({"a": "two", "b": 1}),
            &CallOptions::new(),
        )
        .await;
    let Err(CallError::Status {
        status: Status::InvalidArgs,
        message,
        ..
    }) = wrong
    else {
        panic!("got {wrong:?}")
    };
    assert!(message.contains("test.add"), "{message}");
    let missing = client
        .call_typed::<_, i64, NoError>(method("test.add"), &json!({"a": 1}), &CallOptions::new())
        .await;
    let Err(CallError::Status {
        status: Status::InvalidArgs,
        message,
        ..
    }) = missing
    else {
        panic!("got {missing:?}")
    };
    assert!(message.contains("missing parameter `b`"), "{message}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_optional_parameter_may_be_left_out() {
    let (server, client, _) = setup().await;
    let short: String = client
        .call_typed::<_, _, NoError>(
            method("test.greet"),
            &json!({"name": "ann"}),
            &CallOptions::new(),
        )
        .await
        .unwrap();
    let full: String = client
        .call_typed::<_, _, NoError>(
            method("test.greet"),
            &json!(["bo", "hi"]),
            &CallOptions::new(),
        )
        .await
        .unwrap();
    assert_eq!((short.as_str(), full.as_str()), ("hello, ann", "hi, bo"));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_codec_works_end_to_end() {
    let drops = Drops::default();
    let server = TestServer::start(router(&drops), ServerConfig::default()).await;
    let config = ClientConfig::default().codec(Codec::Json);
    let client = Client::connect_with(server.address.clone(), config)
        .await
        .unwrap();
    let sum: i64 = client
        .call_typed::<_, _, NoError>(
            method("test.add"),
            &json!({"a": 1, "b": 2}),
            &CallOptions::new(),
        )
        .await
        .unwrap();
    assert_eq!(sum, 3);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_calls_on_one_connection() {
    let (server, client, _) = setup().await;
    let calls = (0..1000i64).map(|i| {
        let client = client.clone();
        tokio::spawn(async move {
            let sum: i64 = client
                .call_typed::<_, _, NoError>(
                    method("test.add"),
                    &json!({"a": i, "b": i}),
                    &CallOptions::new(),
                )
                .await?;
            Ok::<_, CallError>((i, sum))
        })
    });
    let results = futures_util::future::join_all(calls).await;
    for result in results {
        let (i, sum) = result.unwrap().unwrap();
        assert_eq!(sum, 2 * i);
    }
    assert_eq!(
        server.stats.connections(),
        1,
        "all calls shared one connection"
    );
    server.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_slow_call_does_not_hold_up_fast_ones() {
    let (server, client, _) = setup().await;
    let slow_client = client.clone();
    let slow = tokio::spawn(async move {
        let ms: u64 = slow_client
            .call_typed::<_, _, NoError>(
                method("test.sleep"),
                &json!({"ms": 3000}),
                &CallOptions::new(),
            )
            .await
            .unwrap();
        (ms, tokio::time::Instant::now())
    });
    server.wait_for_calls(1).await;
    for i in 0..20 {
        let sum: i64 = client
            .call_typed::<_, _, NoError>(method("test.add"), &json!([i, 1]), &CallOptions::new())
            .await
            .unwrap();
        assert_eq!(sum, i + 1);
    }
    let fast_done = tokio::time::Instant::now();
    let (ms, slow_done) = slow.await.unwrap();
    assert_eq!(ms, 3000);
    assert!(
        fast_done < slow_done,
        "the fast calls finished while the slow one was running"
    );
    server.stop().await;
}

#[tokio::test(start_paused = true)]
async fn deadline_exceeded_drops_the_handler() {
    let (server, client, drops) = setup().await;
    let hurried = client.with_timeout(Some(Duration::from_millis(100)));
    let result = hurried
        .call_typed::<_, (), NoError>(method("test.hang"), &json!({}), &CallOptions::new())
        .await;
    assert!(
        matches!(
            result,
            Err(CallError::Status {
                status: Status::DeadlineExceeded,
                ..
            })
        ),
        "got {result:?}"
    );
    assert_eq!(
        drops.wait_for(1).await,
        1,
        "the server dropped the handler future"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_a_call_cancels_it_on_the_server() {
    let (server, client, drops) = setup().await;
    let unbounded = client.with_timeout(None);
    let call = tokio::spawn(async move {
        unbounded
            .call_typed::<_, (), NoError>(method("test.hang"), &json!({}), &CallOptions::new())
            .await
    });
    server.wait_for_calls(1).await;
    assert_eq!(drops.count(), 0, "the handler is still running");
    call.abort();
    assert_eq!(
        drops.wait_for(1).await,
        1,
        "the cancel frame reached the handler"
    );
    let sum: i64 = client
        .call_typed::<_, _, NoError>(method("test.add"), &json!([1, 1]), &CallOptions::new())
        .await
        .unwrap();
    assert_eq!(sum, 2, "the connection still serves");
    server.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_panicking_handler_answers_internal_while_others_continue() {
    let (server, client, _) = setup().await;
    let slow_client = client.clone();
    let slow = tokio::spawn(async move {
        slow_client
            .call_typed::<_, u64, NoError>(method("test.sleep"), &json!([200]), &CallOptions::new())
            .await
    });
    let panicked = client
        .call_typed::<_, (), NoError>(method("test.panic"), &json!([]), &CallOptions::new())
        .await;
    let Err(CallError::Status {
        status: Status::Internal,
        message,
        ..
    }) = panicked
    else {
        panic!("got {panicked:?}")
    };
    assert!(message.contains("boom"), "{message}");
    assert_eq!(slow.await.unwrap().unwrap(), 200);
    let sum: i64 = client
        .call_typed::<_, _, NoError>(method("test.add"), &json!([2, 2]), &CallOptions::new())
        .await
        .unwrap();
    assert_eq!(sum, 4);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_reaches_the_handler() {
    let router = ferry::Router::new().service(
        ferry::ServiceDef::new(ferry::ServiceDescriptor {
            name: "meta".into(),
            doc: String::new(),
            methods: Vec::new(),
        })
        .method("trace", |call: ferry::Call| {
            Box::pin(async move {
                let trace = call.context().metadata("trace-id").map(str::to_owned);
                call.reply_ok(&trace)
            })
        }),
    );
    let server = TestServer::start(router, ServerConfig::default()).await;
    let client = Client::connect(server.address.clone()).await.unwrap();
    let traced = client.with_metadata("trace-id", "abc123");
    let seen: Option<String> = traced
        .call_typed::<_, _, NoError>(method("meta.trace"), &json!({}), &CallOptions::new())
        .await
        .unwrap();
    assert_eq!(seen.as_deref(), Some("abc123"));
    let unseen: Option<String> = client
        .call_typed::<_, _, NoError>(method("meta.trace"), &json!({}), &CallOptions::new())
        .await
        .unwrap();
    assert_eq!(unseen, None);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reflection_describes_functions() {
    let (server, client, _) = setup().await;
    let reflection: ferry::Reflection = client
        .call_typed::<_, _, NoError>(
            method("ferry.reflect.describe"),
            &json!({}),
            &CallOptions::new(),
        )
        .await
        .unwrap();
    let test = reflection
        .services
        .iter()
        .find(|s| s.name == "test")
        .expect("test service");
    let greet = test
        .methods
        .iter()
        .find(|m| m.name == "greet")
        .expect("greet");
    let names: Vec<_> = greet.params.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["name", "greeting"]);
    let div = test
        .methods
        .iter()
        .find(|m| m.name == "checked_div")
        .unwrap();
    assert!(
        div.error.is_some(),
        "a fallible function has an error schema"
    );
    assert!(reflection
        .services
        .iter()
        .any(|s| s.name == "ferry.reflect"));
    server.stop().await;
}
