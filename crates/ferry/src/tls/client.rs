//! The client's TLS configuration: whom to trust, and who to be.

use std::{path::Path, sync::Arc};

use rustls::{ClientConfig, RootCertStore};
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use super::{pem, provider, TlsError, ALPN_NATIVE, VERSIONS};

/// Builds a [`rustls::ClientConfig`] for `tls://` addresses (and ferry's HTTP client's
/// `https://` URLs): the CAs a server's certificate must chain to, optionally a client
/// certificate for mTLS, TLS 1.2 and 1.3. No CA is trusted unless one is added: ferry does
/// not read the system's store.
#[derive(Debug)]
#[must_use]
pub struct ClientTls {
    roots: RootCertStore,
    identity: Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>,
    alpn: Vec<Vec<u8>>,
}

impl Default for ClientTls {
    fn default() -> ClientTls {
        ClientTls::new()
    }
}

impl ClientTls {
    /// Trusts nobody yet; offers ALPN `ferry`, the native protocol.
    pub fn new() -> ClientTls {
        ClientTls {
            roots: RootCertStore::empty(),
            identity: None,
            alpn: vec![ALPN_NATIVE.to_vec()],
        }
    }

    /// Trusts the CA certificates in `path`.
    pub fn ca_file(mut self, path: impl AsRef<Path>) -> Result<ClientTls, TlsError> {
        for certificate in pem::certificates(path.as_ref())? {
            self.roots.add(certificate)?;
        }
        Ok(self)
    }

    /// Trusts `roots` as well.
    pub fn roots(mut self, roots: RootCertStore) -> ClientTls {
        self.roots.roots.extend(roots.roots);
        self
    }

    /// Shows the certificate chain in `chain` (leaf first) with the key in `key` (mTLS).
    pub fn identity_files(
        self,
        chain: impl AsRef<Path>,
        key: impl AsRef<Path>,
    ) -> Result<ClientTls, TlsError> {
        let chain = pem::certificates(chain.as_ref())?;
        Ok(self.identity(chain, pem::private_key(key.as_ref())?))
    }

    /// Shows `chain` with `key` (mTLS).
    pub fn identity(
        mut self,
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    ) -> ClientTls {
        self.identity = Some((chain, key));
        self
    }

    /// Offers these ALPN protocols instead of `ferry` (`http/1.1` for an HTTP client).
    pub fn alpn(mut self, protocols: Vec<Vec<u8>>) -> ClientTls {
        self.alpn = protocols;
        self
    }

    /// The configuration to give [`ClientConfig::tls`](crate::ClientConfig::tls).
    pub fn build(self) -> Result<Arc<ClientConfig>, TlsError> {
        let builder = ClientConfig::builder_with_provider(provider())
            .with_protocol_versions(VERSIONS)?
            .with_root_certificates(self.roots);
        let mut config = match self.identity {
            Some((chain, key)) => builder.with_client_auth_cert(chain, key)?,
            None => builder.with_no_client_auth(),
        };
        config.alpn_protocols = self.alpn;
        Ok(Arc::new(config))
    }
}
