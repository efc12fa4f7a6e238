//! [`Value`]: any value, for functions that take and return what they are given untyped,
//! keeping the bytes and times that JSON cannot tell from text.
//!
//! | [`Value`] | MessagePack | JSON | XML-RPC |
//! |---|---|---|---|
//! | `Null` | nil | `null` | `<nil/>` |
//! | `Bool` | bool | `true`/`false` | `<boolean>` |
//! | `Int`, `UInt` | int | number | `<int>`/`<i8>` |
//! | `Float` | float | number | `<double>` |
//! | `String` | str | string | `<string>` |
//! | `Bytes` | bin | base64 string | `<base64>` |
//! | `Time` | timestamp (ext -1) | RFC 3339 string | `<dateTime.iso8601>` |
//! | `Array` | array | array | `<array>` |
//! | `Map` | map | object | `<struct>` |
//!
//! Read from JSON, a base64 or RFC 3339 string is a `String`: JSON has no way to say
//! otherwise. Read from MessagePack, bin and timestamps keep their types.

mod civil;
mod de;
mod iso8601;
mod schema;
mod ser;
mod time;
mod timestamp;

use bytes::Bytes;

pub use de::MapKey;
pub use schema::VALUE_MARKER;
pub use time::{CivilTime, Time, TimeError};

/// Any value, with bytes and times kept apart from text: what a dynamically registered
/// function takes and returns when its values have no Rust type (see the [module](self) for
/// how each dialect carries it).
///
/// ```
/// use ferry::{Router, Value};
///
/// let router = Router::new().function("test.echo", ["value"], |value: Value| async move { value });
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    /// Nothing: nil, `null`.
    #[default]
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// An integer that fits `i64`; every integer that does is read as this.
    Int(i64),
    /// An integer above `i64::MAX`.
    UInt(u64),
    /// A floating-point number.
    Float(f64),
    /// Text.
    String(String),
    /// Bytes.
    Bytes(Bytes),
    /// An instant in UTC.
    Time(Time),
    /// A list of values.
    Array(Vec<Value>),
    /// Named values, in their order (names as they came, repeats kept).
    Map(Vec<(String, Value)>),
}

impl From<bool> for Value {
    fn from(boolean: bool) -> Value {
        Value::Bool(boolean)
    }
}

impl From<i64> for Value {
    fn from(int: i64) -> Value {
        Value::Int(int)
    }
}

impl From<u64> for Value {
    fn from(int: u64) -> Value {
        i64::try_from(int).map_or(Value::UInt(int), Value::Int)
    }
}

impl From<f64> for Value {
    fn from(float: f64) -> Value {
        Value::Float(float)
    }
}

impl From<&str> for Value {
    fn from(text: &str) -> Value {
        Value::String(text.to_owned())
    }
}

impl From<String> for Value {
    fn from(text: String) -> Value {
        Value::String(text)
    }
}

impl From<Bytes> for Value {
    fn from(bytes: Bytes) -> Value {
        Value::Bytes(bytes)
    }
}

impl From<Time> for Value {
    fn from(time: Time) -> Value {
        Value::Time(time)
    }
}

impl From<Vec<Value>> for Value {
    fn from(items: Vec<Value>) -> Value {
        Value::Array(items)
    }
}

/// JSON's values: numbers as `Int`, `UInt` or `Float`, objects as maps in their order.
impl From<serde_json::Value> for Value {
    fn from(json: serde_json::Value) -> Value {
        use serde_json::Value as Json;
        match json {
            Json::Null => Value::Null,
            Json::Bool(boolean) => Value::Bool(boolean),
            Json::Number(number) => match (number.as_i64(), number.as_u64()) {
                (Some(int), _) => Value::Int(int),
                (None, Some(int)) => Value::UInt(int),
                (None, None) => Value::Float(number.as_f64().unwrap_or_default()),
            },
            Json::String(text) => Value::String(text),
            Json::Array(items) => Value::Array(items.into_iter().map(Value::from).collect()),
            Json::Object(members) => Value::Map(
                members
                    .into_iter()
                    .map(|(name, json)| (name, Value::from(json)))
                    .collect(),
            ),
        }
    }
}
