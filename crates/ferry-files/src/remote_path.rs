//! The path rules (sans-IO): what text a client may use to name a file under the root.

use std::fmt;

use crate::FilesError;

/// The directory under the root that holds partial uploads; no client path may name it.
pub(crate) const PARTIAL_DIR: &str = ".partial";

/// The longest path accepted, in bytes (Linux's `PATH_MAX` less the final NUL).
const MAX_PATH_LEN: usize = 4095;

/// The longest component accepted, in bytes (`NAME_MAX` on every common Linux file system).
const MAX_COMPONENT_LEN: usize = 255;

/// A client's path, checked against the rules and normalised.
///
/// The rules: relative UTF-8 text with `/` between components, where
///
/// - a single trailing `/` is dropped (`docs/` is `docs`); every other empty component
///   (`a//b`, `//`) is refused, so each file has exactly one spelling;
/// - `.` and `..` components are refused, as are a leading `/` (absolute), a backslash, NUL
///   and every other control character;
/// - the first component may not be `.partial` (the store's own partial uploads);
/// - at most 4095 bytes in all and 255 bytes per component.
///
/// The empty path names the root directory itself (`/` is refused as absolute); only
/// [`Root::stat`](crate::Root::stat) and [`Root::list`](crate::Root::list) accept it.
///
/// ```
/// use ferry_files::RemotePath;
///
/// assert_eq!(RemotePath::parse("photos/2024/").unwrap().as_str(), "photos/2024");
/// assert!(RemotePath::parse("../etc/passwd").is_err());
/// assert!(RemotePath::parse(".partial/x.data").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RemotePath {
    /// The normalised text: components joined by `/`, empty for the root.
    text: String,
}

impl RemotePath {
    /// Checks `text` against the rules; the refusal says which rule it breaks.
    pub fn parse(text: &str) -> Result<RemotePath, FilesError> {
        rule_broken(text).map_or_else(
            || {
                let text = text.strip_suffix('/').unwrap_or(text);
                Ok(RemotePath {
                    text: text.to_owned(),
                })
            },
            |reason| Err(FilesError::refused(text, reason)),
        )
    }

    /// The normalised path: components joined by `/`, empty for the root.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether the path names the root directory.
    pub fn is_root(&self) -> bool {
        self.text.is_empty()
    }

    /// The components, outermost first; none for the root.
    pub(crate) fn components(&self) -> Vec<&str> {
        if self.is_root() {
            return Vec::new();
        }
        self.text.split('/').collect()
    }

    /// The directories leading to the last component, and the last component; `None` for
    /// the root.
    pub(crate) fn split_last(&self) -> Option<(Vec<&str>, &str)> {
        let mut components = self.components();
        let last = components.pop()?;
        Some((components, last))
    }
}

impl fmt::Display for RemotePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// The first rule `text` breaks, if any.
fn rule_broken(text: &str) -> Option<&'static str> {
    if text.contains('\0') {
        return Some("it holds a NUL byte");
    }
    if text.chars().any(char::is_control) {
        return Some("it holds a control character");
    }
    if text.starts_with('/') {
        return Some("it is absolute; name it relative to the store's root, without a leading /");
    }
    if text.contains('\\') {
        return Some("it holds a backslash; separate directories with /");
    }
    if text.len() > MAX_PATH_LEN {
        return Some("it is longer than 4095 bytes");
    }
    let text = text.strip_suffix('/').unwrap_or(text);
    if text.is_empty() {
        return None;
    }
    let components: Vec<&str> = text.split('/').collect();
    if components[0] == PARTIAL_DIR {
        return Some("it names the store's partial uploads, which are never served");
    }
    components.iter().find_map(|component| match *component {
        "" => Some("it holds an empty component (//); write each / once"),
        "." | ".." => Some("it holds a . or .. component; name the file by its plain path"),
        name if name.len() > MAX_COMPONENT_LEN => Some("a component is longer than 255 bytes"),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn normalised(text: &str) -> String {
        match RemotePath::parse(text) {
            Ok(path) => path.as_str().to_owned(),
            Err(err) => panic!("{text:?} was refused: {err}"),
        }
    }

    #[test]
    fn plain_paths_are_kept_and_one_trailing_slash_dropped() {
        assert_eq!(normalised("a.txt"), "a.txt");
        assert_eq!(normalised("a/b/c.bin"), "a/b/c.bin");
        assert_eq!(normalised("docs/"), "docs");
        assert_eq!(normalised(""), "");
        assert_eq!(normalised("a..b/..c/.d"), "a..b/..c/.d");
        assert_eq!(normalised("sub/.partial"), "sub/.partial");
        assert_eq!(normalised(".partial-not"), ".partial-not");
        assert_eq!(normalised("with space/été.txt"), "with space/été.txt");
        assert_eq!(normalised("%2e%2e"), "%2e%2e");
        assert!(RemotePath::parse("").unwrap().is_root());
    }

    #[test]
    fn every_way_out_is_refused() {
        let attempts = [
            "..",
            "../x",
            "a/../../x",
            "a/..",
            "./a",
            "a/./b",
            "/etc/passwd",
            "/",
            "a//b",
            "//",
            "a//",
            "a\0b",
            "a\nb",
            "a\\..\\b",
            ".partial",
            ".partial/",
            ".partial/abc.data",
        ];
        for attempt in attempts {
            let refused = RemotePath::parse(attempt);
            match refused {
                Err(FilesError::Refused { path, .. }) => assert_eq!(path, attempt),
                other => panic!("{attempt:?} was not refused: {other:?}"),
            }
        }
    }

    #[test]
    fn lengths_are_bounded() {
        let long_name = "n".repeat(256);
        assert!(RemotePath::parse(&long_name).is_err());
        assert!(RemotePath::parse(&"n".repeat(255)).is_ok());
        let longest = vec!["d"; 2048].join("/");
        assert_eq!(longest.len(), MAX_PATH_LEN);
        assert!(RemotePath::parse(&longest).is_ok());
        assert!(RemotePath::parse(&format!("{longest}/d")).is_err());
    }

    #[test]
    fn the_refusal_names_the_rule() {
        let err = RemotePath::parse("../x").unwrap_err();
        assert_eq!(err.status(), ferry_wire::Status::PermissionDenied);
        assert!(err.to_string().contains(".."), "{err}");
        let err = RemotePath::parse(".partial/x").unwrap_err();
        assert!(err.to_string().contains("partial uploads"), "{err}");
    }

    #[test]
    fn components_split_on_slashes() {
        let path = RemotePath::parse("a/b/c").unwrap();
        assert_eq!(path.components(), ["a", "b", "c"]);
        assert_eq!(path.split_last(), Some((vec!["a", "b"], "c")));
        assert_eq!(RemotePath::parse("").unwrap().split_last(), None);
    }
}
