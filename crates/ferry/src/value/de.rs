//! How a [`Value`] is read, from whatever the format says it holds: MessagePack's bin and
//! timestamps become `Bytes` and `Time`, map keys that are numbers or booleans their text.

use std::fmt;

use bytes::Bytes;
use serde::{
    de::{self, Deserializer, MapAccess, SeqAccess, Visitor},
    Deserialize,
};

use super::{Time, Value};

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any value")
    }

    fn visit_bool<E>(self, boolean: bool) -> Result<Value, E> {
        Ok(Value::Bool(boolean))
    }

    fn visit_i64<E>(self, int: i64) -> Result<Value, E> {
        Ok(Value::Int(int))
    }

    fn visit_u64<E>(self, int: u64) -> Result<Value, E> {
        Ok(Value::from(int))
    }

    fn visit_f64<E>(self, float: f64) -> Result<Value, E> {
        Ok(Value::Float(float))
    }

    fn visit_str<E>(self, text: &str) -> Result<Value, E> {
        Ok(Value::String(text.to_owned()))
    }

    fn visit_string<E>(self, text: String) -> Result<Value, E> {
        Ok(Value::String(text))
    }

    fn visit_bytes<E>(self, bytes: &[u8]) -> Result<Value, E> {
        Ok(Value::Bytes(Bytes::copy_from_slice(bytes)))
    }

    fn visit_byte_buf<E>(self, bytes: Vec<u8>) -> Result<Value, E> {
        Ok(Value::Bytes(Bytes::from(bytes)))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        Value::deserialize(deserializer)
    }

    /// rmp-serde hands a MessagePack extension over as a newtype; a timestamp is the only
    /// one ferry reads.
    fn visit_newtype_struct<D: Deserializer<'de>>(self, inside: D) -> Result<Value, D::Error> {
        Time::deserialize(inside).map(Value::Time)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut members = Vec::with_capacity(map.size_hint().unwrap_or(0).min(1024));
        while let Some(MapKey(name)) = map.next_key()? {
            members.push((name, map.next_value()?));
        }
        Ok(Value::Map(members))
    }
}

/// A map key as text: MessagePack keys may be numbers or booleans, which JSON would have
/// written as their text.
#[derive(Debug)]
pub struct MapKey(pub String);

impl<'de> Deserialize<'de> for MapKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<MapKey, D::Error> {
        deserializer.deserialize_any(MapKeyVisitor)
    }
}

struct MapKeyVisitor;

impl Visitor<'_> for MapKeyVisitor {
    type Value = MapKey;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map key: text, a number or a boolean")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<MapKey, E> {
        Ok(MapKey(text.to_owned()))
    }

    fn visit_string<E: de::Error>(self, text: String) -> Result<MapKey, E> {
        Ok(MapKey(text))
    }

    fn visit_i64<E: de::Error>(self, int: i64) -> Result<MapKey, E> {
        Ok(MapKey(int.to_string()))
    }

    fn visit_u64<E: de::Error>(self, int: u64) -> Result<MapKey, E> {
        Ok(MapKey(int.to_string()))
    }

    fn visit_bool<E: de::Error>(self, boolean: bool) -> Result<MapKey, E> {
        Ok(MapKey(boolean.to_string()))
    }
}
