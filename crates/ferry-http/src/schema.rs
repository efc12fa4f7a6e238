//! Embedding the descriptors' stand-alone JSON Schemas in one document (OpenAPI, OpenRPC):
//! their `$defs` move to `components.schemas` and every `$ref` follows them there. A
//! parameter is described as the HTTP dialects take it: optional when it has a default or
//! takes `null` (an `Option`), bytes as base64 or an array of byte values.

use ferry::ParamDescriptor;
use serde_json::{json, Map, Value};

use crate::xmlrpc::schema::Schema;

/// Where embedded definitions live in the document.
const COMPONENTS: &str = "#/components/schemas/";

/// The places a stand-alone schema keeps its definitions.
const DEFINITIONS: [&str; 2] = ["$defs", "definitions"];

/// The definitions gathered from every schema embedded so far.
#[derive(Debug, Default)]
pub(crate) struct Components {
    schemas: Map<String, Value>,
}

impl Components {
    /// `schema` ready to sit inside the document: no `$schema`, no definitions of its own, and
    /// references pointing into `components.schemas`, where its definitions are gathered.
    pub(crate) fn embed(&mut self, schema: &Value) -> Value {
        self.embed_as(schema.clone(), Gathered::Kept)
    }

    /// A parameter's schema ready to sit inside the document, with its default, and bytes
    /// described as the HTTP dialects take them. Its definitions replace any of the same name
    /// a result brought: they describe what the result sends too (an array of byte values).
    pub(crate) fn param(&mut self, param: &ParamDescriptor) -> Value {
        let mut schema = param.schema.clone();
        describe_bytes(&mut schema);
        let mut schema = self.embed_as(schema, Gathered::Replacing);
        if let (Some(default), Value::Object(object)) = (&param.default, &mut schema) {
            object.insert("default".to_owned(), default.clone());
        }
        schema
    }

    /// The `components.schemas` object.
    pub(crate) fn into_schemas(self) -> Map<String, Value> {
        self.schemas
    }

    fn embed_as(&mut self, mut schema: Value, gathered: Gathered) -> Value {
        if let Value::Object(object) = &mut schema {
            object.remove("$schema");
            for key in DEFINITIONS {
                if let Some(Value::Object(definitions)) = object.remove(key) {
                    self.gather(definitions, gathered);
                }
            }
        }
        rewrite_refs(&mut schema);
        schema
    }

    fn gather(&mut self, definitions: Map<String, Value>, gathered: Gathered) {
        for (name, mut definition) in definitions {
            if gathered == Gathered::Kept && self.schemas.contains_key(&name) {
                continue;
            }
            rewrite_refs(&mut definition);
            self.schemas.insert(name, definition);
        }
    }
}

/// Whether a schema's definitions replace those of the same name gathered before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Gathered {
    /// No: a result's or an error's, which a parameter's may widen.
    Kept,
    /// Yes: a parameter's.
    Replacing,
}

/// Whether callers may leave `param` out: it has a default, or its schema takes `null` (an
/// `Option`, which the handler then gets as `None`).
pub(crate) fn is_optional(param: &ParamDescriptor) -> bool {
    !param.is_required() || takes_null(&param.schema, &param.schema, MAX_HOPS)
}

/// How many `$ref`s [`takes_null`] follows; a cycle of references stops there.
const MAX_HOPS: usize = 8;

/// Whether `schema` (inside the stand-alone `root`) takes `null`.
fn takes_null(schema: &Value, root: &Value, hops: usize) -> bool {
    let Value::Object(object) = schema else {
        return schema == &Value::Bool(true);
    };
    if let Some(target) = object.get("$ref").and_then(Value::as_str) {
        let definition = target.strip_prefix('#').and_then(|path| root.pointer(path));
        return hops > 0 && definition.is_some_and(|found| takes_null(found, root, hops - 1));
    }
    if let Some(kind) = object.get("type") {
        return kind == "null"
            || kind
                .as_array()
                .is_some_and(|kinds| kinds.contains(&json!("null")));
    }
    if let Some(branches) = ["anyOf", "oneOf"]
        .iter()
        .find_map(|key| object.get(*key)?.as_array())
    {
        return branches.iter().any(|branch| takes_null(branch, root, hops));
    }
    match (
        object.get("const"),
        object.get("enum").and_then(Value::as_array),
    ) {
        (Some(constant), _) => constant.is_null(),
        (None, Some(values)) => values.contains(&Value::Null),
        // A schema that restricts nothing: `serde_json::Value`.
        (None, None) => true,
    }
}

/// Rewrites every bytes schema inside `schema` (an array of `uint8`) into what REST and
/// JSON-RPC take: a base64 string, or the array of byte values.
fn describe_bytes(schema: &mut Value) {
    // Only a schema that names its type: an `anyOf` around bytes keeps its other branches.
    if schema.get("type").is_some() && Schema::new(schema).is_bytes() {
        *schema = bytes_schema(schema);
        return;
    }
    match schema {
        Value::Object(object) => object.values_mut().for_each(describe_bytes),
        Value::Array(items) => items.iter_mut().for_each(describe_bytes),
        _ => {}
    }
}

/// The description of bytes, keeping `bytes`' title and description, and `null` if it took it.
fn bytes_schema(bytes: &Value) -> Value {
    let mut branches = vec![
        json!({"type": "string", "contentEncoding": "base64"}),
        json!({"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 255}}),
    ];
    if Schema::new(bytes).has_type("null") {
        branches.push(json!({"type": "null"}));
    }
    let mut described = json!({"anyOf": branches});
    for key in ["title", "description"] {
        if let Some(kept) = bytes.get(key) {
            described[key] = kept.clone();
        }
    }
    described
}

/// Points every local `$ref` inside `schema` at `components.schemas`.
fn rewrite_refs(schema: &mut Value) {
    match schema {
        Value::Object(object) => {
            if let Some(Value::String(target)) = object.get_mut("$ref") {
                if let Some(name) = local_definition(target) {
                    *target = format!("{COMPONENTS}{name}");
                }
            }
            object.values_mut().for_each(rewrite_refs);
        }
        Value::Array(items) => items.iter_mut().for_each(rewrite_refs),
        _ => {}
    }
}

/// The definition name a stand-alone schema's `$ref` names, if it is a local one.
fn local_definition(target: &str) -> Option<&str> {
    DEFINITIONS.iter().find_map(|key| {
        target
            .strip_prefix("#/")?
            .strip_prefix(key)?
            .strip_prefix('/')
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn definitions_move_to_components_and_refs_follow() {
        let mut components = Components::default();
        let schema = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "array",
            "items": {"$ref": "#/$defs/Point"},
            "$defs": {"Point": {"type": "object", "properties": {"next": {"$ref": "#/$defs/Point"}}}},
        });
        let embedded = components.embed(&schema);
        assert_eq!(
            embedded,
            json!({"type": "array", "items": {"$ref": "#/components/schemas/Point"}})
        );
        let schemas = components.into_schemas();
        assert_eq!(
            schemas["Point"]["properties"]["next"]["$ref"],
            "#/components/schemas/Point"
        );
    }

    #[test]
    fn options_defaults_and_anything_are_optional() {
        #[derive(schemars::JsonSchema)]
        #[allow(dead_code)]
        struct Point {
            x: i64,
        }
        let optional = |param: ParamDescriptor| is_optional(&param);
        assert!(!optional(ParamDescriptor::required::<i64>("n")));
        assert!(!optional(ParamDescriptor::required::<Point>("p")));
        assert!(!optional(ParamDescriptor::required::<Vec<u8>>("b")));
        assert!(optional(ParamDescriptor::required::<Option<i64>>("n")));
        assert!(optional(ParamDescriptor::required::<Option<Point>>("p")));
        assert!(optional(ParamDescriptor::required::<Option<ferry::Bytes>>(
            "b"
        )));
        assert!(optional(ParamDescriptor::required::<Value>("any")));
        assert!(optional(ParamDescriptor::with_default::<f64>("x", &1.0)));
        let cycle = json!({"$ref": "#/$defs/a", "$defs": {"a": {"$ref": "#/$defs/a"}}});
        assert!(!takes_null(&cycle, &cycle, MAX_HOPS));
    }

    #[test]
    fn bytes_parameters_are_base64_or_an_array() {
        #[derive(schemars::JsonSchema)]
        #[allow(dead_code)]
        struct Chunk {
            data: ferry::Bytes,
            maybe: Option<Vec<u8>>,
        }
        let mut components = Components::default();
        let bytes = components.param(&ParamDescriptor::required::<ferry::Bytes>("data"));
        assert_eq!(
            bytes["anyOf"][0],
            json!({"type": "string", "contentEncoding": "base64"})
        );
        assert_eq!(bytes["anyOf"][1]["items"]["maximum"], 255);
        assert_eq!(bytes["anyOf"].as_array().map(Vec::len), Some(2));
        let chunk = components.param(&ParamDescriptor::required::<Vec<Chunk>>("chunks"));
        assert_eq!(chunk["items"]["$ref"], "#/components/schemas/Chunk");
        components.embed(&ferry::schema_of::<Vec<Chunk>>());
        let schemas = components.into_schemas();
        let chunk = &schemas["Chunk"]["properties"];
        assert_eq!(chunk["data"]["$ref"], "#/components/schemas/Bytes");
        assert_eq!(schemas["Bytes"]["anyOf"][0]["contentEncoding"], "base64");
        let maybe = chunk["maybe"].to_string();
        assert!(
            maybe.contains("base64") && maybe.contains(r#"{"type":"null"}"#),
            "{maybe}"
        );
    }

    #[test]
    fn older_definitions_and_foreign_refs() {
        let mut components = Components::default();
        let schema = json!({
            "anyOf": [{"$ref": "#/definitions/A"}, {"$ref": "https://example.invalid/x"}],
            "definitions": {"A": {"type": "string"}},
        });
        let embedded = components.embed(&schema);
        assert_eq!(embedded["anyOf"][0]["$ref"], "#/components/schemas/A");
        assert_eq!(embedded["anyOf"][1]["$ref"], "https://example.invalid/x");
        assert_eq!(components.into_schemas()["A"], json!({"type": "string"}));
    }
}
