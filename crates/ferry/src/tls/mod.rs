//! TLS on the server's one port and for the native client, through rustls.
//!
//! A server given a [`rustls::ServerConfig`] ([`Server::with_tls`](crate::Server::with_tls))
//! tells a TLS ClientHello (`16 03 0x`) from the plaintext dialects by its first bytes, runs
//! the handshake, and then sniffs the decrypted bytes again: native, HTTP/1.1, HTTP/2 and
//! length-prefixed JSON all work inside TLS. Only TLS 1.2 and 1.3 are offered.
//!
//! ```text
//!  accept ─▶ sniff ─┬─ 16 03 0x ─▶ whole ClientHello ─▶ handshake slot ─▶ handshake ─▶ sniff ─▶ dialect
//!                   └─ plaintext ──────────────────────────────────────────────────────────▶ dialect
//! ```
//!
//! [`ServerTls`] and [`ClientTls`] build the configurations from PEM files, as `ferry serve
//! --tls-cert --tls-key [--tls-client-ca]` and `ferry call --ca [--cert --key]` do:
//!
//! ```no_run
//! # fn run() -> Result<(), ferry::tls::TlsError> {
//! use ferry::tls::{ClientTls, ServerTls};
//!
//! let server = ServerTls::from_pem_files("server.pem", "server.key")?
//!     .client_ca_file("clients-ca.pem")? // mTLS: every client must show a certificate it signed
//!     .build()?;
//! let client = ClientTls::new().ca_file("ca.pem")?.identity_files("me.pem", "me.key")?.build()?;
//! let config = ferry::ClientConfig::default().tls(client);
//! # let _ = (server, config); Ok(())
//! # }
//! ```

mod client;
mod error;
mod identity;
mod pem;
mod server;

use std::sync::Arc;

use rustls::crypto::CryptoProvider;

pub use client::ClientTls;
pub use error::TlsError;
pub(crate) use identity::identity_of;
pub use server::ServerTls;

/// The ALPN name the native client offers, beside which a server offers `h2` and `http/1.1`.
pub const ALPN_NATIVE: &[u8] = b"ferry";

/// The protocol versions ferry speaks: TLS 1.2 and 1.3.
pub(crate) const VERSIONS: &[&rustls::SupportedProtocolVersion] =
    &[&rustls::version::TLS13, &rustls::version::TLS12];

/// The crypto provider every configuration ferry builds uses (ring), so that no process-wide
/// default needs installing.
pub(crate) fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}
