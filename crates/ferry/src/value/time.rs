//! [`Time`]: an instant in UTC, to the nanosecond, within the years 0000 to 9999 that every
//! text form of a time (RFC 3339, XML-RPC's `dateTime.iso8601`) can write.

use std::{
    fmt,
    str::FromStr,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use super::{civil, iso8601};

/// An instant in UTC: whole seconds since 1970-01-01T00:00:00Z and the nanoseconds past them.
///
/// It travels as MessagePack's timestamp extension (type -1) in MessagePack bodies and as
/// RFC 3339 text (`2024-05-01T12:34:56Z`) in JSON, and XML-RPC shows it as
/// `<dateTime.iso8601>`. It reads from either, and from any ISO 8601 text
/// [`Time::from_str`] accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Time {
    seconds: i64,
    nanos: u32,
}

/// A [`Time`] as a calendar date and a time of day, in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CivilTime {
    /// 0 to 9999.
    pub year: u16,
    /// 1 to 12.
    pub month: u8,
    /// 1 to the month's last day.
    pub day: u8,
    /// 0 to 23.
    pub hour: u8,
    /// 0 to 59.
    pub minute: u8,
    /// 0 to 59: a leap second is not a time here.
    pub second: u8,
    /// 0 to 999,999,999.
    pub nanosecond: u32,
}

/// Why a [`Time`] could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TimeError {
    /// Text that is not an ISO 8601 date and time.
    #[error(
        "{0:?} is not a date and time (ISO 8601, e.g. 2024-05-01T12:34:56Z or 20240501T12:34:56)"
    )]
    Malformed(String),
    /// A date or time of day that does not exist, e.g. February 30th or 24:00.
    #[error("{0} is not a date and time of day that exists")]
    NoSuchTime(String),
    /// Outside the years 0000 to 9999, or nanoseconds of a second past 999,999,999.
    #[error("the time is outside 0000-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z")]
    OutOfRange,
}

const NANOS_PER_SECOND: u32 = 1_000_000_000;
const SECONDS_PER_DAY: i64 = 86_400;
/// 0000-01-01T00:00:00Z.
const MIN_SECONDS: i64 = -62_167_219_200;
/// 9999-12-31T23:59:59Z.
const MAX_SECONDS: i64 = 253_402_300_799;

impl Time {
    /// 1970-01-01T00:00:00Z.
    pub const UNIX_EPOCH: Time = Time {
        seconds: 0,
        nanos: 0,
    };

    /// The time `seconds` (and `nanos` more nanoseconds) after 1970-01-01T00:00:00Z.
    pub fn from_unix(seconds: i64, nanos: u32) -> Result<Time, TimeError> {
        if nanos >= NANOS_PER_SECOND || !(MIN_SECONDS..=MAX_SECONDS).contains(&seconds) {
            return Err(TimeError::OutOfRange);
        }
        Ok(Time { seconds, nanos })
    }

    /// The time now, by the system clock.
    pub fn now() -> Time {
        // The system clock is inside the years 0000 to 9999 on every machine ferry runs on.
        Time::try_from(SystemTime::now()).unwrap_or(Time::UNIX_EPOCH)
    }

    /// Whole seconds since 1970-01-01T00:00:00Z (negative before it).
    pub fn unix_seconds(self) -> i64 {
        self.seconds
    }

    /// The nanoseconds past [`Time::unix_seconds`], 0 to 999,999,999.
    pub fn subsec_nanos(self) -> u32 {
        self.nanos
    }

    /// The time at `civil`, a date and time of day in UTC.
    pub fn from_civil(civil: CivilTime) -> Result<Time, TimeError> {
        let (year, month, day) = (i64::from(civil.year), civil.month, civil.day);
        let (hour, minute, second) = (civil.hour, civil.minute, civil.second);
        let date_exists =
            (1..=12).contains(&month) && (1..=civil::days_in_month(year, month)).contains(&day);
        if !date_exists || hour > 23 || minute > 59 || second > 59 {
            let shown = format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}");
            return Err(TimeError::NoSuchTime(shown));
        }
        let days = civil::days_from_civil(year, month, day);
        let of_day = i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second);
        Time::from_unix(days * SECONDS_PER_DAY + of_day, civil.nanosecond)
    }

    /// The date and time of day in UTC.
    pub fn civil(self) -> CivilTime {
        let days = self.seconds.div_euclid(SECONDS_PER_DAY);
        let of_day = self.seconds.rem_euclid(SECONDS_PER_DAY);
        let (year, month, day) = civil::civil_from_days(days);
        CivilTime {
            // In range: a Time is within the years 0000 to 9999, and the rest by arithmetic.
            year: year as u16,
            month,
            day,
            hour: (of_day / 3600) as u8,
            minute: (of_day / 60 % 60) as u8,
            second: (of_day % 60) as u8,
            nanosecond: self.nanos,
        }
    }

    /// This time moved by `seconds` (an offset from UTC taken off, say).
    pub(super) fn shifted(self, seconds: i64) -> Result<Time, TimeError> {
        let moved = self.seconds.checked_add(seconds);
        Time::from_unix(moved.ok_or(TimeError::OutOfRange)?, self.nanos)
    }
}

impl From<Time> for SystemTime {
    fn from(time: Time) -> SystemTime {
        let nanos = Duration::from_nanos(u64::from(time.nanos));
        match u64::try_from(time.seconds) {
            Ok(after) => UNIX_EPOCH + Duration::from_secs(after) + nanos,
            Err(_) => UNIX_EPOCH - Duration::from_secs(time.seconds.unsigned_abs()) + nanos,
        }
    }
}

impl TryFrom<SystemTime> for Time {
    type Error = TimeError;

    fn try_from(system: SystemTime) -> Result<Time, TimeError> {
        let (seconds, nanos) = match system.duration_since(UNIX_EPOCH) {
            Ok(after) => (i64::try_from(after.as_secs()), after.subsec_nanos()),
            // Before the epoch: whole seconds back, then the nanoseconds forward again.
            Err(before) => {
                let before = before.duration();
                let back = before.as_secs() + u64::from(before.subsec_nanos() > 0);
                let nanos = (NANOS_PER_SECOND - before.subsec_nanos()) % NANOS_PER_SECOND;
                (i64::try_from(back).map(|back| -back), nanos)
            }
        };
        Time::from_unix(seconds.map_err(|_| TimeError::OutOfRange)?, nanos)
    }
}

/// RFC 3339 in UTC, with as many digits of the second's fraction as it needs:
/// `2024-05-01T12:34:56Z`, `2024-05-01T12:34:56.5Z`.
impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&iso8601::rfc3339(self.civil()))
    }
}

/// Reads ISO 8601 as RFC 3339 and XML-RPC write it: `2024-05-01T12:34:56Z`,
/// `20240501T12:34:56` (what Python's `xmlrpc.client` sends), with or without dashes and
/// colons, `T` or a space between date and time, an optional fraction of the second, and `Z`,
/// an offset (`+02:00`, `-0530`, `+02`) or nothing, which means UTC.
impl FromStr for Time {
    type Err = TimeError;

    fn from_str(text: &str) -> Result<Time, TimeError> {
        iso8601::parse(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn civil(year: u16, month: u8, day: u8, hms: (u8, u8, u8), nanosecond: u32) -> CivilTime {
        let (hour, minute, second) = hms;
        CivilTime {
            year,
            month,
            day,
            hour,
            minute,
            second,
            nanosecond,
        }
    }

    #[test]
    fn civil_times_round_trip_at_the_edges() {
        for (civil, seconds) in [
            (civil(1970, 1, 1, (0, 0, 0), 0), 0),
            (civil(2024, 5, 1, (12, 34, 56), 7), 1_714_566_896),
            (civil(1969, 12, 31, (23, 59, 59), 0), -1),
            (civil(0, 1, 1, (0, 0, 0), 0), MIN_SECONDS),
            (civil(9999, 12, 31, (23, 59, 59), 999_999_999), MAX_SECONDS),
        ] {
            let time = Time::from_civil(civil).expect("exists");
            assert_eq!(time.unix_seconds(), seconds);
            assert_eq!(time.civil(), civil);
        }
    }

    #[test]
    fn times_that_do_not_exist_are_refused() {
        for wrong in [
            civil(2023, 2, 29, (0, 0, 0), 0),
            civil(2024, 13, 1, (0, 0, 0), 0),
            civil(2024, 4, 31, (0, 0, 0), 0),
            civil(2024, 1, 0, (0, 0, 0), 0),
            civil(2024, 1, 1, (24, 0, 0), 0),
            civil(2024, 1, 1, (0, 60, 0), 0),
            civil(2024, 1, 1, (0, 0, 60), 0),
        ] {
            assert!(matches!(
                Time::from_civil(wrong),
                Err(TimeError::NoSuchTime(_))
            ));
        }
        assert!(Time::from_civil(civil(2024, 2, 29, (0, 0, 0), 0)).is_ok());
        let too_fine = civil(2024, 1, 1, (0, 0, 0), NANOS_PER_SECOND);
        assert_eq!(Time::from_civil(too_fine), Err(TimeError::OutOfRange));
        assert_eq!(
            Time::from_unix(MAX_SECONDS + 1, 0),
            Err(TimeError::OutOfRange)
        );
        assert_eq!(
            Time::from_unix(MIN_SECONDS - 1, 0),
            Err(TimeError::OutOfRange)
        );
    }

    #[test]
    fn system_times_convert_both_ways() {
        for (seconds, nanos) in [(0, 0), (1_714_566_896, 5), (-1, 0), (-2, 250_000_000)] {
            let time = Time::from_unix(seconds, nanos).expect("in range");
            let system = SystemTime::from(time);
            assert_eq!(Time::try_from(system), Ok(time), "{seconds} {nanos}");
        }
        let before = UNIX_EPOCH - Duration::from_millis(1500);
        let time = Time::try_from(before).expect("in range");
        assert_eq!(
            (time.unix_seconds(), time.subsec_nanos()),
            (-2, 500_000_000)
        );
    }
}
