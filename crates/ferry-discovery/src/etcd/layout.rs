//! Where a service's instances live in etcd: one key per instance under the service's prefix.

use crate::DiscoveryError;

/// The prefix every key of every service starts with. The `v1` names the layout and the JSON
/// value, so a later layout can live beside this one while servers move over.
pub const PREFIX: &str = "/ferry/v1/services/";

/// The key of `service`'s instance at `address`: `/ferry/v1/services/{service}/{address}`.
/// The address is written as it is, slashes and all (`unix:/run/echo.sock`), which is why a
/// service's name may hold none.
pub fn key_of(service: &str, address: &str) -> String {
    format!("{PREFIX}{service}/{address}")
}

/// The prefix of every key of `service`, with the trailing `/`, so that `echo` does not take
/// in the keys of `echo2`.
pub fn prefix_of(service: &str) -> String {
    format!("{PREFIX}{service}/")
}

/// The service and the address a key names, or `None` for a key outside the layout. The
/// service ends at the first `/` after [`PREFIX`]; the rest, slashes included, is the address.
pub fn parse_key(key: &str) -> Option<(&str, &str)> {
    let (service, address) = key.strip_prefix(PREFIX)?.split_once('/')?;
    if service.is_empty() || address.is_empty() {
        return None;
    }
    Some((service, address))
}

/// Refuses a service name that would not come back out of [`parse_key`] as it went in.
pub(crate) fn check_service(service: &str) -> Result<(), DiscoveryError> {
    if service.is_empty() || service.contains('/') {
        return Err(DiscoveryError::BadService(service.to_owned()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_the_prefix_the_service_and_the_address() {
        assert_eq!(
            key_of("echo", "10.0.0.5:7070"),
            "/ferry/v1/services/echo/10.0.0.5:7070"
        );
        assert_eq!(prefix_of("echo"), "/ferry/v1/services/echo/");
        assert!(key_of("echo", "a:1").starts_with(&prefix_of("echo")));
        assert!(!key_of("echo2", "a:1").starts_with(&prefix_of("echo")));
    }

    #[test]
    fn a_key_parses_back_into_its_service_and_address() {
        let key = key_of("echo", "10.0.0.5:7070");
        assert_eq!(parse_key(&key), Some(("echo", "10.0.0.5:7070")));
        let unix = key_of("echo", "unix:/run/ferry/echo.sock");
        assert_eq!(
            parse_key(&unix),
            Some(("echo", "unix:/run/ferry/echo.sock"))
        );
    }

    #[test]
    fn keys_outside_the_layout_do_not_parse() {
        for key in [
            "",
            "/ferry/v1/services/",
            "/ferry/v1/services/echo",
            "/ferry/v1/services/echo/",
            "/ferry/v1/services//10.0.0.5:7070",
            "/ferry/v2/services/echo/10.0.0.5:7070",
            "/other/echo/10.0.0.5:7070",
        ] {
            assert_eq!(parse_key(key), None, "{key:?}");
        }
    }

    #[test]
    fn service_names_with_a_slash_or_nothing_are_refused() {
        assert!(check_service("echo").is_ok());
        assert!(check_service("echo.v2-beta_1").is_ok());
        assert!(matches!(
            check_service("a/b"),
            Err(DiscoveryError::BadService(name)) if name == "a/b"
        ));
        assert!(check_service("").is_err());
    }

    proptest::proptest! {
        #[test]
        fn every_key_written_parses_back(service in "[^/]{1,20}", address in ".{1,40}") {
            let key = key_of(&service, &address);
            proptest::prop_assert_eq!(parse_key(&key), Some((service.as_str(), address.as_str())));
        }

        #[test]
        fn any_text_parses_or_is_refused_without_a_panic(key in ".{0,60}") {
            if let Some((service, address)) = parse_key(&key) {
                proptest::prop_assert_eq!(key_of(service, address), key);
            }
        }
    }
}
