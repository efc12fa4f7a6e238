//! The README's calculator: a service trait, its implementation, a server and a typed client.
//!
//! Run with `cargo run -p ferry-examples --example calculator`.

use ferry::{CallError, Router, Server};
use serde::{Deserialize, Serialize};

/// What `divide` refuses to do.
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema, thiserror::Error)]
#[error("{message}")]
pub struct InvalidOperation {
    /// Why.
    pub message: String,
}

/// A calculator.
#[ferry::service]
pub trait Calc {
    /// Adds two integers.
    async fn add(&self, a: i64, b: i64) -> i64;
    /// Divides `num1` by `num2`; a zero divisor is an `InvalidOperation`.
    #[ferry(idempotent)]
    async fn divide(
        &self,
        num1: f64,
        #[ferry(default = 1.0)] num2: f64,
    ) -> Result<f64, InvalidOperation>;
}

struct MyCalc;

impl Calc for MyCalc {
    async fn add(&self, a: i64, b: i64) -> i64 {
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
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let server = Server::bind(
        "127.0.0.1:0",
        Router::new().service(CalcServer::new(MyCalc)),
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
    Ok(())
}
