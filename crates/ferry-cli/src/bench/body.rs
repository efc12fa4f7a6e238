//! The arguments every call of a bench sends, encoded once.

use ferry::{Bytes, CallError, Codec, Status};
use serde_json::{Map, Value};

use crate::failure::Failure;

/// What payloads are made of; a letter, so echo.ping's string is plain ASCII.
const FILL: &str = "x";

/// The encoded arguments of `method`: `--args` when given; otherwise `payload` bytes for
/// `echo.echo`, a string of `payload` characters for `echo.ping`, and no arguments for any
/// other method.
pub(crate) fn encode(
    method: &str,
    payload: usize,
    named: Option<&Map<String, Value>>,
    codec: Codec,
) -> Result<Bytes, Failure> {
    let encoded = match (named, method) {
        (Some(named), _) => codec.encode(named),
        (None, "echo.echo") => codec.encode(&(Bytes::from(FILL.repeat(payload)),)),
        (None, "echo.ping") => codec.encode(&(FILL.repeat(payload),)),
        (None, _) => codec.encode(&Value::Array(Vec::new())),
    };
    encoded.map_err(|err| {
        Failure::Call(CallError::new(
            Status::InvalidArgs,
            format!("arguments of {method} do not encode: {err}"),
        ))
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn decode<T: serde::de::DeserializeOwned>(codec: Codec, body: Result<Bytes, Failure>) -> T {
        codec
            .decode(&body.expect("the arguments encode"))
            .expect("they decode")
    }

    #[test]
    fn echo_gets_payload_bytes_in_either_codec() {
        for codec in [Codec::MsgPack, Codec::Json] {
            let (data,): (Bytes,) = decode(codec, encode("echo.echo", 64, None, codec));
            assert_eq!(data, Bytes::from(vec![b'x'; 64]));
        }
    }

    #[test]
    fn ping_gets_a_string_of_payload_characters() {
        let (text,): (String,) =
            decode(Codec::MsgPack, encode("echo.ping", 5, None, Codec::MsgPack));
        assert_eq!(text, "xxxxx");
    }

    #[test]
    fn other_methods_get_named_arguments_or_none() {
        let named: Map<String, Value> =
            serde_json::from_str(r#"{"a": 1, "b": 2}"#).expect("an object");
        let body = encode("calc.add", 64, Some(&named), Codec::Json);
        assert_eq!(decode::<Value>(Codec::Json, body), json!({"a": 1, "b": 2}));
        let body = encode("calc.get_time", 64, None, Codec::MsgPack);
        assert_eq!(decode::<Value>(Codec::MsgPack, body), json!([]));
    }
}
