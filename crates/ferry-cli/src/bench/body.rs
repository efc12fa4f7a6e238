//! The arguments every call of a bench sends, encoded once.

use ferry::{Bytes, CallError, Codec, Status};
use serde_json::{Map, Value};

use crate::failure::Failure;

/// `--fill`: what payloads are made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub(crate) enum Fill {
    /// One letter over and over: the most compressible payload there is.
    #[default]
    Letter,
    /// Log lines with counters, times and random ids: compressible as text usually is.
    Text,
    /// Random letters (echo.echo: random bytes): next to nothing to compress.
    Random,
}

impl Fill {
    /// `len` characters of this fill, all ASCII, so echo.ping's string is plain text.
    fn text(self, len: usize) -> String {
        let mut random = Random(0x9e37_79b9_7f4a_7c15);
        let mut out = String::with_capacity(len + 128);
        match self {
            Fill::Letter => out.extend(std::iter::repeat_n('x', len)),
            Fill::Random => out.extend((0..len).map(|_| char::from(b'a' + random.below(26)))),
            Fill::Text => {
                for line in 0.. {
                    if out.len() >= len {
                        break;
                    }
                    let (id, micros) = (random.next(), random.below(250));
                    out.push_str(&format!(
                        "{line:08} 2026-12-02T13:{:02}:{:02}Z INFO echo.echo id={id:016x} ok in {micros} us\n",
                        line / 60 % 60,
                        line % 60,
                    ));
                }
                out.truncate(len);
            }
        }
        out
    }

    /// `len` bytes of this fill.
    fn bytes(self, len: usize) -> Bytes {
        if self != Fill::Random {
            return Bytes::from(self.text(len));
        }
        let mut random = Random(0x2545_f491_4f6c_dd1d);
        (0..len).map(|_| random.next().to_le_bytes()[0]).collect()
    }
}

/// xorshift64: payloads the same from run to run, with no crate for it.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number under `n` (at most 256).
    fn below(&mut self, n: u8) -> u8 {
        self.next().to_le_bytes()[0] % n
    }
}

/// The encoded arguments of `method`: `--args` when given; otherwise `payload` bytes of
/// `fill` for `echo.echo`, a string of `payload` characters for `echo.ping`, and no
/// arguments for any other method.
pub(crate) fn encode(
    method: &str,
    (payload, fill): (usize, Fill),
    named: Option<&Map<String, Value>>,
    codec: Codec,
) -> Result<Bytes, Failure> {
    let encoded = match (named, method) {
        (Some(named), _) => codec.encode(named),
        (None, "echo.echo") => codec.encode(&(fill.bytes(payload),)),
        (None, "echo.ping") => codec.encode(&(fill.text(payload),)),
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
            let (data,): (Bytes,) =
                decode(codec, encode("echo.echo", (64, Fill::Letter), None, codec));
            assert_eq!(data, Bytes::from(vec![b'x'; 64]));
        }
    }

    #[test]
    fn ping_gets_a_string_of_payload_characters() {
        let (text,): (String,) = decode(
            Codec::MsgPack,
            encode("echo.ping", (5, Fill::Letter), None, Codec::MsgPack),
        );
        assert_eq!(text, "xxxxx");
    }

    #[test]
    fn every_fill_has_the_length_asked_and_text_is_ascii() {
        for fill in [Fill::Letter, Fill::Text, Fill::Random] {
            let (text,): (String,) = decode(
                Codec::MsgPack,
                encode("echo.ping", (1000, fill), None, Codec::MsgPack),
            );
            assert_eq!(text.len(), 1000, "{fill:?}");
            assert!(text.is_ascii(), "{fill:?}");
            let (data,): (Bytes,) = decode(
                Codec::MsgPack,
                encode("echo.echo", (1000, fill), None, Codec::MsgPack),
            );
            assert_eq!(data.len(), 1000, "{fill:?}");
        }
        let text = Fill::Text.text(300);
        assert!(
            text.starts_with("00000000 2026-12-02T13:00:00Z INFO echo.echo id="),
            "{text}"
        );
    }

    #[test]
    fn other_methods_get_named_arguments_or_none() {
        let named: Map<String, Value> =
            serde_json::from_str(r#"{"a": 1, "b": 2}"#).expect("an object");
        let body = encode("calc.add", (64, Fill::Letter), Some(&named), Codec::Json);
        assert_eq!(decode::<Value>(Codec::Json, body), json!({"a": 1, "b": 2}));
        let body = encode("calc.get_time", (64, Fill::Letter), None, Codec::MsgPack);
        assert_eq!(decode::<Value>(Codec::MsgPack, body), json!([]));
    }
}
