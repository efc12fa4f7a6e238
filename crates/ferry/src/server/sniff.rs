//! Which dialect a connection speaks, decided from its first bytes (sans-IO).
//!
//! | first bytes                                   | dialect                    |
//! |-----------------------------------------------|----------------------------|
//! | `FERRY\0` (the native preface's magic)        | [`Sniffed::Native`]        |
//! | an HTTP method and a space (`GET `, `POST `)  | [`Sniffed::Http`]          |
//! | a 4-byte little-endian length, then `{`       | [`Sniffed::LengthPrefixed`]|
//! | anything else                                 | [`Sniffed::Unknown`]       |
//!
//! ```
//! use ferry::server::{sniff, Sniffed};
//!
//! assert_eq!(sniff(b"POST /jsonrpc HTTP/1.1\r\n"), Sniffed::Http);
//! assert_eq!(sniff(b"FER"), Sniffed::NeedMore);
//! assert_eq!(sniff(b"\x05\x00\x00\x00{\"in\""), Sniffed::LengthPrefixed);
//! assert_eq!(sniff(b"\x16\x03\x01\x02\x00"), Sniffed::Unknown);
//! ```

use ferry_wire::MAGIC;

/// The known starts: the native magic and each HTTP/1.1 method token with its trailing space.
const STARTS: [(&[u8], Sniffed); 10] = [
    (&MAGIC, Sniffed::Native),
    (b"GET ", Sniffed::Http),
    (b"POST ", Sniffed::Http),
    (b"PUT ", Sniffed::Http),
    (b"DELETE ", Sniffed::Http),
    (b"HEAD ", Sniffed::Http),
    (b"OPTIONS ", Sniffed::Http),
    (b"PATCH ", Sniffed::Http),
    (b"CONNECT ", Sniffed::Http),
    (b"TRACE ", Sniffed::Http),
];

/// What a connection's first bytes say about its dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Sniffed {
    /// The native ferry protocol.
    Native,
    /// HTTP/1.1 (JSON-RPC, XML-RPC, REST, static files).
    Http,
    /// The length-prefixed JSON dialect.
    LengthPrefixed,
    /// Too few bytes to tell yet.
    NeedMore,
    /// No dialect this server speaks.
    Unknown,
}

/// Decides the dialect from the bytes received so far.
pub fn sniff(first: &[u8]) -> Sniffed {
    let mut undecided = false;
    for (token, dialect) in STARTS {
        match starts_with(first, token) {
            Some(true) => return dialect,
            Some(false) => {}
            None => undecided = true,
        }
    }
    match first.get(4) {
        Some(b'{') => Sniffed::LengthPrefixed,
        Some(_) if !undecided => Sniffed::Unknown,
        _ => Sniffed::NeedMore,
    }
}

/// Whether `first` starts with `token`; `None` while `first` is a shorter prefix of it.
fn starts_with(first: &[u8], token: &[u8]) -> Option<bool> {
    let shared = first.len().min(token.len());
    if first[..shared] != token[..shared] {
        Some(false)
    } else if shared == token.len() {
        Some(true)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_http_method_is_http() {
        for (token, _) in &STARTS[1..] {
            let mut line = token.to_vec();
            line.extend_from_slice(b"/ HTTP/1.1\r\n");
            assert_eq!(sniff(&line), Sniffed::Http, "{token:?}");
        }
    }

    #[test]
    fn every_prefix_of_a_known_start_needs_more() {
        let starts: [&[u8]; 3] = [b"FERRY\0\x01\x01", b"OPTIONS /", b"\x10\x00\x00\x00{"];
        for start in starts {
            for end in 0..5.min(start.len() - 1) {
                assert_eq!(
                    sniff(&start[..end]),
                    Sniffed::NeedMore,
                    "{:?}",
                    &start[..end]
                );
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
    fn other_bytes_are_unknown() {
        assert_eq!(sniff(b"\x16\x03\x01\x02\x00"), Sniffed::Unknown);
        assert_eq!(sniff(b"GETX /"), Sniffed::Unknown);
        assert_eq!(sniff(b"\x1a\x00\x00\x00["), Sniffed::Unknown);
        assert_eq!(sniff(b"SSH-2.0-OpenSSH"), Sniffed::Unknown);
    }
}
