//! Ping requests and pong answers of the length-prefixed JSON dialect, as bytes (sans-IO):
//! a 4-byte little-endian length, then `{"in":"ping","params":TEXT}` one way and
//! `{"out":"pong","result":TEXT}` (or `{"out":"error","error":{"status":...}}`) the other.

use std::borrow::Cow;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use serde::Deserialize;

/// The length header's size.
const LEN: usize = 4;

/// The largest answer accepted; a bigger one means the server is broken.
pub const MAX_MESSAGE: u32 = 16 * 1024 * 1024;

/// Appends a framed ping whose text has one letter per payload byte (no JSON escaping needed).
pub fn encode_ping(payload: &[u8], out: &mut BytesMut) {
    const HEAD: &[u8] = br#"{"in":"ping","params":""#;
    const TAIL: &[u8] = br#""}"#;
    let len = HEAD.len() + payload.len() + TAIL.len();
    out.reserve(LEN + len);
    out.put_u32_le(u32::try_from(len).expect("a message under 4 GiB"));
    out.put_slice(HEAD);
    out.extend(payload.iter().map(|byte| b'a' + byte % 26));
    out.put_slice(TAIL);
}

/// Takes the next whole message body out of `input`, if one has arrived; `Err` when the
/// header announces more than [`MAX_MESSAGE`].
pub fn decode(input: &mut BytesMut) -> Result<Option<Bytes>, String> {
    let Some(header) = input.get(..LEN) else {
        return Ok(None);
    };
    let len = u32::from_le_bytes(header.try_into().expect("four bytes"));
    if len > MAX_MESSAGE {
        return Err("protocol".to_owned());
    }
    let whole = LEN + len as usize;
    if input.len() < whole {
        input.reserve(whole - input.len());
        return Ok(None);
    }
    input.advance(LEN);
    Ok(Some(input.split_to(len as usize).freeze()))
}

/// An answer as it arrives.
#[derive(Debug, Deserialize)]
struct Answer<'a> {
    #[serde(borrow)]
    out: Cow<'a, str>,
    #[serde(borrow, default)]
    result: Option<Cow<'a, str>>,
    #[serde(default)]
    error: Option<Failure>,
}

/// The error object of a failed answer.
#[derive(Debug, Deserialize)]
struct Failure {
    status: String,
}

/// Checks that `body` is a pong carrying `sent` letters back; `Err` is a status name.
pub fn check_pong(body: &[u8], sent: usize) -> Result<(), String> {
    let answer: Answer<'_> = serde_json::from_slice(body).map_err(|_| "protocol".to_owned())?;
    match (&*answer.out, answer.result, answer.error) {
        ("pong", Some(text), _) if text.len() == sent => Ok(()),
        ("pong", _, _) => Err("wrong_echo".to_owned()),
        (_, _, Some(failure)) => Err(failure.status),
        _ => Err("protocol".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ping_is_framed_json_with_one_letter_per_byte() {
        let mut out = BytesMut::new();
        encode_ping(&[0, 1, 27], &mut out);
        let body = decode(&mut out).unwrap().unwrap();
        assert_eq!(&body[..], br#"{"in":"ping","params":"abb"}"#);
        assert!(out.is_empty());
    }

    #[test]
    fn a_message_split_anywhere_waits_for_the_rest() {
        let mut framed = BytesMut::new();
        encode_ping(b"xyz", &mut framed);
        let mut input = BytesMut::from(&framed[..framed.len() - 1]);
        assert_eq!(decode(&mut input), Ok(None));
        input.extend_from_slice(&framed[framed.len() - 1..]);
        assert!(decode(&mut input).unwrap().is_some());
    }

    #[test]
    fn pongs_are_checked_and_failures_named() {
        assert_eq!(
            check_pong(br#"{"out": "pong", "result": "abc"}"#, 3),
            Ok(())
        );
        assert_eq!(
            check_pong(br#"{"out":"pong","result":"ab"}"#, 3),
            Err("wrong_echo".to_owned())
        );
        let failed = br#"{"out":"error","error":{"status":"unknown_method","message":"x"}}"#;
        assert_eq!(check_pong(failed, 3), Err("unknown_method".to_owned()));
        assert_eq!(check_pong(b"[]", 3), Err("protocol".to_owned()));
    }

    #[test]
    fn a_length_over_the_limit_is_refused() {
        let mut input = BytesMut::from(&u32::MAX.to_le_bytes()[..]);
        assert!(decode(&mut input).is_err());
    }
}
