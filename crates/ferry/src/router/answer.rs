//! How what a fallible function returns becomes a reply: `Result<T, E>` with the function's own
//! error type, or `Result<T, CallError<E>>`, which may also carry any status.

use std::fmt::Display;

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use super::{Call, Reply};
use crate::{descriptor::schema_of, CallError};

/// What a function registered with [`Router::try_function`](crate::Router::try_function) may
/// return. `How` tells the two kinds apart ([`TypedError`], [`WithStatus`]); it is inferred.
pub trait Answer<How>: Send + 'static {
    /// The schemas of the result and of the typed error.
    fn schemas() -> (Value, Option<Value>);
    /// The reply carrying this outcome of `call`.
    fn reply(&self, call: &Call) -> Reply;
}

/// Marks `Result<T, E>` answers: `E` is the function's own error, sent as `application`.
#[derive(Debug)]
pub enum TypedError {}

/// Marks `Result<T, CallError<E>>` answers: any status, or `E` as `application`.
#[derive(Debug)]
pub enum WithStatus {}

impl<T, E> Answer<TypedError> for Result<T, E>
where
    T: Serialize + JsonSchema + Send + 'static,
    E: Serialize + Display + JsonSchema + Send + 'static,
{
    fn schemas() -> (Value, Option<Value>) {
        result_and_error::<T, E>()
    }

    fn reply(&self, call: &Call) -> Reply {
        call.reply_result(self)
    }
}

impl<T, E> Answer<WithStatus> for Result<T, CallError<E>>
where
    T: Serialize + JsonSchema + Send + 'static,
    E: Serialize + Display + JsonSchema + Send + 'static,
{
    fn schemas() -> (Value, Option<Value>) {
        result_and_error::<T, E>()
    }

    fn reply(&self, call: &Call) -> Reply {
        call.reply_outcome(self)
    }
}

/// The schemas of a result `T` and of a typed error `E`, the same for both kinds of answer.
fn result_and_error<T: JsonSchema, E: JsonSchema>() -> (Value, Option<Value>) {
    (schema_of::<T>(), Some(schema_of::<E>()))
}
