//! ISO 8601 text of a [`Time`] (sans-IO): the lenient reader behind `Time::from_str`, and the
//! RFC 3339 writer behind its `Display`.

use super::time::{CivilTime, Time, TimeError};

/// Reads a date and time: see [`Time::from_str`](std::str::FromStr) for what is accepted.
pub(super) fn parse(text: &str) -> Result<Time, TimeError> {
    let trimmed = text.trim();
    let malformed = || {
        let shown: String = trimmed.chars().take(40).collect();
        TimeError::Malformed(shown)
    };
    let mut cursor = Cursor::new(trimmed.as_bytes());
    let (civil, offset) = read(&mut cursor).ok_or_else(malformed)?;
    if !cursor.is_done() {
        return Err(malformed());
    }
    Time::from_civil(civil)?.shifted(-offset)
}

/// The date, the time of day and the offset east of UTC in seconds; `None` where the text
/// does not follow the grammar.
fn read(cursor: &mut Cursor<'_>) -> Option<(CivilTime, i64)> {
    let year = u16::try_from(cursor.number(4)?).ok()?;
    let dashed = cursor.eat(b"-");
    let month = cursor.two_digits()?;
    if dashed && !cursor.eat(b"-") {
        return None;
    }
    let day = cursor.two_digits()?;
    if !cursor.eat(b"Tt ") {
        return None;
    }
    let hour = cursor.two_digits()?;
    let colons = cursor.eat(b":");
    let minute = cursor.two_digits()?;
    if colons && !cursor.eat(b":") {
        return None;
    }
    let second = cursor.two_digits()?;
    let nanosecond = if cursor.eat(b".,") {
        cursor.fraction()?
    } else {
        0
    };
    let offset = cursor.offset()?;
    let civil = CivilTime {
        year,
        month,
        day,
        hour,
        minute,
        second,
        nanosecond,
    };
    Some((civil, offset))
}

/// RFC 3339 in UTC: `2024-05-01T12:34:56Z`, the fraction of the second only when there is one
/// and without trailing zeros.
pub(super) fn rfc3339(civil: CivilTime) -> String {
    let mut text = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        civil.year, civil.month, civil.day, civil.hour, civil.minute, civil.second
    );
    let nanosecond = civil.nanosecond;
    if nanosecond > 0 {
        let fraction = format!("{nanosecond:09}");
        text.push('.');
        text.push_str(fraction.trim_end_matches('0'));
    }
    text.push('Z');
    text
}

/// A position in the text being read.
struct Cursor<'t> {
    rest: &'t [u8],
}

impl<'t> Cursor<'t> {
    fn new(text: &'t [u8]) -> Cursor<'t> {
        Cursor { rest: text }
    }

    fn is_done(&self) -> bool {
        self.rest.is_empty()
    }

    /// Takes the next byte if it is one of `any`.
    fn eat(&mut self, any: &[u8]) -> bool {
        match self.rest.split_first() {
            Some((first, rest)) if any.contains(first) => {
                self.rest = rest;
                true
            }
            _ => false,
        }
    }

    /// Exactly `count` digits, as a number.
    fn number(&mut self, count: usize) -> Option<u32> {
        let digits = self.rest.get(..count)?;
        if !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        self.rest = &self.rest[count..];
        Some(
            digits
                .iter()
                .fold(0, |n, digit| n * 10 + u32::from(digit - b'0')),
        )
    }

    fn two_digits(&mut self) -> Option<u8> {
        self.number(2).and_then(|n| u8::try_from(n).ok())
    }

    /// One or more digits of a fraction of a second, as nanoseconds; digits past the ninth
    /// are below a nanosecond and dropped.
    fn fraction(&mut self) -> Option<u32> {
        let count = self.rest.iter().take_while(|b| b.is_ascii_digit()).count();
        if count == 0 {
            return None;
        }
        let kept = self.number(count.min(9))?;
        self.rest = &self.rest[count.saturating_sub(9)..];
        Some(kept * 10_u32.pow(9 - count.min(9) as u32))
    }

    /// `Z`, `±HH:MM`, `±HHMM`, `±HH` or nothing (UTC), as seconds east of UTC.
    fn offset(&mut self) -> Option<i64> {
        if self.is_done() || self.eat(b"Zz") {
            return Some(0);
        }
        let sign = match self.rest.first()? {
            b'+' => 1,
            b'-' => -1,
            _ => return None,
        };
        self.rest = &self.rest[1..];
        let hours = self.two_digits()?;
        let minutes = if self.is_done() {
            0
        } else {
            self.eat(b":");
            self.two_digits()?
        };
        if hours > 23 || minutes > 59 {
            return None;
        }
        Some(sign * (i64::from(hours) * 3600 + i64::from(minutes) * 60))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> (i64, u32) {
        let time = parse(text).unwrap_or_else(|err| panic!("{text}: {err}"));
        (time.unix_seconds(), time.subsec_nanos())
    }

    const MAY_1: i64 = 1_714_566_896;

    #[test]
    fn xmlrpc_and_rfc3339_forms_read() {
        for text in [
            "20240501T12:34:56",
            "20240501T123456",
            "2024-05-01T12:34:56",
            "2024-05-01T12:34:56Z",
            "2024-05-01t12:34:56z",
            "2024-05-01 12:34:56",
            "  20240501T12:34:56\n",
            "20240501T12:34:56+00:00",
            "2024-05-01T14:34:56+02:00",
            "2024-05-01T14:34:56+0200",
            "2024-05-01T14:34:56+02",
            "2024-05-01T07:04:56-05:30",
        ] {
            assert_eq!(at(text), (MAY_1, 0), "{text}");
        }
        assert_eq!(at("2024-05-01T12:34:56.5Z"), (MAY_1, 500_000_000));
        assert_eq!(at("20240501T12:34:56,000001"), (MAY_1, 1_000));
        assert_eq!(at("2024-05-01T12:34:56.1234567891Z"), (MAY_1, 123_456_789));
        assert_eq!(at("1969-12-31T23:59:59.75Z"), (-1, 750_000_000));
    }

    #[test]
    fn what_is_not_a_time_is_refused_with_its_text() {
        for text in [
            "",
            "yesterday",
            "2024-05-01",
            "2024-0501T12:34:56",
            "20240501T12:3456",
            "20240501T12:34",
            "20240501T12:34:56.",
            "20240501T12:34:56Q",
            "20240501T12:34:56+2",
            "20240501T12:34:56+24:00",
            "20240501T12:34:56 trailing",
            "+20240501T12:34:56",
        ] {
            assert!(
                matches!(parse(text), Err(TimeError::Malformed(ref shown)) if shown == text.trim()),
                "{text}: {:?}",
                parse(text)
            );
        }
        assert!(matches!(
            parse("20230229T00:00:00"),
            Err(TimeError::NoSuchTime(_))
        ));
        assert_eq!(
            parse("9999-12-31T23:59:59-01:00"),
            Err(TimeError::OutOfRange)
        );
    }

    #[test]
    fn rfc3339_is_written_in_utc_with_the_fraction_it_needs() {
        let write = |seconds, nanos| {
            let time = Time::from_unix(seconds, nanos).expect("in range");
            rfc3339(time.civil())
        };
        assert_eq!(write(MAY_1, 0), "2024-05-01T12:34:56Z");
        assert_eq!(write(MAY_1, 500_000_000), "2024-05-01T12:34:56.5Z");
        assert_eq!(write(MAY_1, 1), "2024-05-01T12:34:56.000000001Z");
        assert_eq!(write(-62_167_219_200, 0), "0000-01-01T00:00:00Z");
        for (seconds, nanos) in [(MAY_1, 0), (MAY_1, 120), (-1, 999_999_999)] {
            assert_eq!(at(&write(seconds, nanos)), (seconds, nanos));
        }
    }
}
