//! Parsers for `ferry bench`'s own flags.

use std::time::Duration;

use ferry::Codec;

/// `--codec`: the body codec by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum CodecName {
    /// MessagePack with named fields.
    Msgpack,
    /// JSON text.
    Json,
}

impl From<CodecName> for Codec {
    fn from(name: CodecName) -> Codec {
        match name {
            CodecName::Msgpack => Codec::MsgPack,
            CodecName::Json => Codec::Json,
        }
    }
}

/// A count of 1 or more.
pub(crate) fn at_least_one(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(0) => Err("must be at least 1".to_owned()),
        Ok(count) => Ok(count),
        Err(_) => Err(format!("{text:?} is not a whole number")),
    }
}

/// A number of seconds, 0 or more.
pub(crate) fn seconds(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds"))?;
    Duration::try_from_secs_f64(seconds).map_err(|_| format!("{text:?} is not 0 or more seconds"))
}

/// `--rate`: a positive, finite number of calls per second.
pub(crate) fn rate(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(rate) if rate.is_finite() && rate > 0.0 => Ok(rate),
        _ => Err(format!(
            "{text:?} is not a positive number of calls per second"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_start_at_one() {
        assert_eq!(at_least_one("16"), Ok(16));
        assert!(at_least_one("0").is_err());
        assert!(at_least_one("-1").is_err());
        assert!(at_least_one("many").is_err());
    }

    #[test]
    fn warmup_seconds_may_be_zero_but_not_negative() {
        assert_eq!(seconds("0"), Ok(Duration::ZERO));
        assert_eq!(seconds("0.25"), Ok(Duration::from_millis(250)));
        assert!(seconds("-1").is_err());
        assert!(seconds("NaN").is_err());
        assert!(seconds("inf").is_err());
        assert!(seconds("soon").is_err());
    }

    #[test]
    fn rates_are_positive_and_finite() {
        assert_eq!(rate("200"), Ok(200.0));
        assert_eq!(rate("0.5"), Ok(0.5));
        for bad in ["0", "-3", "inf", "NaN", "fast"] {
            assert!(rate(bad).is_err(), "{bad} was accepted");
        }
    }
}
