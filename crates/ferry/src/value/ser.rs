//! How a [`Value`] is written: bytes as `bin` and times as timestamps where the format is
//! binary (MessagePack), as base64 and RFC 3339 strings where it is human-readable (JSON).

use base64::Engine as _;
use serde::{Serialize, Serializer};

use super::Value;

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => serializer.serialize_unit(),
            Value::Bool(boolean) => serializer.serialize_bool(*boolean),
            Value::Int(int) => serializer.serialize_i64(*int),
            Value::UInt(int) => serializer.serialize_u64(*int),
            Value::Float(float) => serializer.serialize_f64(*float),
            Value::String(text) => serializer.serialize_str(text),
            Value::Bytes(bytes) if serializer.is_human_readable() => {
                let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
                serializer.serialize_str(&encoded)
            }
            Value::Bytes(bytes) => serializer.serialize_bytes(bytes),
            Value::Time(time) => time.serialize(serializer),
            Value::Array(items) => serializer.collect_seq(items),
            Value::Map(members) => {
                serializer.collect_map(members.iter().map(|(name, value)| (name, value)))
            }
        }
    }
}
