//! Which of the port's dialects a call came in on.

use std::fmt;

/// The dialect a call came in on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Dialect {
    /// The native binary protocol.
    Native,
    /// JSON-RPC 2.0 over HTTP (`POST /jsonrpc`).
    JsonRpc,
    /// XML-RPC over HTTP (`POST /RPC2`).
    XmlRpc,
    /// REST/JSON over HTTP (`/api/...`).
    Rest,
    /// The length-prefixed JSON dialect.
    LpJson,
}

impl Dialect {
    /// Every dialect, in the order metrics list them.
    pub const ALL: [Dialect; 5] = [
        Dialect::Native,
        Dialect::JsonRpc,
        Dialect::XmlRpc,
        Dialect::Rest,
        Dialect::LpJson,
    ];

    /// The dialect's place in [`Dialect::ALL`].
    #[inline]
    pub(crate) fn index(self) -> usize {
        self as usize
    }

    /// The dialect's name as `echo.whoami` and the docs write it: `native`, `jsonrpc`,
    /// `xmlrpc`, `rest` or `lpjson`.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Native => "native",
            Dialect::JsonRpc => "jsonrpc",
            Dialect::XmlRpc => "xmlrpc",
            Dialect::Rest => "rest",
            Dialect::LpJson => "lpjson",
        }
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
