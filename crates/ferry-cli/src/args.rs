//! Parsers for command-line values, and the client settings every subcommand shares.

use std::time::Duration;

use ferry::{ClientConfig, Codec};
use serde_json::{Map, Value};

/// A positional argument: JSON when it parses as JSON, otherwise the text as a JSON string.
pub(crate) fn json_or_string(text: &str) -> Result<Value, std::convert::Infallible> {
    Ok(serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned())))
}

/// The value of `--args`: a JSON object of named arguments.
pub(crate) fn named_args(text: &str) -> Result<Map<String, Value>, String> {
    match serde_json::from_str(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err("named arguments must be a JSON object, e.g. '{\"num1\": 200}'".to_owned()),
        Err(err) => Err(format!("not JSON: {err}")),
    }
}

/// A `--timeout` in seconds: a positive, finite number.
pub(crate) fn timeout(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds"))?;
    if seconds <= 0.0 {
        return Err("the timeout must be more than 0 seconds".to_owned());
    }
    Duration::try_from_secs_f64(seconds).map_err(|err| err.to_string())
}

/// A `--meta` pair written `KEY=VALUE`.
pub(crate) fn meta(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_owned(), value.to_owned())),
        _ => Err(format!("{text:?} is not KEY=VALUE")),
    }
}

/// A size in bytes: digits, then optionally a unit (any case). `K`, `M`, `G`, `T`, with or
/// without `iB`, are powers of 1024; `KB`, `MB`, `GB`, `TB` are powers of 1000, as `dd` reads
/// them; `B` is bytes.
pub(crate) fn byte_size(text: &str) -> Result<u64, String> {
    let digits = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(digits);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a size: write e.g. 1048576, 512K, 10G or 5GB"))?;
    let unit = unit.trim().to_ascii_uppercase();
    let (base, unit): (u64, &str) = match unit.strip_suffix("IB") {
        Some(prefix) => (1024, prefix),
        None => match unit.strip_suffix('B') {
            Some(prefix) => (1000, prefix),
            None => (1024, unit.as_str()),
        },
    };
    let power = match unit {
        "" => 0,
        "K" => 1,
        "M" => 2,
        "G" => 3,
        "T" => 4,
        _ => {
            return Err(format!(
                "{text:?}: the unit must be K, M, G or T (or KB, MiB, ...)"
            ))
        }
    };
    number
        .checked_mul(base.pow(power))
        .ok_or_else(|| format!("{text:?} is too large"))
}

/// How the CLI connects: JSON bodies, so results print as they arrive, and `timeout` bounding
/// the connect as well as each call.
pub(crate) fn client_config(timeout: Duration) -> ClientConfig {
    let config = ClientConfig::default();
    let connect_timeout = config.connect_timeout.min(timeout);
    config
        .codec(Codec::Json)
        .default_timeout(Some(timeout))
        .connect_timeout(connect_timeout)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn arg(text: &str) -> Value {
        let Ok(value) = json_or_string(text);
        value
    }

    #[test]
    fn positional_arguments_are_json_or_strings() {
        assert_eq!(arg("200"), json!(200));
        assert_eq!(arg("-1.5"), json!(-1.5));
        assert_eq!(arg("hello"), json!("hello"));
        assert_eq!(arg("\"200\""), json!("200"));
        assert_eq!(arg("[1,2]"), json!([1, 2]));
        assert_eq!(arg("true"), json!(true));
        assert_eq!(arg(""), json!(""));
        assert_eq!(arg("{oops"), json!("{oops"));
    }

    #[test]
    fn named_arguments_must_be_an_object() {
        assert_eq!(
            named_args(r#"{"num1": 5}"#).map(Value::Object),
            Ok(json!({"num1": 5}))
        );
        assert!(named_args("[5]").unwrap_err().contains("JSON object"));
        assert!(named_args("{").unwrap_err().contains("not JSON"));
    }

    #[test]
    fn timeouts_are_positive_seconds() {
        assert_eq!(timeout("1.5"), Ok(Duration::from_millis(1500)));
        assert_eq!(timeout("30"), Ok(Duration::from_secs(30)));
        assert!(timeout("0").is_err());
        assert!(timeout("-1").is_err());
        assert!(timeout("NaN").is_err());
        assert!(timeout("inf").is_err());
        assert!(timeout("soon").is_err());
    }

    #[test]
    fn sizes_take_binary_and_decimal_units() {
        assert_eq!(byte_size("0"), Ok(0));
        assert_eq!(byte_size("1048576"), Ok(1 << 20));
        assert_eq!(byte_size("512K"), Ok(512 << 10));
        assert_eq!(byte_size("512k"), Ok(512 << 10));
        assert_eq!(byte_size("10G"), Ok(10 << 30));
        assert_eq!(byte_size("10GiB"), Ok(10 << 30));
        assert_eq!(byte_size("3MiB"), Ok(3 << 20));
        assert_eq!(byte_size("5GB"), Ok(5_000_000_000));
        assert_eq!(byte_size("2kb"), Ok(2000));
        assert_eq!(byte_size("1T"), Ok(1 << 40));
        assert_eq!(byte_size("7B"), Ok(7));
        assert_eq!(
            byte_size("1X"),
            Err("\"1X\": the unit must be K, M, G or T (or KB, MiB, ...)".to_owned())
        );
        assert!(byte_size("").is_err());
        assert!(byte_size("G").is_err());
        assert!(byte_size("-1").is_err());
        assert!(byte_size("1.5G").is_err());
        assert!(byte_size("1X").is_err());
        assert!(byte_size("99999999999T").is_err());
    }

    #[test]
    fn metadata_is_key_equals_value() {
        assert_eq!(meta("k=v=w"), Ok(("k".to_owned(), "v=w".to_owned())));
        assert_eq!(meta("k="), Ok(("k".to_owned(), String::new())));
        assert!(meta("=v").is_err());
        assert!(meta("kv").is_err());
    }
}
