//! The TLS flags of every subcommand that connects: whom to trust, and who to be.

use std::{path::PathBuf, sync::Arc};

use ferry::{tls::ClientTls, ClientConfig};

use crate::failure::Failure;

/// `--ca`, `--cert` and `--key`, for `tls://` addresses and `https://` URLs.
#[derive(Debug, Clone, Default, clap::Args)]
pub(crate) struct TlsArgs {
    /// For tls://HOST:PORT and https:// URLs: the CA certificates (PEM) the server's
    /// certificate must chain to. The system's store is not read.
    #[arg(long, value_name = "FILE")]
    ca: Option<PathBuf>,
    /// A client certificate chain (PEM) to show a server that requires one (mTLS).
    #[arg(long, value_name = "FILE", requires_all = ["ca", "key"])]
    cert: Option<PathBuf>,
    /// The private key (PEM) of --cert.
    #[arg(long, value_name = "FILE", requires = "cert")]
    key: Option<PathBuf>,
}

impl TlsArgs {
    /// `config`, speaking TLS to `tls://` addresses when `--ca` is given.
    pub(crate) fn native(&self, config: ClientConfig) -> Result<ClientConfig, Failure> {
        Ok(match self.build(ClientTls::new())? {
            Some(tls) => config.tls(tls),
            None => config,
        })
    }

    /// The TLS of an `https://` call (ALPN `http/1.1`), when `--ca` is given.
    pub(crate) fn http(&self) -> Result<Option<Arc<rustls::ClientConfig>>, Failure> {
        self.build(ClientTls::new().alpn(vec![b"http/1.1".to_vec()]))
    }

    fn build(&self, tls: ClientTls) -> Result<Option<Arc<rustls::ClientConfig>>, Failure> {
        let Some(ca) = &self.ca else {
            return Ok(None);
        };
        let tls = tls.ca_file(ca).map_err(usage)?;
        let tls = match (&self.cert, &self.key) {
            (Some(cert), Some(key)) => tls.identity_files(cert, key).map_err(usage)?,
            _ => tls,
        };
        tls.build().map(Some).map_err(usage)
    }
}

fn usage(err: ferry::tls::TlsError) -> Failure {
    Failure::usage(err.to_string())
}
