//! `ferry::Value` and `ferry::Time` through both codecs: MessagePack keeps bytes and times
//! (a property test over every shape of value), JSON writes them as base64 and RFC 3339
//! strings and reads them back as strings.

use ferry::{value::MapKey, Bytes, Codec, Time, Value};
use proptest::prelude::*;
use serde_json::json;

/// Times across the whole range a `Time` holds.
fn time() -> impl Strategy<Value = Time> {
    (-62_167_219_200_i64..=253_402_300_799, 0_u32..1_000_000_000)
        .prop_map(|(seconds, nanos)| Time::from_unix(seconds, nanos).expect("in range"))
}

/// Every kind of value, nested; integers as decoding makes them (`UInt` only above
/// `i64::MAX`) and floats that equal themselves.
fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::Int),
        (i64::MAX as u64 + 1..=u64::MAX).prop_map(Value::UInt),
        any::<f64>()
            .prop_filter("NaN is not equal to itself", |f| !f.is_nan())
            .prop_map(Value::Float),
        ".*".prop_map(Value::String),
        prop::collection::vec(any::<u8>(), 0..64).prop_map(|b| Value::Bytes(Bytes::from(b))),
        time().prop_map(Value::Time),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::vec((".*", inner), 0..8).prop_map(Value::Map),
        ]
    })
}

proptest! {
    #[test]
    fn msgpack_round_trips_every_value(value in value()) {
        let encoded = Codec::MsgPack.encode(&value).expect("encodes");
        let decoded: Value = Codec::MsgPack.decode(&encoded).expect("decodes");
        prop_assert_eq!(decoded, value);
    }

    #[test]
    fn every_time_reads_back_from_its_rfc3339_text(time in time()) {
        prop_assert_eq!(time.to_string().parse::<Time>(), Ok(time));
    }
}

fn sample() -> Value {
    let time = Time::from_unix(1_714_566_896, 0).expect("in range");
    Value::Map(vec![
        (
            "data".into(),
            Value::Bytes(Bytes::from_static(b"\x00\x01\xff")),
        ),
        ("at".into(), Value::Time(time)),
        (
            "list".into(),
            Value::Array(vec![Value::Int(-1), Value::UInt(u64::MAX)]),
        ),
    ])
}

#[test]
fn json_writes_base64_and_rfc3339_strings_in_order() {
    let text = String::from_utf8(Codec::Json.encode(&sample()).expect("encodes").to_vec());
    assert_eq!(
        text.expect("UTF-8"),
        r#"{"data":"AAH/","at":"2024-05-01T12:34:56Z","list":[-1,18446744073709551615]}"#
    );
}

#[test]
fn json_reads_strings_as_strings() {
    let json = Codec::Json.encode(&sample()).expect("encodes");
    let back: Value = Codec::Json.decode(&json).expect("decodes");
    let expected = Value::Map(vec![
        ("data".into(), Value::from("AAH/")),
        ("at".into(), Value::from("2024-05-01T12:34:56Z")),
        (
            "list".into(),
            Value::from(vec![Value::Int(-1), Value::UInt(u64::MAX)]),
        ),
    ]);
    assert_eq!(back, expected);
    // JSON's own values convert, numbers by size.
    let from_json = Value::from(json!({"n": [-1, u64::MAX, 0.5], "s": "AAH/"}));
    let numbers = vec![Value::Int(-1), Value::UInt(u64::MAX), Value::Float(0.5)];
    let expected = Value::Map(vec![
        ("n".into(), Value::Array(numbers)),
        ("s".into(), Value::from("AAH/")),
    ]);
    assert_eq!(from_json, expected);
}

#[test]
fn msgpack_map_keys_that_are_numbers_become_their_text() {
    let encoded = rmp_serde::to_vec(&std::collections::BTreeMap::from([(7, "x"), (-2, "y")]));
    let value: Value = Codec::MsgPack
        .decode(&encoded.expect("encodes"))
        .expect("decodes");
    let expected = Value::Map(vec![
        ("-2".into(), Value::from("y")),
        ("7".into(), Value::from("x")),
    ]);
    assert_eq!(value, expected);
    let MapKey(key) = Codec::MsgPack.decode(&[0xc3]).expect("a boolean key");
    assert_eq!(key, "true");
    assert!(Codec::MsgPack.decode::<MapKey>(&[0x90]).is_err());
}

#[test]
fn typed_bytes_and_times_read_from_a_value_and_back() {
    let encoded = Codec::MsgPack.encode(&sample()).expect("encodes");
    #[derive(serde::Deserialize)]
    struct Typed {
        data: Bytes,
        at: Time,
    }
    let typed: Typed = Codec::MsgPack.decode(&encoded).expect("typed decode");
    assert_eq!(typed.data, Bytes::from_static(b"\x00\x01\xff"));
    assert_eq!(typed.at.unix_seconds(), 1_714_566_896);
}
