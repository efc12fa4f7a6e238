//! Embedding the descriptors' stand-alone JSON Schemas in one document (OpenAPI, OpenRPC):
//! their `$defs` move to `components.schemas` and every `$ref` follows them there.

use serde_json::{Map, Value};

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
        let mut schema = schema.clone();
        if let Value::Object(object) = &mut schema {
            object.remove("$schema");
            for key in DEFINITIONS {
                if let Some(Value::Object(definitions)) = object.remove(key) {
                    self.gather(definitions);
                }
            }
        }
        rewrite_refs(&mut schema);
        schema
    }

    /// The `components.schemas` object.
    pub(crate) fn into_schemas(self) -> Map<String, Value> {
        self.schemas
    }

    fn gather(&mut self, definitions: Map<String, Value>) {
        for (name, mut definition) in definitions {
            rewrite_refs(&mut definition);
            self.schemas.insert(name, definition);
        }
    }
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
