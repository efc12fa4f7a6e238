//! Requests generated from an OpenAPI document's schemas, and answers checked against them: the
//! little of JSON Schema the document's operations use (`$ref` into `components.schemas`,
//! `anyOf`/`oneOf`, `type` as a name or a list, `prefixItems`, `items`, `properties`,
//! `required`, `minimum`/`maximum`, `minItems`/`maxItems`, `contentEncoding: base64`, `enum`,
//! `const`).

#![allow(dead_code, unreachable_pub)]

use base64::Engine as _;
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use proptest::{
    collection::vec,
    prelude::*,
    strategy::{BoxedStrategy, Just, Union},
};
use serde_json::{Map, Value};

/// How deep generated arrays and objects nest.
const MAX_DEPTH: usize = 3;

/// The bound on integers for an operation that streams: `echo.count(n)` sends `n` items.
const SMALL: i128 = 16;

/// One generated request.
#[derive(Debug, Clone)]
pub struct Request {
    /// `GET` or `POST`.
    pub method: String,
    /// The path and query.
    pub target: String,
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

/// Requests for the operation `method` of `path`: a `POST` with a JSON body of arguments (or,
/// for a method that takes a stream, its items as NDJSON and the arguments in the query), a
/// `GET` with the arguments in the query.
pub fn request(
    document: &Value,
    path: &str,
    method: &str,
    operation: &Value,
) -> BoxedStrategy<Request> {
    let streams = operation["responses"]["200"]["content"]
        .get("application/x-ndjson")
        .is_some()
        || operation["requestBody"]["content"]
            .get("application/x-ndjson")
            .is_some();
    let bound = if streams { SMALL } else { i128::MAX };
    let generator = Generator {
        document: document.clone(),
        bound,
    };
    let query = generator.query(&operation["parameters"]);
    let (path, method) = (path.to_owned(), method.to_ascii_uppercase());
    let body = &operation["requestBody"]["content"];
    if let Some(json) = body.get("application/json") {
        let args = generator.values(&json["schema"], 0);
        return args
            .prop_map(move |args| Request {
                method: method.clone(),
                target: path.clone(),
                content_type: "application/json",
                body: args.to_string().into_bytes(),
            })
            .boxed();
    }
    let (items, content_type) = match body.get("application/x-ndjson") {
        Some(stream) => {
            let items = vec(generator.values(&stream["schema"], 0), 0..4);
            (items.boxed(), "application/x-ndjson")
        }
        None => (Just(Vec::new()).boxed(), "application/json"),
    };
    (query, items)
        .prop_map(move |(query, items)| Request {
            method: method.clone(),
            target: format!("{path}?{query}"),
            content_type,
            body: items
                .iter()
                .map(|item| format!("{item}\n"))
                .collect::<String>()
                .into_bytes(),
        })
        .boxed()
}

/// Builds strategies from the document's schemas.
struct Generator {
    document: Value,
    /// The largest magnitude an integer may have.
    bound: i128,
}

impl Generator {
    /// The schema `schema` stands for, its `$ref` followed.
    fn resolve<'s>(&'s self, schema: &'s Value) -> &'s Value {
        match schema.get("$ref").and_then(Value::as_str) {
            Some(target) => {
                let pointer = target.strip_prefix('#').unwrap_or(target);
                let found = self.document.pointer(pointer);
                self.resolve(found.unwrap_or_else(|| panic!("{target} is not in the document")))
            }
            None => schema,
        }
    }

    /// A query string of the operation's parameters: the required ones always, the others
    /// sometimes; strings as they are, anything else as JSON.
    fn query(&self, parameters: &Value) -> BoxedStrategy<String> {
        let params = parameters.as_array().cloned().unwrap_or_default();
        let pairs: Vec<BoxedStrategy<Option<(String, Value)>>> = params
            .iter()
            .map(|param| {
                let name = param["name"].as_str().expect("a name").to_owned();
                let values = self.values(&param["schema"], 0);
                let pair = values.prop_map(move |value| (name.clone(), value));
                if param["required"] == true {
                    pair.prop_map(Some).boxed()
                } else {
                    proptest::option::of(pair).boxed()
                }
            })
            .collect();
        pairs
            .prop_map(|pairs| {
                let pairs = pairs
                    .into_iter()
                    .flatten()
                    .filter(|(_, value)| !value.is_null());
                let rendered: Vec<String> = pairs
                    .map(|(name, value)| {
                        let text = match value {
                            Value::String(text) => text,
                            other => other.to_string(),
                        };
                        format!("{name}={}", utf8_percent_encode(&text, NON_ALPHANUMERIC))
                    })
                    .collect();
                rendered.join("&")
            })
            .boxed()
    }

    /// Values `schema` describes.
    fn values(&self, schema: &Value, depth: usize) -> BoxedStrategy<Value> {
        let schema = self.resolve(schema);
        let branches = schema.get("anyOf").or_else(|| schema.get("oneOf"));
        if let Some(branches) = branches.and_then(Value::as_array) {
            let each = branches.iter().map(|branch| self.values(branch, depth));
            return Union::new(each.collect::<Vec<_>>()).boxed();
        }
        if let Some(constant) = schema.get("const") {
            return Just(constant.clone()).boxed();
        }
        if let Some(values) = schema.get("enum").and_then(Value::as_array) {
            return proptest::sample::select(values.clone()).boxed();
        }
        let types: Vec<&str> = match schema.get("type") {
            Some(Value::String(kind)) => vec![kind],
            Some(Value::Array(kinds)) => kinds.iter().filter_map(Value::as_str).collect(),
            _ => vec!["null", "boolean", "integer", "string"],
        };
        let each = types
            .into_iter()
            .map(|kind| self.of_type(schema, kind, depth));
        Union::new(each.collect::<Vec<_>>()).boxed()
    }

    fn of_type(&self, schema: &Value, kind: &str, depth: usize) -> BoxedStrategy<Value> {
        match kind {
            "null" => Just(Value::Null).boxed(),
            "boolean" => any::<bool>().prop_map(Value::from).boxed(),
            "integer" => self.integers(schema),
            "number" => {
                prop_oneof![(-1e6f64..1e6).prop_map(Value::from), self.integers(schema),].boxed()
            }
            "string" if schema["contentEncoding"] == "base64" => vec(any::<u8>(), 0..24)
                .prop_map(|bytes| {
                    base64::engine::general_purpose::STANDARD
                        .encode(bytes)
                        .into()
                })
                .boxed(),
            "string" => "\\PC{0,12}".prop_map(Value::from).boxed(),
            "array" if depth < MAX_DEPTH => self.arrays(schema, depth + 1),
            "object" if depth < MAX_DEPTH => self.objects(schema, depth + 1),
            "array" => Just(Value::Array(Vec::new())).boxed(),
            _ => Just(Value::Object(Map::new())).boxed(),
        }
    }

    /// Integers within the schema's bounds (and `bound`), as integers or as floats with no
    /// fraction where a float holds them exactly.
    fn integers(&self, schema: &Value) -> BoxedStrategy<Value> {
        let limit = |key: &str| {
            schema
                .get(key)
                .and_then(Value::as_f64)
                .map(|limit| limit as i128)
        };
        let (least, most) = format_range(schema["format"].as_str().unwrap_or("int64"));
        let low = limit("minimum")
            .unwrap_or(least)
            .max(least)
            .max(-self.bound);
        let high = limit("maximum").unwrap_or(most).min(most).min(self.bound);
        let numbers = prop_oneof![Just(low), Just(high), Just(0.clamp(low, high)), low..=high];
        (numbers, any::<bool>())
            .prop_map(|(number, as_float)| {
                let exact = number.unsigned_abs() <= 1 << 53;
                match (
                    as_float && exact,
                    i64::try_from(number),
                    u64::try_from(number),
                ) {
                    (true, _, _) => Value::from(number as f64),
                    (false, Ok(signed), _) => Value::from(signed),
                    (false, _, Ok(unsigned)) => Value::from(unsigned),
                    _ => Value::from(0),
                }
            })
            .boxed()
    }

    /// Arrays: positional items (`prefixItems`, as many as `minItems` to all of them), or a
    /// few of `items`.
    fn arrays(&self, schema: &Value, depth: usize) -> BoxedStrategy<Value> {
        let count = |key: &str| schema.get(key).and_then(Value::as_u64).map(|n| n as usize);
        if let Some(prefix) = schema.get("prefixItems").and_then(Value::as_array) {
            let each: Vec<BoxedStrategy<Value>> =
                prefix.iter().map(|item| self.values(item, depth)).collect();
            let least = count("minItems").unwrap_or(0);
            return (least..=each.len())
                .prop_flat_map(move |len| each[..len].to_vec())
                .prop_map(Value::Array)
                .boxed();
        }
        match (schema.get("items"), count("maxItems")) {
            (_, Some(0)) | (None, _) => Just(Value::Array(Vec::new())).boxed(),
            (Some(items), _) => vec(self.values(items, depth), 0..4)
                .prop_map(Value::Array)
                .boxed(),
        }
    }

    /// Objects of the schema's properties: the required ones always, the others sometimes.
    fn objects(&self, schema: &Value, depth: usize) -> BoxedStrategy<Value> {
        let required = schema["required"].as_array().cloned().unwrap_or_default();
        let properties = schema["properties"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        let members: Vec<BoxedStrategy<Option<(String, Value)>>> = properties
            .iter()
            .map(|(name, property)| {
                let name = name.clone();
                let is_required = required.iter().any(|wanted| *wanted == *name);
                let member = self
                    .values(property, depth)
                    .prop_map(move |value| (name.clone(), value));
                if is_required {
                    member.prop_map(Some).boxed()
                } else {
                    proptest::option::of(member).boxed()
                }
            })
            .collect();
        members
            .prop_map(|members| Value::Object(members.into_iter().flatten().collect()))
            .boxed()
    }
}

/// The integers an OpenAPI integer `format` names (`int8` to `int64`, `uint8` to `uint64`;
/// `int` and `uint` are 64 bits).
fn format_range(format: &str) -> (i128, i128) {
    let (signed, width) = match format.strip_prefix('u') {
        Some(unsigned) => (false, unsigned),
        None => (true, format),
    };
    let bits: u32 = width.trim_start_matches("int").parse().unwrap_or(64);
    if signed {
        (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
    } else {
        (0, (1i128 << bits) - 1)
    }
}

/// Whether `value` is of the types `schema` describes, all the way down (a number with no
/// fraction counts as an integer, as JSON Schema says).
pub fn matches(document: &Value, schema: &Value, value: &Value) -> bool {
    let generator = Generator {
        document: document.clone(),
        bound: 0,
    };
    generator.matches(schema, value)
}

impl Generator {
    fn matches(&self, schema: &Value, value: &Value) -> bool {
        let schema = self.resolve(schema);
        if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
            return all.iter().all(|part| self.matches(part, value));
        }
        let branches = schema.get("anyOf").or_else(|| schema.get("oneOf"));
        if let Some(branches) = branches.and_then(Value::as_array) {
            return branches.iter().any(|branch| self.matches(branch, value));
        }
        let fits_type = match schema.get("type") {
            Some(Value::String(kind)) => is_of(kind, value),
            Some(Value::Array(kinds)) => kinds
                .iter()
                .filter_map(Value::as_str)
                .any(|kind| is_of(kind, value)),
            _ => true,
        };
        let fits_enum = schema["enum"]
            .as_array()
            .is_none_or(|values| values.contains(value));
        let fits_const = schema.get("const").is_none_or(|constant| constant == value);
        fits_type && fits_enum && fits_const && self.members_match(schema, value)
    }

    /// Whether an array's items and an object's members match their schemas.
    fn members_match(&self, schema: &Value, value: &Value) -> bool {
        match value {
            Value::Array(items) => match schema.get("items") {
                Some(items_schema) => items.iter().all(|item| self.matches(items_schema, item)),
                None => true,
            },
            Value::Object(members) => {
                let required = schema["required"].as_array().cloned().unwrap_or_default();
                let present = required
                    .iter()
                    .filter_map(Value::as_str)
                    .all(|name| members.contains_key(name));
                let properties = schema["properties"].as_object();
                present
                    && members.iter().all(|(name, member)| {
                        properties
                            .and_then(|properties| properties.get(name))
                            .is_none_or(|property| self.matches(property, member))
                    })
            }
            _ => true,
        }
    }
}

/// Whether `value` is of the JSON Schema type `kind`.
fn is_of(kind: &str, value: &Value) -> bool {
    match (kind, value) {
        ("null", Value::Null) | ("boolean", Value::Bool(_)) | ("number", Value::Number(_)) => true,
        ("integer", Value::Number(number)) => {
            number.is_i64() || number.is_u64() || number.as_f64().is_some_and(|f| f.fract() == 0.0)
        }
        ("string", Value::String(_))
        | ("array", Value::Array(_))
        | ("object", Value::Object(_)) => true,
        _ => false,
    }
}

/// The body of a `transfer-encoding: chunked` response, its chunks joined.
pub fn dechunk(mut framed: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    while let Some(end) = framed.windows(2).position(|pair| pair == b"\r\n") {
        let size = std::str::from_utf8(&framed[..end]).expect("a chunk size");
        let size = usize::from_str_radix(size.split(';').next().unwrap_or("0").trim(), 16)
            .expect("a hexadecimal chunk size");
        if size == 0 {
            break;
        }
        let start = end + 2;
        body.extend_from_slice(&framed[start..start + size]);
        framed = &framed[start + size + 2..];
    }
    body
}
