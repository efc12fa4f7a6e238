//! The server's TLS configuration from PEM files.

use std::{path::Path, sync::Arc};

use rustls::{server::WebPkiClientVerifier, RootCertStore, ServerConfig};
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use super::{pem, provider, TlsError, ALPN_NATIVE, VERSIONS};

/// Builds a [`rustls::ServerConfig`]: a certificate chain and its key (ECDSA, Ed25519 or
/// RSA), optionally the CA that client certificates must chain to (mTLS), TLS 1.2 and 1.3,
/// and ALPN offering `h2`, `http/1.1` and `ferry`.
#[derive(Debug)]
#[must_use]
pub struct ServerTls {
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    client_roots: Option<RootCertStore>,
}

impl ServerTls {
    /// The certificate chain in `chain` (leaf first) and the private key in `key`.
    pub fn from_pem_files(
        chain: impl AsRef<Path>,
        key: impl AsRef<Path>,
    ) -> Result<ServerTls, TlsError> {
        Ok(ServerTls::new(
            pem::certificates(chain.as_ref())?,
            pem::private_key(key.as_ref())?,
        ))
    }

    /// A chain (leaf first) and its key, already parsed.
    pub fn new(chain: Vec<CertificateDer<'static>>, key: PrivateKeyDer<'static>) -> ServerTls {
        ServerTls {
            chain,
            key,
            client_roots: None,
        }
    }

    /// Requires every client to show a certificate that chains to a CA in `path`; a
    /// handshake without one fails, whatever the client goes on to ask for.
    pub fn client_ca_file(self, path: impl AsRef<Path>) -> Result<ServerTls, TlsError> {
        Ok(self.client_roots(pem::roots(path.as_ref())?))
    }

    /// Requires client certificates that chain to `roots`.
    pub fn client_roots(mut self, roots: RootCertStore) -> ServerTls {
        self.client_roots = Some(roots);
        self
    }

    /// The configuration to give [`Server::with_tls`](crate::Server::with_tls).
    pub fn build(self) -> Result<ServerConfig, TlsError> {
        let builder =
            ServerConfig::builder_with_provider(provider()).with_protocol_versions(VERSIONS)?;
        let builder = match self.client_roots {
            Some(roots) => {
                let verifier =
                    WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider())
                        .build()?;
                builder.with_client_cert_verifier(verifier)
            }
            None => builder.with_no_client_auth(),
        };
        let mut config = builder.with_single_cert(self.chain, self.key)?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec(), ALPN_NATIVE.to_vec()];
        Ok(config)
    }
}
