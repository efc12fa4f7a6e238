//! Content codings, sans-IO: which one a body is in or an answer may take, and decoding within
//! a limit. A decoded body is bounded while it is decoded: a gzip or zstd bomb stops at the
//! limit, never at what it would grow to.

use std::io::Read;

use bytes::Bytes;
use http::{header, HeaderMap, HeaderValue};

/// A content coding this side speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    Gzip,
    Zstd,
}

impl Encoding {
    /// The coding's token in `Content-Encoding` and `Accept-Encoding`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Encoding::Gzip => "gzip",
            Encoding::Zstd => "zstd",
        }
    }

    fn of_token(token: &str) -> Option<Encoding> {
        match token.to_ascii_lowercase().as_str() {
            "gzip" | "x-gzip" => Some(Encoding::Gzip),
            "zstd" => Some(Encoding::Zstd),
            _ => None,
        }
    }

    /// The `Content-Encoding` value naming it.
    pub(crate) fn header_value(self) -> HeaderValue {
        HeaderValue::from_static(self.name())
    }
}

/// The coding a body was sent in, by its `Content-Encoding` (`None`: as it is); `Err` names a
/// coding this side does not speak, or a list of several.
pub(crate) fn of_body(headers: &HeaderMap) -> Result<Option<Encoding>, String> {
    let mut codings = headers
        .get_all(header::CONTENT_ENCODING)
        .iter()
        .flat_map(|value| value.to_str().unwrap_or("?").split(','))
        .map(str::trim)
        .filter(|token| !token.is_empty() && !token.eq_ignore_ascii_case("identity"));
    let Some(first) = codings.next() else {
        return Ok(None);
    };
    if codings.next().is_some() {
        return Err("more than one content coding".to_owned());
    }
    Encoding::of_token(first)
        .map(Some)
        .ok_or_else(|| format!("content coding {first:?}"))
}

/// The coding to answer in, by the request's `Accept-Encoding`: the one with the highest
/// weight, zstd on a tie (faster to make and to read); `None` when neither is acceptable.
pub(crate) fn accepted(headers: &HeaderMap) -> Option<Encoding> {
    let mut weights = [(Encoding::Zstd, 0u16), (Encoding::Gzip, 0u16)];
    let tokens = headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','));
    for token in tokens {
        let mut parts = token.split(';').map(str::trim);
        let name = parts.next().unwrap_or_default();
        let weight = parts
            .find_map(|param| param.strip_prefix("q="))
            .map_or(1000, weight_of);
        for (encoding, best) in &mut weights {
            if name == "*" || Encoding::of_token(name) == Some(*encoding) {
                *best = (*best).max(weight);
            }
        }
    }
    let (encoding, weight) = weights.into_iter().fold((Encoding::Zstd, 0), |best, next| {
        if next.1 > best.1 {
            next
        } else {
            best
        }
    });
    (weight > 0).then_some(encoding)
}

/// A `q=` value in thousandths; a malformed one counts as 0.
fn weight_of(text: &str) -> u16 {
    match text.parse::<f32>() {
        // In 0..=1000 by the clamp, so the cast loses nothing.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        Ok(q) if q.is_finite() => (q.clamp(0.0, 1.0) * 1000.0).round() as u16,
        _ => 0,
    }
}

/// Why a body could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Undecoded {
    /// It decodes to more than the limit; decoding stopped there.
    TooLarge,
    /// It is not valid in its coding.
    Corrupt(String),
}

/// `body`, decoded from `encoding`, if it decodes to at most `max` bytes.
pub(crate) fn decode(encoding: Encoding, body: &[u8], max: usize) -> Result<Bytes, Undecoded> {
    match encoding {
        Encoding::Gzip => bounded(flate2::read::MultiGzDecoder::new(body), max),
        Encoding::Zstd => {
            let corrupt = |err: std::io::Error| Undecoded::Corrupt(err.to_string());
            let mut decoder = zstd::stream::read::Decoder::with_buffer(body).map_err(corrupt)?;
            // The window a frame asks for is memory too: no larger than the limit.
            decoder.window_log_max(window_log(max)).map_err(corrupt)?;
            bounded(decoder, max)
        }
    }
}

/// The largest zstd window (as a power of two) a body may ask for: one that holds `max` bytes,
/// but at least 8 MiB, the window of zstd's slowest usual level (19), so that a body the `zstd`
/// tool made from a pipe is taken, and at most 128 MiB, zstd's own ceiling.
fn window_log(max: usize) -> u32 {
    let log = usize::BITS - max.saturating_sub(1).leading_zeros();
    log.clamp(23, 27)
}

/// Reads `decoder` to its end or one byte past `max`, whichever comes first.
fn bounded(decoder: impl Read, max: usize) -> Result<Bytes, Undecoded> {
    let mut out = Vec::new();
    let limit = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
    decoder
        .take(limit)
        .read_to_end(&mut out)
        .map_err(|err| Undecoded::Corrupt(err.to_string()))?;
    if out.len() > max {
        return Err(Undecoded::TooLarge);
    }
    Ok(Bytes::from(out))
}

/// `body` in `encoding` (zstd at `level`, gzip at its fastest level), or `None` if that does
/// not make it smaller.
pub(crate) fn encode(encoding: Encoding, body: &[u8], level: i32) -> Option<Bytes> {
    let encoded = match encoding {
        Encoding::Zstd => zstd::bulk::compress(body, level).ok()?,
        Encoding::Gzip => {
            use std::io::Write;
            let out = Vec::with_capacity(body.len() / 4);
            let mut encoder = flate2::write::GzEncoder::new(out, flate2::Compression::fast());
            encoder.write_all(body).ok()?;
            encoder.finish().ok()?
        }
    };
    (encoded.len() < body.len()).then(|| Bytes::from(encoded))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(name: header::HeaderName, value: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(name, HeaderValue::from_static(value));
        headers
    }

    #[test]
    fn the_body_coding_is_read_from_content_encoding() {
        let of = |value| of_body(&headers(header::CONTENT_ENCODING, value));
        assert_eq!(of("gzip"), Ok(Some(Encoding::Gzip)));
        assert_eq!(of("ZSTD"), Ok(Some(Encoding::Zstd)));
        assert_eq!(of("identity"), Ok(None));
        assert_eq!(of_body(&HeaderMap::new()), Ok(None));
        assert_eq!(of("br"), Err("content coding \"br\"".to_owned()));
        assert!(of("gzip, zstd").is_err());
    }

    #[test]
    fn the_answer_coding_follows_the_weights_and_prefers_zstd() {
        let accepted = |value| accepted(&headers(header::ACCEPT_ENCODING, value));
        assert_eq!(accepted("gzip, deflate"), Some(Encoding::Gzip));
        assert_eq!(accepted("gzip, zstd"), Some(Encoding::Zstd));
        assert_eq!(accepted("zstd;q=0.5, gzip"), Some(Encoding::Gzip));
        assert_eq!(accepted("gzip;q=0, br"), None);
        assert_eq!(accepted("*"), Some(Encoding::Zstd));
        assert_eq!(accepted("*;q=0.1, gzip;q=0.2"), Some(Encoding::Gzip));
        assert_eq!(accepted("identity"), None);
        assert_eq!(super::accepted(&HeaderMap::new()), None);
    }

    #[test]
    fn the_zstd_window_is_bounded_by_the_limit() {
        assert_eq!(window_log(16 << 20), 24);
        assert_eq!(window_log((16 << 20) + 1), 25);
        assert_eq!(window_log(1), 23);
        assert_eq!(window_log(usize::MAX), 27);
    }

    #[test]
    fn both_codings_round_trip_and_stop_at_the_limit() {
        let body: Vec<u8> = b"{\"jsonrpc\": \"2.0\", \"result\": 3}, ".repeat(2000);
        for encoding in [Encoding::Gzip, Encoding::Zstd] {
            let encoded = encode(encoding, &body, 1).unwrap();
            assert!(encoded.len() * 10 < body.len(), "{encoding:?}");
            let decoded = decode(encoding, &encoded, body.len()).unwrap();
            assert_eq!(&decoded[..], &body[..]);
            let over = decode(encoding, &encoded, body.len() - 1);
            assert_eq!(over, Err(Undecoded::TooLarge), "{encoding:?}");
            let corrupt = decode(encoding, b"not encoded at all", 1 << 20);
            assert!(
                matches!(corrupt, Err(Undecoded::Corrupt(_))),
                "{encoding:?}"
            );
        }
    }
}
