//! The JSON Schemas of [`Value`] (any value, marked so that a bridge knows to keep bytes and
//! times) and of [`Time`] (a `date-time` string).

use std::borrow::Cow;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};

use super::{Time, Value};

/// The keyword and word that mark a [`Value`]'s schema: `"x-ferry-type": "value"`. A
/// dialect whose types JSON cannot carry (XML-RPC's base64 and dateTime) hands them over
/// as MessagePack bin and timestamps where it sees it.
pub const VALUE_MARKER: (&str, &str) = ("x-ferry-type", "value");

impl JsonSchema for Value {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "Value".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let (keyword, word) = VALUE_MARKER;
        let mut schema = json_schema!({
            "title": "Value",
            "description": "Any value; bytes and times keep their types where the dialect has them",
        });
        schema.insert(keyword.to_owned(), word.into());
        schema
    }
}

impl JsonSchema for Time {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "Time".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"type": "string", "format": "date-time"})
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::schema_of;

    #[test]
    fn schemas_say_any_marked_and_date_time() {
        let value = schema_of::<Value>();
        assert_eq!(value["x-ferry-type"], json!("value"), "{value}");
        assert!(value.get("type").is_none(), "{value}");
        let time = schema_of::<Time>();
        assert_eq!(
            (&time["type"], &time["format"]),
            (&json!("string"), &json!("date-time"))
        );
        let nested = schema_of::<Vec<Value>>();
        assert_eq!(nested["items"]["x-ferry-type"], json!("value"), "{nested}");
    }
}
