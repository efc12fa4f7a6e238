//! `calc`: a calculator with a typed error and a defaulted parameter.

use std::time::SystemTime;

use ferry::{CallError, Sink, Source};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What [`Calc::divide`] and [`Calc::add`] refuse to do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, thiserror::Error)]
#[error("{message}")]
pub struct InvalidOperation {
    /// Why, e.g. `division by zero`.
    pub message: String,
}

/// A calculator.
#[ferry::service]
pub trait Calc {
    /// Adds two integers; a sum beyond 64 bits is an `InvalidOperation`.
    async fn add(&self, a: i64, b: i64) -> Result<i64, InvalidOperation>;
    /// Divides `num1` by `num2`, which defaults to 1; fails on a zero divisor.
    #[ferry(idempotent)]
    async fn divide(
        &self,
        num1: f64,
        #[ferry(default = 1.0)] num2: f64,
    ) -> Result<f64, InvalidOperation>;
    /// The server's current UTC time, in RFC 3339 (`2024-05-01T12:34:56Z`).
    async fn get_time(&self) -> String;
    /// Divides `num1` by each divisor of a stream as it comes, streaming the quotients back;
    /// a zero divisor ends the stream with an `InvalidOperation`.
    async fn quotients(
        &self,
        num1: f64,
        divisors: Source<f64>,
        out: Sink<f64>,
    ) -> Result<(), CallError<InvalidOperation>>;
}

/// The [`Calc`] service.
#[derive(Debug, Clone, Copy, Default)]
pub struct Calculator;

impl Calc for Calculator {
    async fn add(&self, a: i64, b: i64) -> Result<i64, InvalidOperation> {
        a.checked_add(b).ok_or_else(|| InvalidOperation {
            message: format!("{a} + {b} overflows a 64-bit integer"),
        })
    }

    async fn divide(&self, num1: f64, num2: f64) -> Result<f64, InvalidOperation> {
        if num2 == 0.0 {
            return Err(InvalidOperation {
                message: "division by zero".to_owned(),
            });
        }
        Ok(num1 / num2)
    }

    async fn get_time(&self) -> String {
        humantime::format_rfc3339_seconds(SystemTime::now()).to_string()
    }

    async fn quotients(
        &self,
        num1: f64,
        mut divisors: Source<f64>,
        mut out: Sink<f64>,
    ) -> Result<(), CallError<InvalidOperation>> {
        while let Some(divisor) = divisors.recv().await {
            let quotient = self.divide(num1, divisor?).await;
            out.send(quotient.map_err(CallError::Application)?).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn get_time_is_rfc3339_utc() {
        let now = Calculator.get_time().await;
        let parsed = humantime::parse_rfc3339(&now).expect("RFC 3339");
        let skew = SystemTime::now().duration_since(parsed).unwrap_or_default();
        assert!(now.ends_with('Z') && skew.as_secs() < 60, "{now}");
    }

    #[tokio::test]
    async fn add_refuses_overflow() {
        assert_eq!(Calculator.add(2, 3).await, Ok(5));
        let refused = Calculator.add(i64::MAX, 1).await.unwrap_err();
        assert!(refused.message.contains("overflows"), "{}", refused.message);
    }

    #[tokio::test]
    async fn divide_refuses_zero() {
        assert_eq!(Calculator.divide(200.0, 100.0).await, Ok(2.0));
        let refused = Calculator.divide(1.0, 0.0).await.unwrap_err();
        assert_eq!(refused.to_string(), "division by zero");
    }
}
