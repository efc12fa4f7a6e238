//! How a [`Time`] travels: MessagePack's timestamp extension (type -1) where the format is
//! binary, RFC 3339 text where it is human-readable (JSON).
//!
//! The extension's payload, by the MessagePack specification, big-endian:
//!
//! | bytes | layout | when |
//! |---|---|---|
//! | 4 | seconds: u32 | no nanoseconds, 1970 to 2106 |
//! | 8 | nanoseconds: 30 bits, seconds: 34 bits | 1970 to 2514 |
//! | 12 | nanoseconds: u32, seconds: i64 | any other time |
//!
//! rmp-serde carries an extension as the newtype struct `_ExtStruct` around `(type, bytes)`.

use std::fmt;

use serde::{
    de::{self, Deserializer, SeqAccess, Visitor},
    ser::{SerializeTuple, Serializer},
    Deserialize, Serialize,
};

use super::time::Time;

/// The MessagePack extension type of timestamps.
const EXT_TYPE: i8 = -1;

/// The newtype struct name rmp-serde reads and writes extensions as.
const EXT_STRUCT: &str = "_ExtStruct";

/// The extension payload of `time`, in the shortest layout that holds it.
fn payload(time: Time) -> ([u8; 12], usize) {
    let (seconds, nanos) = (time.unix_seconds(), time.subsec_nanos());
    let mut out = [0; 12];
    match u64::try_from(seconds) {
        Ok(seconds) if nanos == 0 && seconds >> 32 == 0 => {
            out[..4].copy_from_slice(&(seconds as u32).to_be_bytes());
            (out, 4)
        }
        Ok(seconds) if seconds >> 34 == 0 => {
            let packed = u64::from(nanos) << 34 | seconds;
            out[..8].copy_from_slice(&packed.to_be_bytes());
            (out, 8)
        }
        _ => {
            out[..4].copy_from_slice(&nanos.to_be_bytes());
            out[4..].copy_from_slice(&seconds.to_be_bytes());
            (out, 12)
        }
    }
}

/// The time an extension payload holds; a message for a payload that is not a timestamp.
fn from_payload(payload: &[u8]) -> Result<Time, String> {
    let (seconds, nanos) = match *payload {
        [a, b, c, d] => (i64::from(u32::from_be_bytes([a, b, c, d])), 0),
        [a, b, c, d, e, f, g, h] => {
            let packed = u64::from_be_bytes([a, b, c, d, e, f, g, h]);
            ((packed & 0x3_ffff_ffff) as i64, (packed >> 34) as u32)
        }
        [a, b, c, d, ref seconds @ ..] if payload.len() == 12 => {
            let mut wide = [0; 8];
            wide.copy_from_slice(seconds);
            (i64::from_be_bytes(wide), u32::from_be_bytes([a, b, c, d]))
        }
        _ => {
            let len = payload.len();
            return Err(format!(
                "a MessagePack timestamp has 4, 8 or 12 bytes, not {len}"
            ));
        }
    };
    Time::from_unix(seconds, nanos).map_err(|err| format!("a MessagePack timestamp: {err}"))
}

/// Bytes that serialize as bytes (`bin`), not as a sequence of numbers.
struct Raw<'b>(&'b [u8]);

impl Serialize for Raw<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(self.0)
    }
}

/// `(type, payload)`, the inside of an extension.
struct Ext<'b>(i8, Raw<'b>);

impl Serialize for Ext<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut tuple = serializer.serialize_tuple(2)?;
        tuple.serialize_element(&self.0)?;
        tuple.serialize_element(&self.1)?;
        tuple.end()
    }
}

impl Serialize for Time {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            return serializer.collect_str(self);
        }
        let (bytes, len) = payload(*self);
        serializer.serialize_newtype_struct(EXT_STRUCT, &Ext(EXT_TYPE, Raw(&bytes[..len])))
    }
}

impl<'de> Deserialize<'de> for Time {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Time, D::Error> {
        deserializer.deserialize_any(TimeVisitor)
    }
}

/// Reads text, or a MessagePack extension that rmp-serde hands over as a newtype around
/// `(type, bytes)`.
struct TimeVisitor;

impl<'de> Visitor<'de> for TimeVisitor {
    type Value = Time;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a date and time: ISO 8601 text or a MessagePack timestamp")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Time, E> {
        text.parse().map_err(E::custom)
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, inside: D) -> Result<Time, D::Error> {
        inside.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut ext: A) -> Result<Time, A::Error> {
        let kind: i8 = ext
            .next_element()?
            .ok_or_else(|| de::Error::invalid_length(0, &self))?;
        let RawBuf(payload) = ext
            .next_element()?
            .ok_or_else(|| de::Error::invalid_length(1, &self))?;
        if kind != EXT_TYPE {
            return Err(de::Error::custom(format_args!(
                "MessagePack extension type {kind} is not one ferry reads (only -1, timestamps)"
            )));
        }
        from_payload(&payload).map_err(de::Error::custom)
    }
}

/// Bytes read as bytes only: an extension's payload.
struct RawBuf(Vec<u8>);

impl<'de> Deserialize<'de> for RawBuf {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<RawBuf, D::Error> {
        deserializer.deserialize_byte_buf(RawBufVisitor)
    }
}

struct RawBufVisitor;

impl Visitor<'_> for RawBufVisitor {
    type Value = RawBuf;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("bytes")
    }

    fn visit_bytes<E: de::Error>(self, bytes: &[u8]) -> Result<RawBuf, E> {
        Ok(RawBuf(bytes.to_vec()))
    }

    fn visit_byte_buf<E: de::Error>(self, bytes: Vec<u8>) -> Result<RawBuf, E> {
        Ok(RawBuf(bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msgpack(time: Time) -> Vec<u8> {
        rmp_serde::to_vec_named(&time).expect("encodes")
    }

    #[test]
    fn each_layout_is_the_specifications() {
        let plain = Time::from_unix(1_714_566_896, 0).unwrap();
        let mut expected = vec![0xd6, 0xff];
        expected.extend_from_slice(&1_714_566_896_u32.to_be_bytes());
        assert_eq!(msgpack(plain), expected);

        let fine = Time::from_unix(1_714_566_896, 5).unwrap();
        let mut expected = vec![0xd7, 0xff];
        expected.extend_from_slice(&(5_u64 << 34 | 1_714_566_896).to_be_bytes());
        assert_eq!(msgpack(fine), expected);

        let before = Time::from_unix(-1, 7).unwrap();
        let mut expected = vec![0xc7, 12, 0xff];
        expected.extend_from_slice(&7_u32.to_be_bytes());
        expected.extend_from_slice(&(-1_i64).to_be_bytes());
        assert_eq!(msgpack(before), expected);
    }

    #[test]
    fn every_layout_reads_back() {
        for (seconds, nanos) in [
            (0, 0),
            (1_714_566_896, 0),
            (u32::MAX.into(), 0),
            (1 << 33, 999_999_999),
            (-62_167_219_200, 1),
            (253_402_300_799, 999_999_999),
        ] {
            let time = Time::from_unix(seconds, nanos).unwrap();
            let back: Time = rmp_serde::from_slice(&msgpack(time)).expect("decodes");
            assert_eq!(back, time);
        }
    }

    #[test]
    fn bad_payloads_and_other_extensions_are_refused() {
        let cases: [(&[u8], &str); 3] = [
            (&[0xd5, 0xff, 0, 0], "4, 8 or 12 bytes, not 2"),
            (&[0xd4, 0x05, 0], "extension type 5"),
            (&[0xd7, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0], "outside"),
        ];
        for (bytes, expected) in cases {
            let err = rmp_serde::from_slice::<Time>(bytes).expect_err("refused");
            assert!(err.to_string().contains(expected), "{err}");
        }
    }

    #[test]
    fn json_carries_rfc3339_text() {
        let time = Time::from_unix(1_714_566_896, 250_000_000).unwrap();
        let json = serde_json::to_string(&time).unwrap();
        assert_eq!(json, "\"2024-05-01T12:34:56.25Z\"");
        assert_eq!(serde_json::from_str::<Time>(&json).unwrap(), time);
        let python: Time = serde_json::from_str("\"20240501T12:34:56\"").unwrap();
        assert_eq!(python.unix_seconds(), 1_714_566_896);
    }
}
