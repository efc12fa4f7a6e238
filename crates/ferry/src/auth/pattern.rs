//! Which methods a token may call: `*`, `calc.*` or `calc.add`.

use std::{fmt, str::FromStr};

/// A method pattern of a token line: every method (`*`), every method under a prefix
/// (`calc.*`, `ferry.reflect.*`: names that start with `calc.`), or one full name (`calc.add`).
/// A `*` anywhere else (`*.health`, `ca*`) is refused: a pattern reads at a glance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pattern {
    /// `*`: every method, the pages' pseudo methods included.
    Any,
    /// `NAME.*`, kept as `NAME.`: every method whose full name starts with it.
    Prefix(String),
    /// One full method name.
    Exact(String),
}

/// Why a pattern is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PatternError {
    /// A `*` that is neither the whole pattern nor its last part after a dot.
    #[error("{0:?}: a * stands alone (every method) or ends a pattern after a dot (calc.*)")]
    Star(String),
    /// An empty part between dots, at the start or at the end.
    #[error("{0:?}: a pattern is names joined by dots (calc.add), with no empty part")]
    EmptyPart(String),
    /// A character no method name has.
    #[error("{0:?}: method names are letters, digits, _ and -, joined by dots")]
    Character(String),
}

impl Pattern {
    /// Whether the full method name `method` is one this pattern grants.
    pub fn matches(&self, method: &str) -> bool {
        match self {
            Pattern::Any => true,
            Pattern::Prefix(prefix) => method.starts_with(prefix.as_str()),
            Pattern::Exact(name) => method == name,
        }
    }
}

impl FromStr for Pattern {
    type Err = PatternError;

    fn from_str(text: &str) -> Result<Pattern, PatternError> {
        if text == "*" {
            return Ok(Pattern::Any);
        }
        let (names, prefix) = match text.strip_suffix(".*") {
            Some(names) => (names, true),
            None => (text, false),
        };
        for part in names.split('.') {
            check_part(text, part)?;
        }
        Ok(if prefix {
            Pattern::Prefix(format!("{names}."))
        } else {
            Pattern::Exact(text.to_owned())
        })
    }
}

/// One dot-separated part of `pattern`.
fn check_part(pattern: &str, part: &str) -> Result<(), PatternError> {
    if part.contains('*') {
        return Err(PatternError::Star(pattern.to_owned()));
    }
    if part.is_empty() {
        return Err(PatternError::EmptyPart(pattern.to_owned()));
    }
    let named = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    if !part.chars().all(named) {
        return Err(PatternError::Character(pattern.to_owned()));
    }
    Ok(())
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pattern::Any => f.write_str("*"),
            Pattern::Prefix(prefix) => write!(f, "{prefix}*"),
            Pattern::Exact(name) => f.write_str(name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(text: &str) -> Pattern {
        text.parse().unwrap_or_else(|err| panic!("{text}: {err}"))
    }

    #[test]
    fn a_star_grants_everything_a_prefix_its_names_an_exact_name_itself() {
        assert!(pattern("*").matches("calc.add"));
        assert!(pattern("*").matches("_pages.metrics"));
        assert!(pattern("calc.*").matches("calc.add"));
        assert!(!pattern("calc.*").matches("calculator.add"));
        assert!(!pattern("calc.*").matches("calc"));
        assert!(pattern("ferry.*").matches("ferry.reflect.describe"));
        assert!(pattern("ferry.reflect.*").matches("ferry.reflect.describe"));
        assert!(pattern("calc.add").matches("calc.add"));
        assert!(!pattern("calc.add").matches("calc.added"));
        assert!(!pattern("calc.add").matches("calc.divide"));
    }

    #[test]
    fn a_pattern_reads_back_as_written() {
        for text in ["*", "calc.*", "calc.add", "_pages.*", "my-svc.do_it"] {
            assert_eq!(pattern(text).to_string(), text);
        }
    }

    #[test]
    fn stars_elsewhere_empty_parts_and_odd_characters_are_refused() {
        for text in ["*.health", "ca*", "calc.*.x", "calc*", "**"] {
            assert!(
                matches!(text.parse::<Pattern>(), Err(PatternError::Star(_))),
                "{text}"
            );
        }
        for text in ["", ".", "calc.", ".add", "calc..add", ".*"] {
            let parsed = text.parse::<Pattern>();
            assert!(
                matches!(parsed, Err(PatternError::EmptyPart(_))),
                "{text}: {parsed:?}"
            );
        }
        for text in ["calc/add", "calc.add()", "cälc.add"] {
            let parsed = text.parse::<Pattern>();
            assert!(
                matches!(parsed, Err(PatternError::Character(_))),
                "{text}: {parsed:?}"
            );
        }
    }
}
