//! Arguments as REST and JSON-RPC receive them (a JSON object of named ones, an array of
//! positional ones) shaped to the method's parameter schemas, as the JSON text the router
//! decodes (sans-IO):
//!
//! - a number with no fraction (`2.0`, `-3e2`) where the schema says integer is that integer:
//!   JSON Schema counts it as one, serde's integers do not take it;
//! - a string where the schema says bytes is base64 (standard or URL-safe alphabet, padding
//!   optional), written as the array of byte values the router's bytes types decode; an
//!   array of byte values passes as it is;
//! - a positional call that leaves optional parameters off its end gets their defaults, and
//!   `null` for an `Option`, so that every handler sees them as left out.
//!
//! The shaped text is written straight from the parsed arguments: a base64 string becomes
//! bytes and their JSON, never a tree of values.

use std::fmt;

use base64::{
    alphabet,
    engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig},
    Engine as _,
};
use bytes::Bytes;
use ferry::{MethodDescriptor, ParamDescriptor};
use serde::{ser::Error as _, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::{schema::is_optional, xmlrpc::schema::Schema};

/// Base64 with or without its `=` padding.
const LENIENT: GeneralPurposeConfig =
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);

/// The alphabets a bytes string may use: a string valid in both decodes the same in both.
const BASE64: [GeneralPurpose; 2] = [
    GeneralPurpose::new(&alphabet::STANDARD, LENIENT),
    GeneralPurpose::new(&alphabet::URL_SAFE, LENIENT),
];

/// Why arguments do not fit their parameters, naming the parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unfit(String);

impl Unfit {
    /// The `invalid_args` message for a call of `method`, in the router's words.
    pub(crate) fn message(&self, method: &str) -> String {
        format!(
            "arguments of {method} do not fit its parameters: {}",
            self.0
        )
    }
}

/// `args` shaped for `method`'s parameters as JSON text; unchanged for a method no service
/// has, which the router answers for itself.
pub(crate) fn shape(args: &Value, method: Option<&MethodDescriptor>) -> Result<Bytes, Unfit> {
    let params = method.map_or(&[][..], |method| &method.params);
    let written = match args {
        Value::Object(named) => serde_json::to_vec(&Named { named, params }),
        Value::Array(given) => {
            let padding = padding(given.len(), params)?;
            serde_json::to_vec(&Positional {
                given,
                padding,
                params,
            })
        }
        other => serde_json::to_vec(other),
    };
    written
        .map(Bytes::from)
        .map_err(|err| Unfit(err.to_string()))
}

/// What a positional call of `given` arguments gets for the parameters it leaves off.
fn padding(given: usize, params: &[ParamDescriptor]) -> Result<Vec<Value>, Unfit> {
    let left_off = params.iter().skip(given);
    left_off
        .map(|param| match &param.default {
            Some(default) => Ok(default.clone()),
            None if is_optional(param) => Ok(Value::Null),
            None => Err(Unfit(format!("missing parameter `{}`", param.name))),
        })
        .collect()
}

/// Named arguments, each under its parameter's schema (none for a name no parameter has).
struct Named<'a> {
    named: &'a Map<String, Value>,
    params: &'a [ParamDescriptor],
}

impl Serialize for Named<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.named.iter().map(|(name, value)| {
            let param = self.params.iter().find(|param| param.name == *name);
            (name, Shaped::param(value, param))
        }))
    }
}

/// Positional arguments, then the padding for the parameters they leave off.
struct Positional<'a> {
    given: &'a [Value],
    padding: Vec<Value>,
    params: &'a [ParamDescriptor],
}

impl Serialize for Positional<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let args = self.given.iter().chain(&self.padding).enumerate();
        serializer.collect_seq(args.map(|(at, value)| Shaped::param(value, self.params.get(at))))
    }
}

/// One value under the schema of the place it sits in.
struct Shaped<'a> {
    value: &'a Value,
    schema: Schema<'a>,
    /// The parameter it is (part of), for messages.
    param: &'a str,
}

impl<'a> Shaped<'a> {
    fn param(value: &'a Value, param: Option<&'a ParamDescriptor>) -> Shaped<'a> {
        Shaped {
            value,
            schema: param.map_or(Schema::ANY, |param| Schema::new(&param.schema)),
            param: param.map_or("", |param| &param.name),
        }
    }

    fn child(&self, value: &'a Value, schema: Schema<'a>) -> Shaped<'a> {
        Shaped {
            value,
            schema,
            param: self.param,
        }
    }

    fn unfit(&self, what: impl fmt::Display) -> String {
        format!("`{}`: {what}", self.param)
    }
}

impl Serialize for Shaped<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let schema = self.schema;
        match self.value {
            Value::Number(number) if number.is_f64() && wants_integer(schema) => {
                let float = number.as_f64().unwrap_or(f64::NAN);
                match integral(float) {
                    Ok(Integral::Unsigned(int)) => serializer.serialize_u64(int),
                    Ok(Integral::Signed(int)) => serializer.serialize_i64(int),
                    Err(why) => Err(S::Error::custom(self.unfit(format_args!("{number} {why}")))),
                }
            }
            Value::String(text) if schema.is_bytes() => {
                let bytes = base64(text).map_err(|why| S::Error::custom(self.unfit(why)))?;
                serializer.serialize_bytes(&bytes)
            }
            Value::Array(items) => {
                let items_schema = schema.items();
                serializer.collect_seq(items.iter().map(|item| self.child(item, items_schema)))
            }
            Value::Object(members) => serializer.collect_map(
                members
                    .iter()
                    .map(|(name, member)| (name, self.child(member, schema.property(name)))),
            ),
            other => other.serialize(serializer),
        }
    }
}

/// Whether the schema takes integers and no other numbers.
fn wants_integer(schema: Schema<'_>) -> bool {
    schema.has_type("integer") && !schema.has_type("number")
}

/// An integer a float with no fraction stands for.
enum Integral {
    Unsigned(u64),
    Signed(i64),
}

/// 2^64, the first float past `u64`.
const PAST_U64: f64 = 18_446_744_073_709_551_616.0;

/// -2^63, the smallest `i64`, exactly a float.
const MIN_I64: f64 = -9_223_372_036_854_775_808.0;

/// The integer `float` is, or why it is none.
fn integral(float: f64) -> Result<Integral, &'static str> {
    if float.fract() != 0.0 || !float.is_finite() {
        return Err("is not an integer");
    }
    // Both casts are exact: the float is whole and inside the target's range.
    if (0.0..PAST_U64).contains(&float) {
        Ok(Integral::Unsigned(float as u64))
    } else if (MIN_I64..0.0).contains(&float) {
        Ok(Integral::Signed(float as i64))
    } else {
        Err("is beyond a 64-bit integer")
    }
}

/// The bytes a base64 string holds, or why it holds none.
fn base64(text: &str) -> Result<Vec<u8>, &'static str> {
    BASE64
        .iter()
        .find_map(|engine| engine.decode(text).ok())
        .ok_or(
            "bytes are base64 (standard or URL-safe, padding optional) or an array of byte \
             values; this string is not base64",
        )
}

#[cfg(test)]
mod tests {
    use ferry::{Router, ServiceDescriptor};
    use serde_json::json;

    use super::*;

    fn services() -> Vec<ServiceDescriptor> {
        Router::new()
            .function("t.int", ["n", "m"], |n: i64, m: u8| async move {
                n + i64::from(m)
            })
            .function(
                "t.bytes",
                ["data"],
                |data: ferry::Bytes| async move { data },
            )
            .function(
                "t.opt",
                ["a", "b", "c"],
                |a: i64, b: Option<String>, c: Option<Vec<i32>>| async move {
                    format!("{a} {b:?} {c:?}")
                },
            )
            .services()
            .to_vec()
    }

    fn shaped(method: &str, args: Value) -> Result<Value, String> {
        let services = services();
        let service = services.iter().find(|service| service.name == "t");
        let method = service.and_then(|service| service.methods.iter().find(|m| m.name == method));
        assert!(method.is_some(), "t.{method:?} is served");
        shape(&args, method)
            .map(|text| serde_json::from_slice(&text).expect("JSON out"))
            .map_err(|unfit| unfit.message("t.m"))
    }

    #[test]
    fn integral_floats_are_integers() {
        assert_eq!(shaped("int", json!([0.0, 255.0])), Ok(json!([0, 255])));
        assert_eq!(
            shaped("int", json!({"n": -3.0, "m": 1e2})),
            Ok(json!({"n": -3, "m": 100}))
        );
        assert_eq!(
            shaped("int", json!([-9.223372036854776e18, 1])),
            Ok(json!([i64::MIN, 1]))
        );
        let half = shaped("int", json!([1.5, 1])).unwrap_err();
        assert_eq!(
            half,
            "arguments of t.m do not fit its parameters: `n`: 1.5 is not an integer"
        );
        let huge = shaped("int", json!({"n": 1e300, "m": 1})).unwrap_err();
        assert!(
            huge.ends_with("`n`: 1e+300 is beyond a 64-bit integer"),
            "{huge}"
        );
    }

    #[test]
    fn bytes_are_base64_or_an_array() {
        let hello = json!([104, 101, 108, 108, 111]);
        for text in ["aGVsbG8=", "aGVsbG8"] {
            assert_eq!(shaped("bytes", json!([text])), Ok(json!([hello])), "{text}");
        }
        assert_eq!(
            shaped("bytes", json!({"data": "-_8="})),
            Ok(json!({"data": [251, 255]}))
        );
        assert_eq!(
            shaped("bytes", json!({"data": "+/8="})),
            Ok(json!({"data": [251, 255]}))
        );
        assert_eq!(shaped("bytes", json!([""])), Ok(json!([[]])));
        assert_eq!(shaped("bytes", json!([[0, 255.0]])), Ok(json!([[0, 255]])));
        let raw = shaped("bytes", json!(["hello!"])).unwrap_err();
        assert!(raw.contains("`data`: bytes are base64"), "{raw}");
    }

    #[test]
    fn optional_parameters_left_off_a_positional_call_are_null() {
        assert_eq!(shaped("opt", json!([1])), Ok(json!([1, null, null])));
        assert_eq!(shaped("opt", json!([1, "x"])), Ok(json!([1, "x", null])));
        assert_eq!(shaped("opt", json!({"a": 1})), Ok(json!({"a": 1})));
        let missing = shaped("opt", json!([])).unwrap_err();
        assert!(missing.ends_with("missing parameter `a`"), "{missing}");
    }

    #[test]
    fn a_required_parameter_left_off_is_named() {
        let missing = shaped("int", json!([1])).unwrap_err();
        assert!(missing.ends_with("missing parameter `m`"), "{missing}");
    }

    #[test]
    fn a_method_no_service_has_takes_its_arguments_as_they_are() {
        let args = json!({"n": 1.5, "data": "x"});
        let text = shape(&args, None).expect("unchanged");
        assert_eq!(serde_json::from_slice::<Value>(&text).unwrap(), args);
    }
}
