//! `#[ferry::service]` end to end: generated servers and clients talking over real TCP.

use std::{
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::Duration,
};

use ferry::{
    Address, ByteStr, CallError, CallOptions, Client, ClientConfig, Codec, NoError, Reflection,
    Router, Server, Status,
};
use serde_json::{json, Value};

/// An operation the calculator refuses.
#[derive(
    Debug,
    Clone,
    PartialEq,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
    thiserror::Error,
)]
#[error("invalid operation: {message}")]
pub struct InvalidOperation {
    message: String,
}

/// A calculator.
#[ferry::service]
pub trait Calc {
    /// Adds two integers.
    async fn add(&self, a: i64, b: i64) -> i64;
    /// Divides; a zero divisor fails.
    ///
    /// The divisor defaults to one.
    #[ferry(idempotent)]
    async fn divide(
        &self,
        num1: f64,
        #[ferry(default = 1.0)] num2: f64,
    ) -> Result<f64, InvalidOperation>;
    /// The server's clock, as text.
    async fn get_time(&self) -> String;
}

struct MyCalc;

impl Calc for MyCalc {
    async fn add(&self, a: i64, b: i64) -> i64 {
        a + b
    }

    async fn divide(&self, num1: f64, num2: f64) -> Result<f64, InvalidOperation> {
        if num2 == 0.0 {
            return Err(InvalidOperation {
                message: format!("cannot divide {num1} by zero"),
            });
        }
        Ok(num1 / num2)
    }

    async fn get_time(&self) -> String {
        "12:00".to_owned()
    }
}

/// Echoes text, under a chosen service name.
#[ferry::service(name = "custom")]
pub trait Renamed {
    /// Returns `r#type` with a prefix; the parameter is called `type` on the wire.
    async fn echo(&self, r#type: String, #[ferry(default = 1)] times: usize) -> String;
}

struct Echo;

impl Renamed for Echo {
    async fn echo(&self, r#type: String, times: usize) -> String {
        format!("echo: {}", r#type.repeat(times))
    }
}

/// A counter whose state lives behind `&self`; methods take no arguments or return nothing.
#[ferry::service]
pub trait KeyValueStore {
    /// Adds `by` and returns the new total.
    async fn increment(&self, by: u64) -> u64;
    /// Sets the total back to zero.
    async fn reset(&self);
    /// The total.
    async fn total(&self) -> u64;
}

#[derive(Default)]
struct Counter(AtomicU64);

impl KeyValueStore for Counter {
    async fn increment(&self, by: u64) -> u64 {
        // An await point while holding nothing that is !Send: the future stays Send.
        tokio::task::yield_now().await;
        self.0.fetch_add(by, Ordering::SeqCst) + by
    }

    async fn reset(&self) {
        self.0.store(0, Ordering::SeqCst);
    }

    async fn total(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// Binds a server on an ephemeral port, spawns it and returns its address.
async fn serve(router: Router) -> Address {
    let server = Server::bind("127.0.0.1:0", router)
        .await
        .expect("bind 127.0.0.1:0");
    let address = server.local_address();
    tokio::spawn(server.run());
    address
}

/// A server with every test service, and a connected `CalcClient`.
async fn calc() -> CalcClient {
    let router = Router::new()
        .service(CalcServer::new(MyCalc))
        .service(RenamedServer::new(Echo))
        .service(KeyValueStoreServer::from_arc(Arc::new(Counter::default())));
    let address = serve(router).await;
    CalcClient::connect(address).await.expect("connect")
}

/// An untyped call through the stub's client.
async fn raw<T: serde::de::DeserializeOwned>(
    calc: &CalcClient,
    method: &'static str,
    args: Value,
) -> Result<T, CallError<InvalidOperation>> {
    calc.client()
        .call_typed::<_, T, InvalidOperation>(
            ByteStr::from_static(method),
            &args,
            &CallOptions::new(),
        )
        .await
}

#[tokio::test]
async fn typed_results() {
    let calc = calc().await;
    assert_eq!(calc.add(2, 3).await.unwrap(), 5);
    assert_eq!(calc.add(-7, 3).await.unwrap(), -4);
    assert_eq!(calc.divide(6.0, 3.0).await.unwrap(), 2.0);
    assert_eq!(calc.get_time().await.unwrap(), "12:00");
}

#[tokio::test]
async fn typed_application_error() {
    let calc = calc().await;
    match calc.divide(1.0, 0.0).await {
        Err(CallError::Application(InvalidOperation { message })) => {
            assert_eq!(message, "cannot divide 1 by zero");
        }
        other => panic!("expected an application error, got {other:?}"),
    }
}

#[tokio::test]
async fn left_out_parameter_takes_its_default() {
    let calc = calc().await;
    let quotient: f64 = raw(&calc, "calc.divide", json!({"num1": 5.0}))
        .await
        .unwrap();
    assert_eq!(quotient, 5.0);
}

#[tokio::test]
async fn positional_arguments() {
    let calc = calc().await;
    let sum: i64 = raw(&calc, "calc.add", json!([2, 3])).await.unwrap();
    assert_eq!(sum, 5);
    let quotient: f64 = raw(&calc, "calc.divide", json!([9.0, 3.0])).await.unwrap();
    assert_eq!(quotient, 3.0);
    let defaulted: f64 = raw(&calc, "calc.divide", json!([9.0])).await.unwrap();
    assert_eq!(defaulted, 9.0);
}

#[tokio::test]
async fn wrong_arguments_are_invalid_args() {
    let calc = calc().await;
    let wrong_type = raw::<i64>(&calc, "calc.add", json!({"a": "two", "b": 3})).await;
    assert!(
        matches!(&wrong_type, Err(CallError::Status { status: Status::InvalidArgs, message, .. }) if message.contains("calc.add")),
        "{wrong_type:?}"
    );
    let missing = raw::<i64>(&calc, "calc.add", json!({"a": 2})).await;
    assert!(
        matches!(&missing, Err(CallError::Status { status: Status::InvalidArgs, message, .. }) if message.contains("`b`")),
        "{missing:?}"
    );
    let too_many = raw::<i64>(&calc, "calc.add", json!([1, 2, 3])).await;
    assert!(
        matches!(&too_many, Err(CallError::Status { status: Status::InvalidArgs, message, .. }) if message.contains("it takes 2 arguments, 3 were given")),
        "{too_many:?}"
    );
    let not_args = raw::<String>(&calc, "calc.get_time", json!("now")).await;
    assert!(
        matches!(
            not_args,
            Err(CallError::Status {
                status: Status::InvalidArgs,
                ..
            })
        ),
        "{not_args:?}"
    );
}

#[tokio::test]
async fn no_argument_and_unit_methods() {
    let calc = calc().await;
    let store = KeyValueStoreClient::new(calc.client().clone());
    assert_eq!(store.increment(2).await.unwrap(), 2);
    assert_eq!(store.increment(3).await.unwrap(), 5);
    assert_eq!(store.total().await.unwrap(), 5);
    store.reset().await.unwrap();
    assert_eq!(store.total().await.unwrap(), 0);
    // An empty positional array is fine too.
    let total: u64 = calc
        .client()
        .call_typed::<_, u64, NoError>(
            ByteStr::from_static("key_value_store.total"),
            &json!([]),
            &CallOptions::new(),
        )
        .await
        .unwrap();
    assert_eq!(total, 0);
}

#[tokio::test]
async fn handle_adjustments_share_the_connection() {
    let calc = calc().await;
    let adjusted = calc
        .with_timeout(Some(Duration::from_secs(5)))
        .with_metadata("trace", "abc");
    assert_eq!(adjusted.add(1, 1).await.unwrap(), 2);
    assert_eq!(adjusted.clone().add(2, 2).await.unwrap(), 4);
}

#[test]
fn descriptor_describes_the_trait() {
    let descriptor = CalcClient::descriptor();
    assert_eq!(descriptor.name, "calc");
    assert_eq!(descriptor.doc, "A calculator.");
    let names: Vec<&str> = descriptor.methods.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["add", "divide", "get_time"]);

    let add = &descriptor.methods[0];
    assert_eq!(add.doc, "Adds two integers.");
    assert_eq!(add.params.len(), 2);
    assert!(add.params.iter().all(|p| p.is_required()));
    assert_eq!(add.params[0].name, "a");
    assert_eq!(add.params[0].schema, ferry::schema_of::<i64>());
    assert_eq!(add.result, ferry::schema_of::<i64>());
    assert_eq!(add.error, None);
    assert!(!add.idempotent);

    let divide = &descriptor.methods[1];
    assert_eq!(
        divide.doc,
        "Divides; a zero divisor fails.\n\nThe divisor defaults to one."
    );
    assert!(divide.idempotent);
    assert_eq!(divide.params[0].name, "num1");
    assert!(divide.params[0].is_required());
    assert_eq!(divide.params[1].name, "num2");
    assert_eq!(divide.params[1].default, Some(json!(1.0)));
    assert_eq!(divide.result, ferry::schema_of::<f64>());
    assert_eq!(divide.error, Some(ferry::schema_of::<InvalidOperation>()));

    let get_time = &descriptor.methods[2];
    assert!(get_time.params.is_empty());
    assert_eq!(get_time.result, ferry::schema_of::<String>());
}

#[test]
fn service_name_defaults_to_snake_case_and_can_be_set() {
    assert_eq!(KeyValueStoreClient::descriptor().name, "key_value_store");
    let renamed = RenamedClient::descriptor();
    assert_eq!(renamed.name, "custom");
    let echo = &renamed.methods[0];
    assert_eq!(echo.name, "echo");
    assert_eq!(echo.params[0].name, "type");
    assert_eq!(echo.params[1].default, Some(json!(1)));
}

#[tokio::test]
async fn renamed_service_is_served_under_its_name() {
    let calc = calc().await;
    let echo = RenamedClient::new(calc.client().clone());
    assert_eq!(echo.echo("hi".to_owned(), 2).await.unwrap(), "echo: hihi");
    let by_wire_name: String = raw(&calc, "custom.echo", json!({"type": "x"}))
        .await
        .unwrap();
    assert_eq!(by_wire_name, "echo: x");
    let by_trait_name = raw::<String>(&calc, "renamed.echo", json!({"type": "x"})).await;
    assert!(
        matches!(
            by_trait_name,
            Err(CallError::Status {
                status: Status::UnknownMethod,
                ..
            })
        ),
        "{by_trait_name:?}"
    );
}

#[tokio::test]
async fn reflection_lists_the_service() {
    let calc = calc().await;
    let reflection: Reflection = calc
        .client()
        .call_typed::<_, Reflection, NoError>(
            ByteStr::from_static("ferry.reflect.describe"),
            &json!({}),
            &CallOptions::new().idempotent(),
        )
        .await
        .unwrap();
    let names: Vec<&str> = reflection
        .services
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    assert!(names.contains(&"calc"), "{names:?}");
    assert!(names.contains(&"custom"), "{names:?}");
    assert!(names.contains(&"key_value_store"), "{names:?}");
    let served = reflection
        .services
        .iter()
        .find(|s| s.name == "calc")
        .unwrap();
    assert_eq!(*served, CalcClient::descriptor());
}

#[tokio::test]
async fn json_codec() {
    let address = serve(Router::new().service(CalcServer::new(MyCalc))).await;
    let client = Client::connect_with(address, ClientConfig::default().codec(Codec::Json))
        .await
        .expect("connect");
    assert_eq!(client.codec(), Codec::Json);
    let calc = CalcClient::new(client);
    assert_eq!(calc.add(20, 22).await.unwrap(), 42);
    assert_eq!(calc.divide(1.0, 4.0).await.unwrap(), 0.25);
    assert!(matches!(
        calc.divide(1.0, 0.0).await,
        Err(CallError::Application(InvalidOperation { .. }))
    ));
    let defaulted: f64 = raw(&calc, "calc.divide", json!({"num1": 5.0}))
        .await
        .unwrap();
    assert_eq!(defaulted, 5.0);
    let wrong = raw::<i64>(&calc, "calc.add", json!({"a": 1.5, "b": 3})).await;
    assert!(
        matches!(
            wrong,
            Err(CallError::Status {
                status: Status::InvalidArgs,
                ..
            })
        ),
        "{wrong:?}"
    );
}
