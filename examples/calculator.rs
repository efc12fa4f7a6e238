//! The README's calculator: a service trait, its implementation, a server and a typed client.
//!
//! Run with `cargo run -p ferry-examples --example calculator`.

use std::sync::atomic::{AtomicI64, Ordering};

use ferry::{CallError, Context, Router, Server, Status};
use serde::{Deserialize, Serialize};

/// What `divide` refuses to do.
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema, thiserror::Error)]
#[error("{message}")]
pub struct InvalidOperation {
    /// Why.
    pub message: String,
}

/// A calculator with a memory.
#[ferry::service]
pub trait Calc {
    /// Adds two integers and remembers the sum.
    async fn add(&self, a: i64, b: i64) -> i64;
    /// Divides `num1` by `num2`; a zero divisor is an `InvalidOperation`.
    #[ferry(idempotent)]
    async fn divide(
        &self,
        num1: f64,
        #[ferry(default = 1.0)] num2: f64,
    ) -> Result<f64, InvalidOperation>;
    /// Clears the memory. Only callers whose `role` metadata is `admin` may.
    async fn clear(&self, ctx: &Context) -> Result<i64, CallError>;
}

#[derive(Default)]
struct MyCalc {
    memory: AtomicI64,
}

impl Calc for MyCalc {
    async fn add(&self, a: i64, b: i64) -> i64 {
        self.memory.store(a + b, Ordering::Relaxed);
        a + b
    }

    async fn divide(&self, num1: f64, num2: f64) -> Result<f64, InvalidOperation> {
        if num2 == 0.0 {
            return Err(InvalidOperation {
                message: "division by zero".into(),
            });
        }
        Ok(num1 / num2)
    }

    async fn clear(&self, ctx: &Context) -> Result<i64, CallError> {
        if ctx.metadata("role") != Some("admin") {
            let message = format!("{} may clear the memory only as admin", ctx.peer());
            return Err(CallError::new(Status::PermissionDenied, message));
        }
        Ok(self.memory.swap(0, Ordering::Relaxed))
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let server = Server::bind(
        "127.0.0.1:0",
        Router::new().service(CalcServer::new(MyCalc::default())),
    )
    .await?;
    let address = server.local_address();
    tokio::spawn(server.run_until_signal());

    let calc = CalcClient::connect(address).await?;
    assert_eq!(calc.add(2, 3).await?, 5);
    match calc.divide(1.0, 0.0).await {
        Err(CallError::Application(InvalidOperation { message })) => println!("refused: {message}"),
        other => println!("unexpected: {other:?}"),
    }
    if let Err(err) = calc.clear().await {
        println!("{err}"); // permission_denied: 127.0.0.1:...
    }
    let cleared = calc.with_metadata("role", "admin").clear().await?;
    println!("cleared {cleared}");
    Ok(())
}
