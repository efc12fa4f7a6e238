//! `x-ferry-timeout: SECONDS`: how long the calls a request starts may run.

use std::time::Duration;

use http::HeaderMap;

/// The header naming the time a request's calls may take, in seconds.
pub(crate) const HEADER: &str = "x-ferry-timeout";

/// The time the request allows, `None` without the header, or why its value is refused.
pub(crate) fn time_allowed(headers: &HeaderMap) -> Result<Option<Duration>, String> {
    let Some(value) = headers.get(HEADER) else {
        return Ok(None);
    };
    let seconds = value
        .to_str()
        .ok()
        .and_then(|text| text.trim().parse::<f64>().ok())
        .and_then(|seconds| Duration::try_from_secs_f64(seconds).ok())
        .filter(|allowed| !allowed.is_zero());
    match seconds {
        Some(allowed) => Ok(Some(allowed)),
        None => Err(format!(
            "{HEADER} must be a positive number of seconds, like 2.5; got {value:?}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    fn with(value: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(HEADER, HeaderValue::from_static(value));
        headers
    }

    #[test]
    fn seconds_become_a_duration() {
        assert_eq!(time_allowed(&HeaderMap::new()), Ok(None));
        assert_eq!(
            time_allowed(&with("2.5")),
            Ok(Some(Duration::from_millis(2500)))
        );
        assert_eq!(time_allowed(&with(" 3 ")), Ok(Some(Duration::from_secs(3))));
    }

    #[test]
    fn nonsense_is_refused() {
        for value in ["0", "-1", "soon", "NaN", "inf", "1e400"] {
            let refused = time_allowed(&with(value)).unwrap_err();
            assert!(
                refused.contains("positive number of seconds"),
                "{value}: {refused}"
            );
        }
    }
}
