//! The token file, sans-IO: its text in, the table of who may call what out.
//!
//! ```text
//! # TOKEN            IDENTITY   [METHOD-PATTERN ...]   (no pattern: every method)
//! 6f1c9e0d8a7b       ops                                # everything, the pages too
//! 3a5b7c9d1e2f       alice      calc.* echo.ping
//! cert:build-bot     ci         files.*                 # a verified client certificate
//! ```

use std::collections::HashMap;

use super::{
    identity::{Credential, Identity},
    pattern::{Pattern, PatternError},
};

/// What a token line names a certificate with: `cert:NAME`.
pub const CERT_PREFIX: &str = "cert:";

/// The parsed token file: tokens, kept only as their BLAKE3 hashes, and certificate
/// identities, each with the identity it grants and its patterns.
pub struct Tokens {
    /// By the hash of the token: a lookup compares hashes, never the token's bytes, and the
    /// comparison of [`blake3::Hash`] takes the same time wherever the bytes differ.
    tokens: HashMap<blake3::Hash, Grant>,
    /// By the certificate identity after `cert:`.
    certs: HashMap<String, Grant>,
}

/// One line's grant: its identity and the methods it may call.
#[derive(Debug, Clone)]
pub(crate) struct Grant {
    pub(crate) identity: Identity,
    /// Empty: every method.
    patterns: Vec<Pattern>,
}

impl Grant {
    /// Whether the line grants a call of `method`.
    pub(crate) fn allows(&self, method: &str) -> bool {
        self.patterns.is_empty() || self.patterns.iter().any(|p| p.matches(method))
    }
}

/// Why a token file is refused: the first bad line, by number from 1. No message repeats a
/// token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokensError {
    /// A line with a token and nothing after it.
    #[error("line {line}: a token with no identity; write TOKEN IDENTITY [METHOD-PATTERN ...]")]
    NoIdentity {
        /// The line's number.
        line: usize,
    },
    /// A token with characters a bearer token cannot have.
    #[error(
        "line {line}: the token is not a bearer token: letters, digits and - . _ ~ + / only, \
         then any = at the end"
    )]
    BadToken {
        /// The line's number.
        line: usize,
    },
    /// `cert:` with no name after it.
    #[error(
        "line {line}: cert: names no certificate; write cert:NAME IDENTITY [METHOD-PATTERN ...]"
    )]
    NoCertName {
        /// The line's number.
        line: usize,
    },
    /// A token already on an earlier line.
    #[error("line {line}: the same token as line {first}; a token grants one identity")]
    DuplicateToken {
        /// The line's number.
        line: usize,
        /// The line that has it first.
        first: usize,
    },
    /// A certificate identity already on an earlier line.
    #[error("line {line}: cert:{name} again, first on line {first}")]
    DuplicateCert {
        /// The line's number.
        line: usize,
        /// The line that has it first.
        first: usize,
        /// The certificate identity.
        name: String,
    },
    /// A method pattern that is not one.
    #[error("line {line}: {error}")]
    Pattern {
        /// The line's number.
        line: usize,
        /// What is wrong with the pattern.
        error: PatternError,
    },
    /// No line grants anything: every call would be refused, surely not what was meant.
    #[error("no token or cert: lines: every call would be refused")]
    Empty,
}

/// What the first field of a line names.
enum Key {
    Token(blake3::Hash),
    Cert(String),
}

impl Tokens {
    /// Parses the text of a token file: one `TOKEN IDENTITY [METHOD-PATTERN ...]` a line,
    /// fields split by white space; blank lines and `#` comments (from a field that starts
    /// with `#` to the end of the line) are skipped.
    pub fn parse(text: &str) -> Result<Tokens, TokensError> {
        let mut tokens = Tokens {
            tokens: HashMap::new(),
            certs: HashMap::new(),
        };
        let mut first_lines: HashMap<blake3::Hash, usize> = HashMap::new();
        let mut cert_lines: HashMap<String, usize> = HashMap::new();
        for (index, text) in text.lines().enumerate() {
            let line = index + 1;
            let Some((key, grant)) = parse_line(line, text)? else {
                continue;
            };
            match key {
                Key::Token(hash) => {
                    if let Some(&first) = first_lines.get(&hash) {
                        return Err(TokensError::DuplicateToken { line, first });
                    }
                    first_lines.insert(hash, line);
                    tokens.tokens.insert(hash, grant);
                }
                Key::Cert(name) => {
                    if let Some(&first) = cert_lines.get(&name) {
                        return Err(TokensError::DuplicateCert { line, first, name });
                    }
                    cert_lines.insert(name.clone(), line);
                    tokens.certs.insert(name, grant);
                }
            }
        }
        if tokens.tokens.is_empty() && tokens.certs.is_empty() {
            return Err(TokensError::Empty);
        }
        Ok(tokens)
    }

    /// The grant of a bearer token, if a line has it.
    pub(crate) fn token(&self, token: &str) -> Option<&Grant> {
        self.tokens.get(&blake3::hash(token.as_bytes()))
    }

    /// The grant of a verified certificate identity, if a `cert:` line has it.
    pub(crate) fn certificate(&self, name: &str) -> Option<&Grant> {
        self.certs.get(name)
    }

    /// How many token lines and how many `cert:` lines.
    pub fn len(&self) -> (usize, usize) {
        (self.tokens.len(), self.certs.len())
    }

    /// Whether no line grants anything (never, for a table [`Tokens::parse`] made).
    pub fn is_empty(&self) -> bool {
        self.len() == (0, 0)
    }
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Counts only: even a token's hash stays out of logs.
        f.debug_struct("Tokens")
            .field("tokens", &self.tokens.len())
            .field("certs", &self.certs.len())
            .finish()
    }
}

/// One line: `None` when it is blank or a comment.
fn parse_line(line: usize, text: &str) -> Result<Option<(Key, Grant)>, TokensError> {
    let mut fields = text
        .split_whitespace()
        .take_while(|field| !field.starts_with('#'));
    let Some(first) = fields.next() else {
        return Ok(None);
    };
    let (key, credential) = match first.strip_prefix(CERT_PREFIX) {
        Some("") => return Err(TokensError::NoCertName { line }),
        Some(name) => (Key::Cert(name.to_owned()), Credential::Certificate),
        None if is_bearer_token(first) => {
            let hash = blake3::hash(first.as_bytes());
            (Key::Token(hash), Credential::Token)
        }
        None => return Err(TokensError::BadToken { line }),
    };
    let identity = fields.next().ok_or(TokensError::NoIdentity { line })?;
    let patterns = fields
        .map(str::parse)
        .collect::<Result<Vec<Pattern>, _>>()
        .map_err(|error| TokensError::Pattern { line, error })?;
    let identity = Identity::new(identity, credential);
    Ok(Some((key, Grant { identity, patterns })))
}

/// Whether `token` is an RFC 6750 `b64token`, the only kind an `Authorization: Bearer`
/// header carries.
pub(crate) fn is_bearer_token(token: &str) -> bool {
    let body = token.trim_end_matches('=');
    let allowed = |c: char| c.is_ascii_alphanumeric() || "-._~+/".contains(c);
    !body.is_empty() && body.chars().all(allowed)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "\
# who may call what
6f1c9e0d8a7b ops
3a5b7c9d1e2f   alice\tcalc.* echo.ping   # the calc team

cert:build-bot ci files.*
abc== bob _pages.*
";

    #[test]
    fn each_line_grants_its_identity_its_patterns() {
        let tokens = Tokens::parse(FILE).unwrap();
        assert_eq!(tokens.len(), (3, 1));
        let ops = tokens.token("6f1c9e0d8a7b").unwrap();
        assert_eq!(ops.identity, Identity::new("ops", Credential::Token));
        assert!(ops.allows("anything.at_all") && ops.allows("_pages.metrics"));
        let alice = tokens.token("3a5b7c9d1e2f").unwrap();
        assert_eq!(alice.identity.name(), "alice");
        assert!(alice.allows("calc.add") && alice.allows("echo.ping"));
        assert!(!alice.allows("echo.echo") && !alice.allows("_pages.metrics"));
        let ci = tokens.certificate("build-bot").unwrap();
        assert_eq!(ci.identity, Identity::new("ci", Credential::Certificate));
        assert!(ci.allows("files.put") && !ci.allows("calc.add"));
        assert!(
            tokens.token("build-bot").is_none(),
            "a cert: line is no token"
        );
        assert!(tokens.certificate("6f1c9e0d8a7b").is_none());
        assert!(tokens.token("abc==").is_some());
        assert!(tokens.token("nope").is_none() && tokens.token("").is_none());
    }

    #[test]
    fn a_bad_line_is_named_by_its_number() {
        let cases = [
            ("t1 a\nt2\n", TokensError::NoIdentity { line: 2 }),
            ("\n\nt\"x a\n", TokensError::BadToken { line: 3 }),
            ("t=x a\n", TokensError::BadToken { line: 1 }),
            ("=== a\n", TokensError::BadToken { line: 1 }),
            ("cert: a\n", TokensError::NoCertName { line: 1 }),
            (
                "t1 a\n# c\nt1 b\n",
                TokensError::DuplicateToken { line: 3, first: 1 },
            ),
            (
                "cert:x a\ncert:x b\n",
                TokensError::DuplicateCert {
                    line: 2,
                    first: 1,
                    name: "x".into(),
                },
            ),
            (
                "t1 a calc.* *.health\n",
                TokensError::Pattern {
                    line: 1,
                    error: PatternError::Star("*.health".into()),
                },
            ),
            ("# nothing\n\n", TokensError::Empty),
        ];
        for (text, expected) in cases {
            assert_eq!(Tokens::parse(text).err(), Some(expected), "{text:?}");
        }
    }

    #[test]
    fn no_message_or_debug_output_shows_a_token() {
        let err = Tokens::parse("s3cr3t a\ns3cr3t b\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "line 2: the same token as line 1; a token grants one identity"
        );
        let tokens = Tokens::parse("s3cr3t a\n").unwrap();
        assert_eq!(format!("{tokens:?}"), "Tokens { tokens: 1, certs: 0 }");
        let grant = format!("{:?}", tokens.token("s3cr3t").unwrap());
        assert!(!grant.contains("s3cr3t"), "{grant}");
    }
}
