//! `ferry list`: what a server offers, from its `ferry.reflect.describe`.

use std::{fmt, time::Duration};

use ferry::{
    CallError, CallOptions, Client, MethodDescriptor, NoError, Reflection, ServiceDescriptor,
    Status,
};
use ferry_discovery::Policy;
use serde_json::Value;

use crate::{args, auth::TokenArgs, connect, failure::Failure, output::print};

/// The full name of the reflection method every ferry server offers.
const DESCRIBE: &str = "ferry.reflect.describe";

/// How long `ferry list` waits for the server.
const TIMEOUT: Duration = Duration::from_secs(30);

/// `ferry list ADDR [--json]`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  ferry list 127.0.0.1:7070
  ferry list unix:/tmp/ferry.sock --json")]
pub(crate) struct ListArgs {
    /// The server: HOST:PORT, unix:PATH, a list HOST:PORT,HOST:PORT or etcd://HOST:PORT (one
    /// of their servers is asked).
    #[arg(value_name = "ADDR")]
    address: String,
    /// Print the reflection document as pretty JSON instead.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    tls: crate::tls_args::TlsArgs,
    #[command(flatten)]
    token: TokenArgs,
}

/// Prints every service and method of the server.
pub(crate) async fn run(args: ListArgs) -> Result<(), Failure> {
    let config = args
        .tls
        .native(args.token.config(args::client_config(TIMEOUT)))?;
    let client = connect::client(&args.address, config, Policy::default()).await?;
    let reflection = describe(&client).await?;
    if args.json {
        let text = serde_json::to_string_pretty(&reflection)
            .map_err(|err| CallError::new(Status::Protocol, err.to_string()))?;
        print(format_args!("{text}\n"))
    } else {
        print(Listing(&reflection))
    }
}

/// Asks the server to describe itself.
pub(crate) async fn describe(client: &Client) -> Result<Reflection, CallError> {
    client
        .call_typed::<[Value], Reflection, NoError>(DESCRIBE, &[], &CallOptions::new().idempotent())
        .await
}

/// The reflection document as indented text, one line per service and method.
struct Listing<'a>(&'a Reflection);

impl fmt::Display for Listing<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0
            .services
            .iter()
            .try_for_each(|service| write_service(f, service))
    }
}

fn write_service(f: &mut fmt::Formatter<'_>, service: &ServiceDescriptor) -> fmt::Result {
    let doc = one_line(&service.doc);
    if doc.is_empty() {
        writeln!(f, "{}", service.name)?;
    } else {
        writeln!(f, "{} — {doc}", service.name)?;
    }
    for method in &service.methods {
        writeln!(f, "  {}", signature(method))?;
        for line in method.doc.lines() {
            writeln!(f, "      {line}")?;
        }
    }
    Ok(())
}

/// `name(param: type = default, ...) -> type  ! Error  [idempotent]`; a stream the caller
/// sends is the last parameter, `stream of T`, and one the server sends is the result.
fn signature(method: &MethodDescriptor) -> String {
    let mut params: Vec<String> = method
        .params
        .iter()
        .map(|param| match &param.default {
            Some(default) => format!("{}: {} = {default}", param.name, type_name(&param.schema)),
            None => format!("{}: {}", param.name, type_name(&param.schema)),
        })
        .collect();
    params.extend(method.client_stream.as_ref().map(stream_of));
    let result = method
        .server_stream
        .as_ref()
        .map_or_else(|| type_name(&method.result), stream_of);
    let mut line = format!("{}({}) -> {result}", method.name, params.join(", "));
    if let Some(error) = &method.error {
        line.push_str(&format!("  ! {}", type_name(error)));
    }
    if method.idempotent {
        line.push_str("  [idempotent]");
    }
    line
}

/// `stream of T` for a stream of items of schema `items`.
fn stream_of(items: &Value) -> String {
    format!("stream of {}", type_name(items))
}

/// A readable name for the type a JSON schema describes.
fn type_name(schema: &Value) -> String {
    let title = schema.get("title").and_then(Value::as_str);
    if is_bytes(schema) {
        return "bytes".to_owned();
    }
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        return reference.rsplit('/').next().unwrap_or(reference).to_owned();
    }
    if let (Some(title), Some(_)) = (title, schema.get("enum")) {
        return title.to_owned();
    }
    match schema.get("type") {
        Some(Value::String(kind)) => named_type(kind, schema, title),
        Some(Value::Array(kinds)) => kinds
            .iter()
            .map(|kind| kind.as_str().unwrap_or("any"))
            .collect::<Vec<_>>()
            .join(" | "),
        _ => alternatives(schema)
            .or(title.map(str::to_owned))
            .unwrap_or_else(|| "any".to_owned()),
    }
}

/// The name of a schema whose `type` is the single `kind`.
fn named_type(kind: &str, schema: &Value, title: Option<&str>) -> String {
    match (kind, schema.get("items")) {
        ("array", Some(items)) => format!("array of {}", type_name(items)),
        ("array", None) => "array of any".to_owned(),
        ("object", _) => match (title, schema.get("additionalProperties")) {
            (_, Some(values)) if values.is_object() && schema.get("properties").is_none() => {
                format!("map of {}", type_name(values))
            }
            (Some(title), _) => title.to_owned(),
            (None, _) => "object".to_owned(),
        },
        _ => kind.to_owned(),
    }
}

/// `A | B` for an `anyOf` or `oneOf` schema.
fn alternatives(schema: &Value) -> Option<String> {
    let options = schema
        .get("anyOf")
        .or_else(|| schema.get("oneOf"))?
        .as_array()?;
    let names: Vec<String> = options.iter().map(type_name).collect();
    Some(names.join(" | "))
}

/// Whether the schema is an array of integers from 0 to 255 (perhaps also a string): bytes.
fn is_bytes(schema: &Value) -> bool {
    let array = match schema.get("type") {
        Some(Value::String(kind)) => kind == "array",
        Some(Value::Array(kinds)) => kinds.iter().any(|kind| kind == "array"),
        _ => false,
    };
    array && schema.get("items").is_some_and(is_byte)
}

/// Whether an item schema is an integer from 0 to 255.
fn is_byte(items: &Value) -> bool {
    items.get("type").and_then(Value::as_str) == Some("integer")
        && items.get("minimum").and_then(Value::as_u64) == Some(0)
        && items.get("maximum").and_then(Value::as_u64) == Some(255)
}

/// The text with every run of whitespace, newlines included, made one space.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use ferry::{schema_of, ParamDescriptor};
    use serde_json::json;

    use super::*;

    #[test]
    fn schemas_of_rust_types_get_readable_names() {
        assert_eq!(type_name(&schema_of::<i64>()), "integer");
        assert_eq!(type_name(&schema_of::<f64>()), "number");
        assert_eq!(type_name(&schema_of::<String>()), "string");
        assert_eq!(type_name(&schema_of::<bool>()), "boolean");
        assert_eq!(type_name(&schema_of::<()>()), "null");
        assert_eq!(type_name(&schema_of::<Option<i64>>()), "integer | null");
        assert_eq!(type_name(&schema_of::<Vec<String>>()), "array of string");
        assert_eq!(type_name(&schema_of::<ferry::Bytes>()), "bytes");
        assert_eq!(type_name(&schema_of::<Vec<u8>>()), "bytes");
        assert_eq!(type_name(&schema_of::<Reflection>()), "Reflection");
        assert_eq!(
            type_name(&schema_of::<Vec<Reflection>>()),
            "array of Reflection"
        );
        assert_eq!(
            type_name(&schema_of::<HashMap<String, i64>>()),
            "map of integer"
        );
        assert_eq!(
            type_name(&schema_of::<Option<Reflection>>()),
            "Reflection | null"
        );
        assert_eq!(type_name(&json!(true)), "any");
        assert_eq!(type_name(&json!({})), "any");
    }

    #[test]
    fn methods_render_as_signatures() {
        let method = MethodDescriptor {
            name: "divide".to_owned(),
            doc: "Divides.\nCarefully.".to_owned(),
            params: vec![
                ParamDescriptor::required::<f64>("num1"),
                ParamDescriptor::with_default::<f64>("num2", &1.0),
            ],
            result: schema_of::<f64>(),
            error: Some(json!({"title": "InvalidOperation", "type": "object"})),
            idempotent: true,
            client_stream: None,
            server_stream: None,
        };
        let reflection = Reflection {
            services: vec![ServiceDescriptor {
                name: "calc".to_owned(),
                doc: "A calculator.".to_owned(),
                methods: vec![method],
            }],
        };
        assert_eq!(
            Listing(&reflection).to_string(),
            "calc — A calculator.\n  \
             divide(num1: number, num2: number = 1.0) -> number  ! InvalidOperation  [idempotent]\n      \
             Divides.\n      \
             Carefully.\n"
        );
    }

    #[test]
    fn streams_render_as_the_last_parameter_and_as_the_result() {
        let method = |name: &str, client: bool, server: bool| MethodDescriptor {
            name: name.to_owned(),
            doc: String::new(),
            params: vec![ParamDescriptor::required::<u64>("n")],
            result: schema_of::<()>(),
            error: None,
            idempotent: false,
            client_stream: client.then(schema_of::<i64>),
            server_stream: server.then(schema_of::<String>),
        };
        assert_eq!(
            signature(&method("count", false, true)),
            "count(n: integer) -> stream of string"
        );
        assert_eq!(
            signature(&method("sum", true, false)),
            "sum(n: integer, stream of integer) -> null"
        );
        assert_eq!(
            signature(&method("chat", true, true)),
            "chat(n: integer, stream of integer) -> stream of string"
        );
    }
}
