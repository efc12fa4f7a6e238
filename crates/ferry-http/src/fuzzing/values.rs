//! The untyped value type's parsers: `ferry::Time`'s ISO 8601 reader and `ferry::Value` over
//! MessagePack.

use ferry::{Codec, Time, Value};

/// Neither parser panics; a time that reads writes RFC 3339 that reads back to itself, and a
/// value that decodes encodes to bytes that decode to the same value.
pub fn value_decode(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(time) = text.parse::<Time>() {
            assert_eq!(time.to_string().parse::<Time>(), Ok(time));
        }
    }
    let Ok(value) = Codec::MsgPack.decode::<Value>(data) else {
        return;
    };
    let encoded = Codec::MsgPack
        .encode(&value)
        .expect("a decoded value encodes");
    let again: Value = Codec::MsgPack.decode(&encoded).expect("and decodes again");
    // NaN is not equal to itself; compare the bytes each writes instead.
    assert_eq!(Codec::MsgPack.encode(&again).ok(), Some(encoded));
}
