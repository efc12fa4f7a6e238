//! What a port's first bytes are, and the length-prefixed JSON dialect.

use std::sync::LazyLock;

use bytes::BytesMut;
use ferry::{
    server::{
        fuzzing::{lpjson_decode, lpjson_encode, lpjson_parse, tls_record_len},
        sniff as sniff_bytes, Sniffed,
    },
    Router,
};
use serde_json::Value;

/// How many first bytes the sniff target looks at: past the longest method token, a space and
/// a target's first byte (34), every input must be decided.
const SNIFF_LEN: usize = 40;

/// Dialect sniffing over every prefix of the first 40 bytes: a decision never changes as more
/// bytes arrive (nor goes back to undecided), 40 bytes always decide, a TLS decision has a
/// record length the header says, and whatever is HTTP starts with a method token and a space.
pub fn sniff(data: &[u8]) {
    let mut decided = None;
    for end in 0..=data.len().min(SNIFF_LEN) {
        match (sniff_bytes(&data[..end]), decided) {
            (Sniffed::NeedMore, None) => {}
            (Sniffed::NeedMore, Some(earlier)) => panic!("{earlier:?} became undecided"),
            (now, None) => decided = Some(now),
            (now, Some(earlier)) => assert_eq!(now, earlier),
        }
    }
    if data.len() >= SNIFF_LEN {
        assert_ne!(decided, None, "{SNIFF_LEN} bytes left undecided");
    }
    assert_eq!(sniff_bytes(data), decided.unwrap_or(Sniffed::NeedMore));
    match decided {
        Some(Sniffed::Tls) => {
            let len = tls_record_len(data).expect("a TLS decision has the record header");
            assert_eq!(len, 5 + usize::from(u16::from_be_bytes([data[3], data[4]])));
        }
        Some(Sniffed::Http) => {
            let space = data.iter().position(|b| *b == b' ').expect("a space");
            assert!(space >= 3 && data[..space].iter().all(u8::is_ascii_graphic));
        }
        _ => {}
    }
    assert_eq!(tls_record_len(data).is_some(), data.len() >= 5);
}

/// A bare name one service has (`ping`), one two have (`twice`); built once, as building a
/// router's schemas costs more than a parse.
static ROUTER: LazyLock<Router> = LazyLock::new(|| {
    Router::new()
        .function("echo.ping", ["text"], |text: String| async move { text })
        .function("a.twice", ["n"], |n: i64| async move { n * 2 })
        .function("b.twice", ["n"], |n: i64| async move { n * 2 })
});

/// The length-prefixed dialect's largest message, as the fuzz target sets it.
const LPJSON_MAX: u32 = 64 * 1024;

/// Arbitrary bytes, cut in two at a point taken from the first byte, as a length-prefixed
/// connection's input: each whole message decodes as the same body it re-encodes from, an
/// oversize length is refused before its body arrives (and without reserving it), and each
/// body that parses as a request has JSON arguments in an array or object.
pub fn lpjson(data: &[u8]) {
    let Some((head, tail)) = super::split(data) else {
        return;
    };
    let mut buf = BytesMut::new();
    for chunk in [head, tail] {
        buf.extend_from_slice(chunk);
        loop {
            let before = buf.len();
            match lpjson_decode(&mut buf, LPJSON_MAX) {
                Ok(None) => break,
                Ok(Some(body)) => {
                    assert_eq!(buf.len(), before - 4 - body.len());
                    let mut framed = BytesMut::new();
                    lpjson_encode(&body, &mut framed);
                    assert_eq!(
                        lpjson_decode(&mut framed, LPJSON_MAX),
                        Ok(Some(body.clone()))
                    );
                    parsed(&body, &ROUTER);
                }
                Err(len) => {
                    assert!(len > LPJSON_MAX);
                    assert_eq!(buf.len(), before, "a refused message is not consumed");
                    return;
                }
            }
        }
        let reserved = buf.capacity() - buf.len();
        assert!(
            reserved <= 2 * (buf.len() + 64 * 1024),
            "{reserved} bytes reserved"
        );
    }
}

fn parsed(body: &[u8], router: &Router) {
    let Ok(parsed) = lpjson_parse(body, router) else {
        return;
    };
    let args: Value = serde_json::from_slice(&parsed.args).expect("arguments are JSON");
    assert!(args.is_array() || args.is_object(), "{args}");
}
