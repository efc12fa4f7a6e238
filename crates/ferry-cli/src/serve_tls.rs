//! `ferry serve`'s TLS flags: the certificate and key, the CA of client certificates, and
//! whether plaintext is refused.

use std::{path::PathBuf, sync::Arc};

use ferry::tls::ServerTls;

use crate::failure::Failure;

/// `--tls-cert`, `--tls-key`, `--tls-client-ca`, `--tls-only`.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct ServeTlsArgs {
    /// Speak TLS on the same port as plaintext, with this certificate chain (PEM, leaf
    /// first; ECDSA, Ed25519 or RSA). Every dialect works inside TLS; HTTP/2 by ALPN.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The private key (PEM: PKCS#8, PKCS#1 or SEC1) of --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Require every TLS client to show a certificate signed by a CA in FILE (mTLS); a
    /// handshake without one is refused, whatever it goes on to ask for.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_client_ca: Option<PathBuf>,
    /// Refuse plaintext connections: each is told in its own dialect to use TLS (HTTP gets a
    /// 400, native and length-prefixed JSON an `unavailable` error).
    #[arg(long, requires = "tls_cert")]
    pub(crate) tls_only: bool,
}

impl ServeTlsArgs {
    /// The server's TLS, read and checked before anything serves; `None` without --tls-cert.
    pub(crate) fn load(&self) -> Result<Option<Arc<rustls::ServerConfig>>, Failure> {
        let (Some(cert), Some(key)) = (&self.tls_cert, &self.tls_key) else {
            return Ok(None);
        };
        let tls = ServerTls::from_pem_files(cert, key).map_err(usage)?;
        let tls = match &self.tls_client_ca {
            Some(ca) => tls.client_ca_file(ca).map_err(usage)?,
            None => tls,
        };
        tls.build()
            .map(|config| Some(Arc::new(config)))
            .map_err(usage)
    }

    /// How the start announces TLS, if it is on.
    pub(crate) fn describe(&self) -> Option<&'static str> {
        self.tls_cert.as_ref()?;
        Some(match (self.tls_client_ca.is_some(), self.tls_only) {
            (false, false) => "TLS beside plaintext",
            (false, true) => "TLS only",
            (true, false) => {
                "TLS with client certificates required, beside plaintext (which needs none: add --tls-only to refuse it)"
            }
            (true, true) => "TLS only, with client certificates required",
        })
    }
}

fn usage(err: ferry::tls::TlsError) -> Failure {
    Failure::usage(format!("--tls-*: {err}"))
}
