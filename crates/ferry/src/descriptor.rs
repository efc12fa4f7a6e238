//! What a server offers, as data: services, methods, parameters, schemas, defaults and docs.
//!
//! `#[ferry::service]` and [`Router::function`](crate::Router::function) build these; the
//! built-in `ferry.reflect` service serves them, and `ferry list` prints them.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One service: a name and its methods.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ServiceDescriptor {
    /// The service name, the part of a full method name before the dot.
    pub name: String,
    /// The doc comment of the service trait.
    #[serde(default)]
    pub doc: String,
    /// The methods, in declaration order.
    pub methods: Vec<MethodDescriptor>,
}

/// One method: how to call it and what comes back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct MethodDescriptor {
    /// The method name, the part after the dot.
    pub name: String,
    /// The method's doc comment.
    #[serde(default)]
    pub doc: String,
    /// The parameters, in declaration order.
    pub params: Vec<ParamDescriptor>,
    /// JSON Schema of the result.
    pub result: Value,
    /// JSON Schema of the handler's own error, for methods that return `Result`.
    #[serde(default)]
    pub error: Option<Value>,
    /// Whether a call may be re-sent after a failure before the server ran it.
    #[serde(default)]
    pub idempotent: bool,
    /// JSON Schema of the items the caller streams, for a method that takes a stream.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_stream: Option<Value>,
    /// JSON Schema of the items the server streams back, for a method that sends a stream.
    /// Such a method's `result` is what its stream ends with (usually nothing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_stream: Option<Value>,
}

impl MethodDescriptor {
    /// Whether calls of this method carry a stream either way.
    pub fn is_streaming(&self) -> bool {
        self.client_stream.is_some() || self.server_stream.is_some()
    }
}

/// One parameter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ParamDescriptor {
    /// The parameter name, the key callers use in the argument map.
    pub name: String,
    /// JSON Schema of the parameter's type.
    pub schema: Value,
    /// The value used when a caller leaves the parameter out; `None` means required.
    #[serde(default)]
    pub default: Option<Value>,
}

impl ParamDescriptor {
    /// A required parameter of type `T`.
    pub fn required<T: JsonSchema>(name: &str) -> ParamDescriptor {
        ParamDescriptor {
            name: name.to_owned(),
            schema: schema_of::<T>(),
            default: None,
        }
    }

    /// A parameter of type `T` that callers may leave out, taking `default`.
    pub fn with_default<T: JsonSchema + Serialize>(name: &str, default: &T) -> ParamDescriptor {
        ParamDescriptor {
            default: Some(serde_json::to_value(default).unwrap_or(Value::Null)),
            ..ParamDescriptor::required::<T>(name)
        }
    }

    /// Whether callers must pass this parameter.
    pub fn is_required(&self) -> bool {
        self.default.is_none()
    }
}

/// The JSON Schema of `T`, as a JSON value.
pub fn schema_of<T: JsonSchema>() -> Value {
    schemars::SchemaGenerator::default()
        .into_root_schema_for::<T>()
        .to_value()
}

/// The document `ferry.reflect.describe` returns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Reflection {
    /// Every service the server offers, by name.
    pub services: Vec<ServiceDescriptor>,
}
