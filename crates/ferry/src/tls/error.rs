//! What can go wrong setting TLS up.

use std::{io, path::PathBuf};

/// A TLS configuration that could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// A PEM file could not be read or parsed.
    #[error("{path}: {source}")]
    File {
        /// The file.
        path: PathBuf,
        /// Why it could not be used.
        source: io::Error,
    },
    /// A PEM file held no certificate (or no private key) where one was needed.
    #[error("{path}: holds no {what}")]
    Empty {
        /// The file.
        path: PathBuf,
        /// What was looked for: `certificate` or `private key`.
        what: &'static str,
    },
    /// rustls refused the configuration (a key that does not match its certificate, say).
    #[error("TLS configuration refused: {0}")]
    Rustls(#[from] rustls::Error),
    /// The client-certificate verifier could not be built from the CA file.
    #[error("client CA refused: {0}")]
    Verifier(#[from] rustls::server::VerifierBuilderError),
}
