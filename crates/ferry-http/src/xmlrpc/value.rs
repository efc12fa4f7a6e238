//! The XML-RPC value model, and its mapping to and from the bodies ferry handlers read.
//!
//! The bridge hands parameters to the handler as MessagePack ([`CODEC`]), because MessagePack,
//! unlike JSON, has bytes (`bin`) and times (the timestamp extension): a `ferry::Value`
//! parameter then receives a `<base64>` as `Value::Bytes` and a `<dateTime.iso8601>` as
//! `Value::Time`, and echoing them gives back `<base64>` and `<dateTime.iso8601>`. Where the
//! parameter's schema says otherwise the old, JSON-like shapes are kept, so a `String` or a
//! `serde_json::Value` parameter reads as it always did. Both directions stream through serde:
//! no intermediate tree is built.
//!
//! | XML-RPC | to the handler | from the handler |
//! |---|---|---|
//! | `int`, `i4`, `i8` | integer | integer (`int` when it fits 32 bits, else `i8`) |
//! | `boolean` | bool | bool |
//! | `string` | string | string (`dateTime.iso8601` where the schema says `date-time`) |
//! | `double` | float | float, and integers beyond 64 bits |
//! | `dateTime.iso8601` | timestamp for a `ferry::Value`, RFC 3339 text for a `date-time`, else its text | timestamp |
//! | `base64` | bin for a `ferry::Value` or bytes, else array of byte values | bin; an array of bytes where the schema says bytes |
//! | `struct` | map | map (number keys as their text) |
//! | `array` | array | array |
//! | `nil` | nil | nil, and non-finite floats |

use std::fmt;

use bytes::Bytes;
use ferry::{value::MapKey, Codec, CodecError, MethodDescriptor, Time};
use serde::{
    de::{DeserializeSeed, MapAccess, SeqAccess, Visitor},
    Deserialize, Deserializer, Serialize, Serializer,
};
use serde_json::Value as Json;

use super::{schema::Schema, write};

/// The codec of the bodies the bridge hands to handlers and reads back: the one that keeps
/// bytes and times.
pub(crate) const CODEC: Codec = Codec::MsgPack;

/// One XML-RPC value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    /// `<int>`, `<i4>` or `<i8>`.
    Int(i64),
    /// `<boolean>`: `0` or `1`.
    Boolean(bool),
    /// `<string>`, or text straight inside `<value>`.
    String(String),
    /// `<double>`, always finite.
    Double(f64),
    /// `<dateTime.iso8601>`, kept as its text.
    DateTime(String),
    /// `<base64>`, decoded.
    Base64(Vec<u8>),
    /// `<struct>`: members in document order, names unique.
    Struct(Vec<(String, Value)>),
    /// `<array>`.
    Array(Vec<Value>),
    /// `<nil/>`, the common extension.
    Nil,
}

/// The positional parameters of a call of `method`, encoded with [`CODEC`] and each shaped by
/// its parameter's schema; an error for a `<dateTime.iso8601>` a `ferry::Value` or
/// `date-time` parameter cannot read.
pub(crate) fn arguments(
    params: &[Value],
    method: Option<&MethodDescriptor>,
) -> Result<Bytes, CodecError> {
    let schemas = method.map_or(&[][..], |method| &method.params[..]);
    let shaped: Vec<Shaped<'_, '_>> = params
        .iter()
        .enumerate()
        .map(|(index, value)| {
            let schema = schemas.get(index);
            let schema = schema.map_or(Schema::ANY, |param| Schema::new(&param.schema));
            Shaped::new(value, Hint::Schema(schema))
        })
        .collect();
    CODEC.encode(&shaped)
}

/// What is known of the type a value is read into.
#[derive(Debug, Clone, Copy)]
enum Hint<'s> {
    /// Its schema.
    Schema(Schema<'s>),
    /// Inside a `ferry::Value`: everything below keeps its type.
    Value,
}

impl<'s> Hint<'s> {
    fn items(self) -> Hint<'s> {
        match self {
            Hint::Schema(schema) => Hint::Schema(schema.items()),
            Hint::Value => Hint::Value,
        }
    }

    fn property(self, name: &str) -> Hint<'s> {
        match self {
            Hint::Schema(schema) => Hint::Schema(schema.property(name)),
            Hint::Value => Hint::Value,
        }
    }
}

/// A value written for the type it is read into.
#[derive(Debug, Clone, Copy)]
struct Shaped<'v, 's> {
    value: &'v Value,
    hint: Hint<'s>,
}

impl<'v, 's> Shaped<'v, 's> {
    fn new(value: &'v Value, hint: Hint<'s>) -> Shaped<'v, 's> {
        let hint = match hint {
            Hint::Schema(schema) if schema.is_value() => Hint::Value,
            other => other,
        };
        Shaped { value, hint }
    }
}

impl Serialize for Shaped<'_, '_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let (typed, schema) = match self.hint {
            Hint::Value => (true, Schema::ANY),
            Hint::Schema(schema) => (false, schema),
        };
        match self.value {
            Value::Base64(bytes) if typed || schema.is_bytes() => serializer.serialize_bytes(bytes),
            Value::DateTime(text) if typed => time_of(text)?.serialize(serializer),
            Value::DateTime(text) if schema.is_time() => serializer.collect_str(&time_of(text)?),
            Value::Struct(members) => serializer.collect_map(
                members
                    .iter()
                    .map(|(name, member)| (name, Shaped::new(member, self.hint.property(name)))),
            ),
            Value::Array(items) => {
                let hint = self.hint.items();
                serializer.collect_seq(items.iter().map(|item| Shaped::new(item, hint)))
            }
            other => other.serialize(serializer),
        }
    }
}

/// The time a `<dateTime.iso8601>` says, or an error naming it.
fn time_of<E: serde::ser::Error>(text: &str) -> Result<Time, E> {
    text.parse()
        .map_err(|err| E::custom(format_args!("a <dateTime.iso8601>: {err}")))
}

/// As JSON, a value is what a ferry handler receives: base64 becomes an array of byte values
/// (what `ferry::Bytes` decodes from), a dateTime its text, nil `null`.
impl Serialize for Value {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Int(int) => serializer.serialize_i64(*int),
            Value::Boolean(boolean) => serializer.serialize_bool(*boolean),
            Value::String(text) | Value::DateTime(text) => serializer.serialize_str(text),
            Value::Double(double) => serializer.serialize_f64(*double),
            Value::Base64(bytes) => serializer.collect_seq(bytes),
            Value::Struct(members) => {
                serializer.collect_map(members.iter().map(|(name, value)| (name, value)))
            }
            Value::Array(items) => serializer.collect_seq(items),
            Value::Nil => serializer.serialize_unit(),
        }
    }
}

/// The plain mapping, with no schema to tell bytes: what a client sends.
impl From<Json> for Value {
    fn from(json: Json) -> Value {
        match json {
            Json::Null => Value::Nil,
            Json::Bool(boolean) => Value::Boolean(boolean),
            Json::Number(number) => match number.as_i64() {
                Some(int) => Value::Int(int),
                None => Value::Double(number.as_f64().unwrap_or_default()),
            },
            Json::String(text) => Value::String(text),
            Json::Array(items) => Value::Array(items.into_iter().map(Value::from).collect()),
            Json::Object(members) => {
                let members = members.into_iter();
                Value::Struct(
                    members
                        .map(|(name, json)| (name, Value::from(json)))
                        .collect(),
                )
            }
        }
    }
}

/// Reads a handler's result (MessagePack or JSON) into a [`Value`], guided by the JSON Schema
/// of what it reads: `bin` becomes base64 and a timestamp a dateTime; where the schema
/// describes an array of `uint8` (as it does for `Vec<u8>`) the array becomes base64, and
/// where it describes a `date-time` string, a string that is one becomes a dateTime.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Hinted<'s>(pub(crate) Schema<'s>);

impl<'de> DeserializeSeed<'de> for Hinted<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Hinted<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, boolean: bool) -> Result<Value, E> {
        Ok(Value::Boolean(boolean))
    }

    fn visit_i64<E>(self, int: i64) -> Result<Value, E> {
        Ok(Value::Int(int))
    }

    fn visit_u64<E>(self, int: u64) -> Result<Value, E> {
        // Beyond i64, the nearest double.
        Ok(i64::try_from(int).map_or(Value::Double(int as f64), Value::Int))
    }

    fn visit_f64<E>(self, double: f64) -> Result<Value, E> {
        // XML-RPC has no NaN or infinity; JSON wrote them as null.
        Ok(if double.is_finite() {
            Value::Double(double)
        } else {
            Value::Nil
        })
    }

    fn visit_str<E>(self, text: &str) -> Result<Value, E> {
        Ok(self.text(text.to_owned()))
    }

    fn visit_string<E>(self, text: String) -> Result<Value, E> {
        Ok(self.text(text))
    }

    fn visit_bytes<E>(self, bytes: &[u8]) -> Result<Value, E> {
        Ok(Value::Base64(bytes.to_vec()))
    }

    fn visit_byte_buf<E>(self, bytes: Vec<u8>) -> Result<Value, E> {
        Ok(Value::Base64(bytes))
    }

    /// A MessagePack extension: a timestamp is the one a result may hold.
    fn visit_newtype_struct<D: Deserializer<'de>>(self, inside: D) -> Result<Value, D::Error> {
        let time = Time::deserialize(inside)?;
        Ok(Value::DateTime(write::date_time(time)))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Nil)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Nil)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        self.deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let items = Hinted(self.0.items());
        let mut bytes = self.0.is_bytes().then(Vec::new);
        let mut values = Vec::new();
        while let Some(item) = seq.next_element_seed(items)? {
            match (&mut bytes, byte_of(&item)) {
                (Some(bytes), Some(byte)) => bytes.push(byte),
                (Some(_), None) => {
                    let so_far = bytes.take().unwrap_or_default();
                    values.extend(so_far.into_iter().map(|byte| Value::Int(byte.into())));
                    values.push(item);
                }
                (None, _) => values.push(item),
            }
        }
        Ok(bytes.map_or(Value::Array(values), Value::Base64))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut members = Vec::new();
        while let Some(MapKey(name)) = map.next_key()? {
            let value = map.next_value_seed(Hinted(self.0.property(&name)))?;
            members.push((name, value));
        }
        Ok(Value::Struct(members))
    }
}

impl Hinted<'_> {
    /// A string, or the dateTime it is where the schema says `date-time`.
    fn text(self, text: String) -> Value {
        let time = self.0.is_time().then(|| text.parse::<Time>().ok());
        match time.flatten() {
            Some(time) => Value::DateTime(write::date_time(time)),
            None => Value::String(text),
        }
    }
}

/// The value as a byte, when it is an integer from 0 to 255.
fn byte_of(value: &Value) -> Option<u8> {
    match value {
        Value::Int(int) => u8::try_from(*int).ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn hinted(json: Json, schema: Schema<'_>) -> Value {
        Hinted(schema).deserialize(json).expect("any JSON reads")
    }

    #[test]
    fn every_type_becomes_json() {
        let cases = [
            (Value::Int(-7), json!(-7)),
            (Value::Int(1 << 40), json!(1_i64 << 40)),
            (Value::Boolean(true), json!(true)),
            (Value::String("é<&>".into()), json!("é<&>")),
            (Value::Double(0.5), json!(0.5)),
            (
                Value::DateTime("20240501T12:34:56".into()),
                json!("20240501T12:34:56"),
            ),
            (Value::Base64(vec![0, 1, 255]), json!([0, 1, 255])),
            (Value::Nil, json!(null)),
            (
                Value::Array(vec![Value::Int(1), Value::Nil]),
                json!([1, null]),
            ),
        ];
        for (value, expected) in cases {
            assert_eq!(serde_json::to_value(&value).expect("JSON"), expected);
        }
        let members = vec![("a".into(), Value::Int(1)), ("b".into(), Value::Nil)];
        let object = serde_json::to_value(Value::Struct(members)).expect("JSON");
        assert_eq!(object, json!({"a": 1, "b": null}));
    }

    #[test]
    fn base64_reaches_bytes_parameters() {
        let json = serde_json::to_vec(&[Value::Base64(b"hi".to_vec())]).expect("JSON");
        let (bytes,): (ferry::Bytes,) = serde_json::from_slice(&json).expect("Bytes decode");
        assert_eq!(bytes, ferry::Bytes::from_static(b"hi"));
    }

    #[test]
    fn every_json_kind_becomes_a_value() {
        for from in [Value::from, |json| hinted(json, Schema::ANY)] {
            assert_eq!(from(json!(null)), Value::Nil);
            assert_eq!(from(json!(false)), Value::Boolean(false));
            assert_eq!(from(json!(3)), Value::Int(3));
            assert_eq!(from(json!(i64::MIN)), Value::Int(i64::MIN));
            assert_eq!(from(json!(u64::MAX)), Value::Double(u64::MAX as f64));
            assert_eq!(from(json!(1.25)), Value::Double(1.25));
            assert_eq!(from(json!("x")), Value::String("x".into()));
            assert_eq!(
                from(json!([1, 2])),
                Value::Array(vec![Value::Int(1), Value::Int(2)])
            );
            assert_eq!(
                from(json!({"k": [true]})),
                Value::Struct(vec![("k".into(), Value::Array(vec![Value::Boolean(true)]))])
            );
        }
    }

    #[test]
    fn bytes_schemas_turn_arrays_into_base64() {
        let document = ferry::schema_of::<ferry::Bytes>();
        let bytes = Schema::new(&document);
        assert_eq!(hinted(json!([1, 2]), bytes), Value::Base64(vec![1, 2]));
        assert_eq!(hinted(json!([]), bytes), Value::Base64(vec![]));
        let not_bytes = Value::Array(vec![Value::Int(1), Value::Int(256), Value::Int(3)]);
        assert_eq!(hinted(json!([1, 256, 3]), bytes), not_bytes);
        assert_eq!(
            Value::from(json!([1, 2])),
            Value::Array(vec![Value::Int(1), Value::Int(2)])
        );
    }

    #[test]
    fn bytes_nested_in_structs_and_arrays_are_found() {
        #[derive(schemars::JsonSchema)]
        #[allow(dead_code)]
        struct Blob {
            data: ferry::Bytes,
            parts: Vec<Vec<u8>>,
        }
        let document = ferry::schema_of::<Blob>();
        let value = hinted(json!({"data": [7], "parts": [[8]]}), Schema::new(&document));
        let parts = Value::Array(vec![Value::Base64(vec![8])]);
        let expected = vec![
            ("data".into(), Value::Base64(vec![7])),
            ("parts".into(), parts),
        ];
        assert_eq!(value, Value::Struct(expected));
    }

    /// A method of one parameter whose schema is `document`.
    fn method_of(document: &Json) -> MethodDescriptor {
        MethodDescriptor {
            name: "m".into(),
            doc: String::new(),
            params: vec![ferry::ParamDescriptor {
                name: "value".into(),
                schema: document.clone(),
                default: None,
            }],
            result: Json::Bool(true),
            error: None,
            idempotent: false,
            client_stream: None,
            server_stream: None,
        }
    }

    /// What a handler of one parameter whose schema is `document` receives.
    fn received(value: Value, document: &Json) -> ferry::Value {
        let body = arguments(&[value], Some(&method_of(document))).expect("encodes");
        let (received,): (ferry::Value,) = CODEC.decode(&body).expect("decodes");
        received
    }

    fn sample() -> Value {
        Value::Struct(vec![
            ("data".into(), Value::Base64(vec![0, 1, 255])),
            (
                "at".into(),
                Value::Array(vec![Value::DateTime("20240501T12:34:56".into())]),
            ),
        ])
    }

    #[test]
    fn a_ferry_value_parameter_receives_bytes_and_times_all_the_way_down() {
        let time = "2024-05-01T12:34:56Z".parse().expect("a time");
        let expected = ferry::Value::Map(vec![
            (
                "data".into(),
                ferry::Value::Bytes(ferry::Bytes::from_static(b"\x00\x01\xff")),
            ),
            (
                "at".into(),
                ferry::Value::Array(vec![ferry::Value::Time(time)]),
            ),
        ]);
        assert_eq!(
            received(sample(), &ferry::schema_of::<ferry::Value>()),
            expected
        );
    }

    #[test]
    fn other_parameters_receive_what_they_always_did() {
        let bytes = [0, 1, 255].map(ferry::Value::Int).to_vec();
        let at = vec![ferry::Value::from("20240501T12:34:56")];
        let expected = ferry::Value::Map(vec![
            ("data".into(), ferry::Value::Array(bytes)),
            ("at".into(), ferry::Value::Array(at)),
        ]);
        assert_eq!(received(sample(), &ferry::schema_of::<Json>()), expected);
        // A date-time parameter gets RFC 3339, which every date-time type reads.
        let time = Value::DateTime("20240501T14:34:56+02:00".into());
        let document = ferry::schema_of::<ferry::Time>();
        assert_eq!(
            received(time, &document),
            ferry::Value::from("2024-05-01T12:34:56Z")
        );
        // Bytes parameters get bin.
        let bytes = Value::Base64(vec![9]);
        let document = ferry::schema_of::<Vec<u8>>();
        assert_eq!(
            received(bytes, &document),
            ferry::Value::Bytes(ferry::Bytes::from_static(&[9]))
        );
    }

    #[test]
    fn a_datetime_a_value_cannot_read_is_an_error_naming_it() {
        let method = method_of(&ferry::schema_of::<ferry::Value>());
        let bad = [Value::DateTime("soon".into())];
        let err = arguments(&bad, Some(&method)).expect_err("refused");
        assert!(
            err.to_string().contains("a <dateTime.iso8601>: \"soon\""),
            "{err}"
        );
        assert!(
            arguments(&bad, None).is_ok(),
            "no schema: passed on as text"
        );
    }

    #[test]
    fn msgpack_results_keep_bytes_and_times() {
        let time: ferry::Time = "2024-05-01T12:34:56.5Z".parse().expect("a time");
        let result = ferry::Value::Map(vec![
            (
                "1".into(),
                ferry::Value::Bytes(ferry::Bytes::from_static(b"hi")),
            ),
            ("at".into(), ferry::Value::Time(time)),
            ("nan".into(), ferry::Value::Float(f64::NAN)),
        ]);
        let body = CODEC.encode(&result).expect("encodes");
        let read = CODEC
            .decode_seed(&body, Hinted(Schema::ANY))
            .expect("decodes");
        let expected = Value::Struct(vec![
            ("1".into(), Value::Base64(b"hi".to_vec())),
            ("at".into(), Value::DateTime("20240501T12:34:56".into())),
            ("nan".into(), Value::Nil),
        ]);
        assert_eq!(read, expected);
        // Map keys that are numbers, as a HashMap<u32, _> writes them, become their text.
        let body = CODEC.encode(&std::collections::BTreeMap::from([(7_u32, true)]));
        let read = CODEC.decode_seed(&body.expect("encodes"), Hinted(Schema::ANY));
        assert_eq!(
            read.expect("decodes"),
            Value::Struct(vec![("7".into(), Value::Boolean(true))])
        );
    }

    #[test]
    fn date_time_strings_in_results_become_datetimes_where_the_schema_says_so() {
        let document = json!({"type": "string", "format": "date-time"});
        let read = |text: &str, schema| {
            let body = CODEC.encode(text).expect("encodes");
            CODEC.decode_seed(&body, Hinted(schema)).expect("decodes")
        };
        let schema = Schema::new(&document);
        assert_eq!(
            read("2024-05-01T12:34:56Z", schema),
            Value::DateTime("20240501T12:34:56".into())
        );
        assert_eq!(
            read("not a time", schema),
            Value::String("not a time".into())
        );
        assert_eq!(
            read("2024-05-01T12:34:56Z", Schema::ANY),
            Value::String("2024-05-01T12:34:56Z".into())
        );
    }
}
