//! Certificates and keys from PEM files, with errors that name the file.

use std::{io, path::Path};

use rustls::RootCertStore;
use rustls_pki_types::{pem::PemObject, CertificateDer, PrivateKeyDer};

use super::TlsError;

/// Every certificate in `path`, in order (a chain starts with its leaf).
pub(crate) fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certificates = CertificateDer::pem_file_iter(path)
        .and_then(|iter| iter.collect::<Result<Vec<_>, _>>())
        .map_err(|err| file_error(path, err))?;
    if certificates.is_empty() {
        return Err(TlsError::Empty {
            path: path.to_owned(),
            what: "certificate",
        });
    }
    Ok(certificates)
}

/// The first private key in `path`: PKCS#8, PKCS#1 (RSA) or SEC1 (EC).
pub(crate) fn private_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    PrivateKeyDer::from_pem_file(path).map_err(|err| match err {
        rustls_pki_types::pem::Error::NoItemsFound => TlsError::Empty {
            path: path.to_owned(),
            what: "private key",
        },
        other => file_error(path, other),
    })
}

/// The certificates of `path` as trust anchors.
pub(crate) fn roots(path: &Path) -> Result<RootCertStore, TlsError> {
    let mut roots = RootCertStore::empty();
    for certificate in certificates(path)? {
        roots.add(certificate)?;
    }
    Ok(roots)
}

fn file_error(path: &Path, err: rustls_pki_types::pem::Error) -> TlsError {
    let source = match err {
        rustls_pki_types::pem::Error::Io(err) => err,
        other => io::Error::new(io::ErrorKind::InvalidData, other.to_string()),
    };
    TlsError::File {
        path: path.to_owned(),
        source,
    }
}
