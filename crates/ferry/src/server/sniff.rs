//! Which dialect a connection speaks, decided from its first bytes (sans-IO).
//!
//! | first bytes                                            | dialect                     |
//! |--------------------------------------------------------|-----------------------------|
//! | `FERRY\0` (the native preface's magic)                 | [`Sniffed::Native`]         |
//! | `16 03 0x` and a handshake record (a TLS ClientHello)  | [`Sniffed::Tls`]            |
//! | a method token, a space and a target (`GET /`, `PRI *`) | [`Sniffed::Http`]          |
//! | a 4-byte little-endian length, then `{`                | [`Sniffed::LengthPrefixed`] |
//! | anything else                                          | [`Sniffed::Unknown`]        |
//!
//! Any method token is HTTP, not only the ones HTTP/1.1 named: a server answers a method it
//! does not implement with 501 or 405, which it cannot do for a connection it dropped
//! (`QUERY /` is HTTP). `PRI * HTTP/2.0` is HTTP/2 with prior knowledge. The kinds are tried
//! in the table's order, and a later kind is chosen only once every earlier one is ruled out,
//! so a decision never changes as more bytes arrive.
//!
//! ```
//! use ferry::server::{sniff, Sniffed};
//!
//! assert_eq!(sniff(b"POST /jsonrpc HTTP/1.1\r\n"), Sniffed::Http);
//! assert_eq!(sniff(b"QUERY /api HTTP/1.1\r\n"), Sniffed::Http);
//! assert_eq!(sniff(b"FER"), Sniffed::NeedMore);
//! assert_eq!(sniff(b"\x05\x00\x00\x00{\"in\""), Sniffed::LengthPrefixed);
//! assert_eq!(sniff(b"\x16\x03\x01\x02\x00\x01"), Sniffed::Tls);
//! ```

use ferry_wire::MAGIC;

/// The longest method token taken for HTTP; real ones are a few letters.
const MAX_METHOD_LEN: usize = 32;

/// The shortest method token taken for HTTP (`GET`, `PUT`, `PRI`). With at least three, byte 4
/// of an HTTP request is never the `{` of a length-prefixed message, so the two never overlap.
const MIN_METHOD_LEN: usize = 3;

/// A TLS record of type handshake.
const TLS_HANDSHAKE: u8 = 0x16;

/// The first byte of a handshake message that is a ClientHello.
const CLIENT_HELLO: u8 = 0x01;

/// The largest TLS record, header included: 2^14 bytes of plaintext, the most a record may
/// expand, and the 5-byte header.
pub(crate) const MAX_TLS_RECORD_LEN: usize = 5 + (1 << 14) + 2048;

/// What a connection's first bytes say about its dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Sniffed {
    /// The native ferry protocol.
    Native,
    /// A TLS handshake; the dialect inside is sniffed once it is done.
    Tls,
    /// HTTP (JSON-RPC, XML-RPC, REST, static files), HTTP/1.1 or HTTP/2 with prior knowledge.
    Http,
    /// The length-prefixed JSON dialect.
    LengthPrefixed,
    /// Too few bytes to tell yet.
    NeedMore,
    /// No dialect this server speaks.
    Unknown,
}

/// What one kind makes of the bytes so far.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Yes,
    No,
    Maybe,
}

/// Tells whether the first bytes are of one kind.
type KindTest = fn(&[u8]) -> Verdict;

/// The kinds in the order they are tried.
const KINDS: [(KindTest, Sniffed); 4] = [
    (native, Sniffed::Native),
    (tls, Sniffed::Tls),
    (http, Sniffed::Http),
    (length_prefixed, Sniffed::LengthPrefixed),
];

/// Decides the dialect from the bytes received so far.
pub fn sniff(first: &[u8]) -> Sniffed {
    for (test, kind) in KINDS {
        match test(first) {
            Verdict::Yes => return kind,
            Verdict::Maybe => return Sniffed::NeedMore,
            Verdict::No => {}
        }
    }
    Sniffed::Unknown
}

/// How many bytes the TLS record that opens `first` takes, header included, once its header
/// has arrived (more than [`MAX_TLS_RECORD_LEN`] is no TLS record). The handshake starts only
/// once the whole ClientHello record is in, so a client that sends it a byte at a time holds
/// no handshake slot while it does.
pub(crate) fn tls_record_len(first: &[u8]) -> Option<usize> {
    let len = u16::from_be_bytes([*first.get(3)?, *first.get(4)?]);
    Some(5 + usize::from(len))
}

fn native(first: &[u8]) -> Verdict {
    prefix(first, &MAGIC)
}

/// A handshake record of TLS 1.0 to 1.3 (a ClientHello's record says 1.0 or 1.2 even for 1.3)
/// whose message is a ClientHello.
fn tls(first: &[u8]) -> Verdict {
    let shape: [fn(u8) -> bool; 6] = [
        |b| b == TLS_HANDSHAKE,
        |b| b == 0x03,
        |b| b <= 0x04,
        |_| true,
        |_| true,
        |b| b == CLIENT_HELLO,
    ];
    each_byte(first, &shape)
}

/// A method token, one space, and the first byte of a request target: `/` (origin form), `*`
/// (`OPTIONS *`, `PRI *`) or a letter (absolute and authority forms).
fn http(first: &[u8]) -> Verdict {
    let token = first.iter().take_while(|b| is_tchar(**b)).count();
    if token > MAX_METHOD_LEN || (token < first.len().min(MIN_METHOD_LEN)) {
        return Verdict::No;
    }
    match (first.get(token), first.get(token + 1)) {
        (None, _) => Verdict::Maybe,
        (Some(_), _) if token < MIN_METHOD_LEN => Verdict::No,
        (Some(b' '), None) => Verdict::Maybe,
        (Some(b' '), Some(b'/' | b'*')) => Verdict::Yes,
        (Some(b' '), Some(b)) if b.is_ascii_alphabetic() => Verdict::Yes,
        _ => Verdict::No,
    }
}

/// A 4-byte length and a `{`.
fn length_prefixed(first: &[u8]) -> Verdict {
    match first.get(4) {
        Some(b'{') => Verdict::Yes,
        Some(_) => Verdict::No,
        None => Verdict::Maybe,
    }
}

/// RFC 9110's `tchar`: the bytes a method token is made of.
fn is_tchar(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte)
}

fn prefix(first: &[u8], token: &[u8]) -> Verdict {
    let shared = first.len().min(token.len());
    if first[..shared] != token[..shared] {
        Verdict::No
    } else if shared == token.len() {
        Verdict::Yes
    } else {
        Verdict::Maybe
    }
}

/// `Yes` when every test holds for its byte, `No` at the first that does not.
fn each_byte(first: &[u8], tests: &[fn(u8) -> bool]) -> Verdict {
    for (index, test) in tests.iter().enumerate() {
        match first.get(index) {
            None => return Verdict::Maybe,
            Some(byte) if !test(*byte) => return Verdict::No,
            Some(_) => {}
        }
    }
    Verdict::Yes
}

#[cfg(test)]
mod tests {
    use super::*;

    const METHODS: [&str; 11] = [
        "GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "CONNECT", "TRACE", "QUERY",
        "PROPFIND",
    ];

    #[test]
    fn every_http_method_is_http() {
        for method in METHODS {
            let line = format!("{method} / HTTP/1.1\r\n");
            assert_eq!(sniff(line.as_bytes()), Sniffed::Http, "{method}");
        }
        assert_eq!(sniff(b"OPTIONS * HTTP/1.1\r\n"), Sniffed::Http);
        assert_eq!(sniff(b"CONNECT host:443 HTTP/1.1\r\n"), Sniffed::Http);
    }

    #[test]
    fn the_http2_preface_is_http() {
        assert_eq!(sniff(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), Sniffed::Http);
    }

    #[test]
    fn every_prefix_of_a_known_start_needs_more() {
        let starts: [&[u8]; 5] = [
            b"FERRY\0",
            b"OPTIONS /",
            b"\x10\x00\x00\x00{",
            b"\x16\x03\x01\x02\x00\x01",
            b"PRI *",
        ];
        for start in starts {
            assert_ne!(sniff(start), Sniffed::NeedMore, "{start:?}");
            for end in 0..start.len() {
                let part = &start[..end];
                assert_eq!(sniff(part), Sniffed::NeedMore, "{part:?}");
            }
        }
    }

    #[test]
    fn the_native_magic_is_native() {
        assert_eq!(sniff(b"FERRY\0\x01\x01\x00\x00\x10\x00"), Sniffed::Native);
    }

    #[test]
    fn a_length_then_a_brace_is_length_prefixed() {
        assert_eq!(sniff(b"\x1a\x00\x00\x00{"), Sniffed::LengthPrefixed);
    }

    #[test]
    fn a_length_prefixed_message_that_starts_like_tls_waits_for_the_sixth_byte() {
        let ambiguous = b"\x16\x03\x01\x00{";
        assert_eq!(sniff(ambiguous), Sniffed::NeedMore);
        assert_eq!(sniff(b"\x16\x03\x01\x00{\"in"), Sniffed::LengthPrefixed);
        assert_eq!(sniff(b"\x16\x03\x01\x00{\x01"), Sniffed::Tls);
    }

    #[test]
    fn other_bytes_are_unknown() {
        assert_eq!(sniff(b"GETX/"), Sniffed::Unknown);
        assert_eq!(sniff(b"GET  /"), Sniffed::Unknown);
        assert_eq!(sniff(b"\x1a\x00\x00\x00["), Sniffed::Unknown);
        assert_eq!(sniff(b"SSH-2.0-OpenSSH_9.2\r\n"), Sniffed::Unknown);
        assert_eq!(sniff(b"\x16\x03\x05\x00\x10\x01"), Sniffed::Unknown);
        assert_eq!(sniff(&[b'A'; 40]), Sniffed::Unknown);
        assert_eq!(sniff(b"A /\x00"), Sniffed::NeedMore);
        assert_eq!(sniff(b"A /\x00{"), Sniffed::LengthPrefixed);
    }

    #[test]
    fn a_tls_record_is_as_long_as_its_header_says() {
        assert_eq!(tls_record_len(b"\x16\x03\x01\x00"), None);
        assert_eq!(tls_record_len(b"\x16\x03\x01\x02\x00\x01"), Some(517));
        assert!(tls_record_len(b"\x16\x03\x01\xff\xff\x01").unwrap() > MAX_TLS_RECORD_LEN);
    }
}
