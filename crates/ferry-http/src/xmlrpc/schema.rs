//! Reading a method's JSON Schemas (from its descriptor) for what XML-RPC needs to know: which
//! arrays are bytes, and the XML-RPC type names `system.methodSignature` reports.

use serde_json::Value as Json;

/// How many `$ref`s and single-branch `anyOf`s are followed to reach a concrete schema; a
/// cycle of references stops here instead of looping.
const MAX_HOPS: usize = 8;

/// A place in a schema document, with the document's root for resolving `$ref`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Schema<'s> {
    root: &'s Json,
    node: &'s Json,
}

impl Schema<'static> {
    /// The schema that says nothing.
    pub(crate) const ANY: Schema<'static> = Schema {
        root: &Json::Bool(true),
        node: &Json::Bool(true),
    };
}

impl<'s> Schema<'s> {
    /// The root of a stand-alone schema document, as `ferry::schema_of` makes them.
    pub(crate) fn new(root: &'s Json) -> Schema<'s> {
        Schema { root, node: root }.resolved()
    }

    /// The schema of an array's items.
    pub(crate) fn items(self) -> Schema<'s> {
        self.child(self.node.get("items"))
    }

    /// The schema of a struct member.
    pub(crate) fn property(self, name: &str) -> Schema<'s> {
        let properties = self.node.get("properties");
        self.child(properties.and_then(|properties| properties.get(name)))
    }

    /// Whether this describes bytes: an array whose items are `uint8` (`ferry::Bytes`,
    /// `Vec<u8>`).
    pub(crate) fn is_bytes(self) -> bool {
        let format = self.items().node.get("format");
        self.has_type("array") && format.is_some_and(|format| format == "uint8")
    }

    /// Whether this describes a `ferry::Value`, whose bytes and times are handed over as
    /// MessagePack bin and timestamps rather than as numbers and text.
    pub(crate) fn is_value(self) -> bool {
        let (keyword, word) = ferry::value::VALUE_MARKER;
        self.node.get(keyword).is_some_and(|marker| marker == word)
    }

    /// Whether this describes a time: a string of format `date-time` (`ferry::Time`,
    /// chrono's and the time crate's date-times).
    pub(crate) fn is_time(self) -> bool {
        self.single_type() == Some("string")
            && self
                .node
                .get("format")
                .is_some_and(|format| format == "date-time")
    }

    /// The XML-RPC type name of the values this describes, `any` when it does not say.
    pub(crate) fn type_name(self) -> &'static str {
        if self.is_bytes() {
            return "base64";
        }
        let format = self.node.get("format").and_then(Json::as_str);
        match (self.single_type(), format) {
            (Some("integer"), Some("int64" | "uint64" | "uint32" | "uint" | "int")) => "i8",
            (Some("integer"), _) => "int",
            (Some("number"), _) => "double",
            (Some("boolean"), _) => "boolean",
            (Some("string"), Some("date-time")) => "dateTime.iso8601",
            (Some("string"), _) => "string",
            (Some("array"), _) => "array",
            (Some("object"), _) => "struct",
            (Some("null"), _) => "nil",
            _ => "any",
        }
    }

    fn child(self, node: Option<&'s Json>) -> Schema<'s> {
        match node {
            Some(node) => Schema { node, ..self }.resolved(),
            None => Schema::ANY,
        }
    }

    /// Follows `$ref`s and the one non-null branch of an `anyOf`/`oneOf` (an `Option<T>`).
    fn resolved(self) -> Schema<'s> {
        let mut schema = self;
        for _ in 0..MAX_HOPS {
            match schema.reference().or_else(|| schema.non_null_branch()) {
                Some(node) => schema.node = node,
                None => return schema,
            }
        }
        Schema::ANY
    }

    /// The definition a local `$ref` (`#/$defs/Name`) points at.
    fn reference(self) -> Option<&'s Json> {
        let target = self.node.get("$ref")?.as_str()?;
        let path = target.strip_prefix('#')?;
        self.root.pointer(path)
    }

    fn non_null_branch(self) -> Option<&'s Json> {
        let branches = ["anyOf", "oneOf"]
            .iter()
            .find_map(|key| self.node.get(key)?.as_array())?;
        let mut concrete = branches.iter().filter(|branch| !is_null_type(branch));
        match (concrete.next(), concrete.next()) {
            (Some(only), None) => Some(only),
            _ => None,
        }
    }

    /// The one type named by `type`, leaving out `null` (`["integer", "null"]` is `integer`).
    fn single_type(self) -> Option<&'s str> {
        match self.node.get("type")? {
            Json::String(name) => Some(name),
            Json::Array(names) => {
                let mut names = names.iter().filter_map(Json::as_str);
                let mut concrete = names.by_ref().filter(|name| *name != "null");
                match (concrete.next(), concrete.next()) {
                    (Some(only), None) => Some(only),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// Whether `type` is or includes `wanted`.
    pub(crate) fn has_type(self, wanted: &str) -> bool {
        match self.node.get("type") {
            Some(Json::String(name)) => name == wanted,
            Some(Json::Array(names)) => names.iter().any(|name| name == wanted),
            _ => false,
        }
    }
}

fn is_null_type(schema: &Json) -> bool {
    schema.get("type").is_some_and(|kind| kind == "null")
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use ferry::{schema_of, Bytes};
    use serde_json::json;

    use super::*;

    fn type_name_of(schema: &Json) -> &'static str {
        Schema::new(schema).type_name()
    }

    #[test]
    fn rust_types_have_xmlrpc_type_names() {
        assert_eq!(type_name_of(&schema_of::<i32>()), "int");
        assert_eq!(type_name_of(&schema_of::<u8>()), "int");
        assert_eq!(type_name_of(&schema_of::<i64>()), "i8");
        assert_eq!(type_name_of(&schema_of::<f64>()), "double");
        assert_eq!(type_name_of(&schema_of::<bool>()), "boolean");
        assert_eq!(type_name_of(&schema_of::<String>()), "string");
        assert_eq!(type_name_of(&schema_of::<Bytes>()), "base64");
        assert_eq!(type_name_of(&schema_of::<Vec<u8>>()), "base64");
        assert_eq!(type_name_of(&schema_of::<Vec<String>>()), "array");
        assert_eq!(
            type_name_of(&schema_of::<BTreeMap<String, i32>>()),
            "struct"
        );
        assert_eq!(type_name_of(&schema_of::<Option<f64>>()), "double");
        assert_eq!(type_name_of(&schema_of::<()>()), "nil");
        assert_eq!(type_name_of(&schema_of::<Json>()), "any");
        assert_eq!(
            type_name_of(&json!({"type": "string", "format": "date-time"})),
            "dateTime.iso8601"
        );
    }

    #[test]
    fn references_and_options_are_followed() {
        #[derive(schemars::JsonSchema)]
        #[allow(dead_code)]
        struct Chunk {
            data: Bytes,
            maybe: Option<Bytes>,
            parts: Vec<Bytes>,
            count: u32,
        }
        let document = schema_of::<Chunk>();
        let chunk = Schema::new(&document);
        assert_eq!(chunk.type_name(), "struct");
        assert!(chunk.property("data").is_bytes(), "{document}");
        assert!(chunk.property("maybe").is_bytes(), "{document}");
        assert!(chunk.property("parts").items().is_bytes(), "{document}");
        assert!(!chunk.property("count").is_bytes());
        assert!(!chunk.property("missing").is_bytes());
        assert_eq!(
            Schema::new(&schema_of::<Option<Chunk>>()).type_name(),
            "struct"
        );
    }

    #[test]
    fn values_and_times_are_told_apart() {
        let value = schema_of::<ferry::Value>();
        assert!(Schema::new(&value).is_value());
        assert!(!Schema::new(&schema_of::<Json>()).is_value());
        let time = schema_of::<Option<ferry::Time>>();
        assert!(Schema::new(&time).is_time(), "{time}");
        assert_eq!(Schema::new(&time).type_name(), "dateTime.iso8601");
        assert!(!Schema::new(&schema_of::<String>()).is_time());
        let listed = schema_of::<Vec<ferry::Value>>();
        assert!(Schema::new(&listed).items().is_value());
    }

    #[test]
    fn a_reference_cycle_ends() {
        let document = json!({"$ref": "#/$defs/a", "$defs": {"a": {"$ref": "#/$defs/a"}}});
        assert_eq!(Schema::new(&document).type_name(), "any");
    }
}
