//! Conditional and partial `GET`s (sans-IO): which bytes of a file a request asks for, by its
//! `Range`, `If-Range` and `If-None-Match` headers.

/// The part of a file to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wanted {
    /// All of it (no range, or one this server ignores: several ranges, another unit, or
    /// bad syntax, as the HTTP spec lets a server do).
    Whole,
    /// Bytes `start..=end`, both within the file.
    Part { start: u64, end: u64 },
    /// A range wholly past the end: 416.
    Unsatisfiable,
}

/// The bytes `range` (a `Range` header) asks for in a file of `size` bytes. `if_range`, when
/// present, must be the file's current `etag` for the range to count.
pub(crate) fn wanted(range: Option<&str>, if_range: Option<&str>, etag: &str, size: u64) -> Wanted {
    let Some(range) = range else {
        return Wanted::Whole;
    };
    if if_range.is_some_and(|tag| tag.trim() != etag) {
        return Wanted::Whole;
    }
    let Some(spec) = range.trim().strip_prefix("bytes=") else {
        return Wanted::Whole;
    };
    if spec.contains(',') {
        return Wanted::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return Wanted::Whole;
    };
    match (first.trim(), last.trim()) {
        ("", suffix) => suffix_of(suffix, size),
        (first, last) => from_to(first, last, size),
    }
}

/// `bytes=-N`: the last N bytes.
fn suffix_of(suffix: &str, size: u64) -> Wanted {
    match number(suffix) {
        None => Wanted::Whole,
        Some(0) => Wanted::Unsatisfiable,
        Some(_) if size == 0 => Wanted::Unsatisfiable,
        Some(len) => Wanted::Part {
            start: size - len.min(size),
            end: size - 1,
        },
    }
}

/// `bytes=N-` and `bytes=N-M`.
fn from_to(first: &str, last: &str, size: u64) -> Wanted {
    let Some(start) = number(first) else {
        return Wanted::Whole;
    };
    let end = if last.is_empty() {
        None
    } else {
        match number(last) {
            Some(end) if end >= start => Some(end),
            _ => return Wanted::Whole,
        }
    };
    if start >= size {
        return Wanted::Unsatisfiable;
    }
    let end = end.map_or(size - 1, |end| end.min(size - 1));
    Wanted::Part { start, end }
}

/// Digits only: no sign, no spaces inside.
fn number(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Whether an `If-None-Match` header names `etag` (weakly compared, as the spec asks).
pub(crate) fn none_match(if_none_match: &str, etag: &str) -> bool {
    let weak = |tag: &str| tag.trim().trim_start_matches("W/").to_owned();
    if_none_match.trim() == "*" || if_none_match.split(',').any(|tag| weak(tag) == weak(etag))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TAG: &str = "\"abc\"";

    fn of(range: &str, size: u64) -> Wanted {
        wanted(Some(range), None, TAG, size)
    }

    fn part(start: u64, end: u64) -> Wanted {
        Wanted::Part { start, end }
    }

    #[test]
    fn single_ranges_are_cut_to_the_file() {
        assert_eq!(of("bytes=0-", 10), part(0, 9));
        assert_eq!(of("bytes=4-", 10), part(4, 9));
        assert_eq!(of("bytes=2-5", 10), part(2, 5));
        assert_eq!(of("bytes=2-500", 10), part(2, 9));
        assert_eq!(of("bytes=9-9", 10), part(9, 9));
        assert_eq!(of("bytes=-3", 10), part(7, 9));
        assert_eq!(of("bytes=-30", 10), part(0, 9));
        assert_eq!(of(" bytes= 1 - 2 ", 10), part(1, 2));
    }

    #[test]
    fn ranges_past_the_end_are_unsatisfiable() {
        assert_eq!(of("bytes=10-", 10), Wanted::Unsatisfiable);
        assert_eq!(of("bytes=10-20", 10), Wanted::Unsatisfiable);
        assert_eq!(of("bytes=0-", 0), Wanted::Unsatisfiable);
        assert_eq!(of("bytes=-0", 10), Wanted::Unsatisfiable);
        assert_eq!(of("bytes=-5", 0), Wanted::Unsatisfiable);
    }

    #[test]
    fn what_this_server_does_not_take_is_the_whole_file() {
        for ignored in [
            "items=0-1",
            "bytes=0-1,4-5",
            "bytes=5-2",
            "bytes=a-",
            "bytes=-",
            "bytes=+1-",
            "bytes",
        ] {
            assert_eq!(of(ignored, 10), Wanted::Whole, "{ignored}");
        }
        assert_eq!(wanted(None, None, TAG, 10), Wanted::Whole);
    }

    #[test]
    fn if_range_keeps_the_range_only_for_the_same_file() {
        assert_eq!(wanted(Some("bytes=5-"), Some(TAG), TAG, 10), part(5, 9));
        assert_eq!(
            wanted(Some("bytes=5-"), Some("\"old\""), TAG, 10),
            Wanted::Whole
        );
        assert_eq!(
            wanted(
                Some("bytes=5-"),
                Some("Tue, 01 Jan 2030 00:00:00 GMT"),
                TAG,
                10
            ),
            Wanted::Whole
        );
    }

    #[test]
    fn if_none_match_compares_weakly() {
        assert!(none_match(TAG, TAG));
        assert!(none_match("W/\"abc\"", TAG));
        assert!(none_match("\"x\", \"abc\"", TAG));
        assert!(none_match("*", TAG));
        assert!(!none_match("\"abd\"", TAG));
    }
}
