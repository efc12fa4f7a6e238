//! Certificates made for a test: a CA, a server certificate for `localhost` and 127.0.0.1,
//! and client certificates that are good, expired, or from a CA the server does not trust.
//! Every one is written as PEM into a temporary directory too, for curl and Python.

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// A certificate and its key, in memory and on disk.
pub struct Issued {
    pub der: CertificateDer<'static>,
    pub key_der: Vec<u8>,
    pub cert_file: PathBuf,
    pub key_file: PathBuf,
}

impl Issued {
    pub fn key(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key_der.clone()))
    }
}

/// What a TLS test needs, under `dir`.
pub struct Certs {
    pub dir: tempdir::Dir,
    pub ca: Issued,
    pub server: Issued,
    pub client: Issued,
    pub expired_client: Issued,
    pub stranger_client: Issued,
}

pub mod tempdir {
    use std::path::{Path, PathBuf};

    /// A directory removed when dropped.
    pub struct Dir(PathBuf);

    impl Dir {
        pub fn new(name: &str) -> Dir {
            let path = std::env::temp_dir().join(format!("ferry-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&path);
            std::fs::create_dir_all(&path).expect("a temporary directory");
            Dir(path)
        }

        pub fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

impl Certs {
    pub fn new(name: &str) -> Certs {
        let dir = tempdir::Dir::new(name);
        let (ca, ca_issuer) = authority(dir.path(), "ca", "ferry test CA");
        let (_, stranger_issuer) = authority(dir.path(), "stranger-ca", "someone else's CA");
        let server = leaf(dir.path(), "server", server_params(), &ca_issuer);
        let client = leaf(
            dir.path(),
            "client",
            client_params("billing-worker"),
            &ca_issuer,
        );
        let mut expired = client_params("retired-worker");
        expired.not_before = rcgen::date_time_ymd(2020, 1, 1);
        expired.not_after = rcgen::date_time_ymd(2021, 1, 1);
        let expired_client = leaf(dir.path(), "expired", expired, &ca_issuer);
        let stranger_client = leaf(
            dir.path(),
            "stranger",
            client_params("intruder"),
            &stranger_issuer,
        );
        Certs {
            dir,
            ca,
            server,
            client,
            expired_client,
            stranger_client,
        }
    }

    /// The server's TLS with no client certificates asked for.
    pub fn server_tls(&self) -> rustls::ServerConfig {
        ferry::tls::ServerTls::new(vec![self.server.der.clone()], self.server.key())
            .build()
            .expect("a server TLS configuration")
    }

    /// The server's TLS requiring client certificates signed by the test CA.
    pub fn mtls(&self) -> rustls::ServerConfig {
        ferry::tls::ServerTls::new(vec![self.server.der.clone()], self.server.key())
            .client_ca_file(&self.ca.cert_file)
            .expect("the CA file")
            .build()
            .expect("a server TLS configuration")
    }

    /// The first flight of a real rustls client: one whole ClientHello record.
    pub fn client_hello(&self) -> Vec<u8> {
        let name = rustls::pki_types::ServerName::try_from("localhost").expect("a name");
        let mut connection =
            rustls::ClientConnection::new(self.client_tls(None), name).expect("a client");
        let mut hello = Vec::new();
        connection.write_tls(&mut hello).expect("a ClientHello");
        hello
    }

    /// A native client's TLS trusting the test CA, showing `identity` if given.
    pub fn client_tls(&self, identity: Option<&Issued>) -> std::sync::Arc<rustls::ClientConfig> {
        let tls = ferry::tls::ClientTls::new()
            .ca_file(&self.ca.cert_file)
            .expect("the CA file");
        let tls = match identity {
            Some(issued) => tls.identity(vec![issued.der.clone()], issued.key()),
            None => tls,
        };
        tls.build().expect("a client TLS configuration")
    }
}

fn authority(dir: &Path, file: &str, name: &str) -> (Issued, Issuer<'static, KeyPair>) {
    let key = KeyPair::generate().expect("a key");
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("parameters");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    let certificate = params.self_signed(&key).expect("a CA certificate");
    let issued = write(dir, file, &certificate, &key);
    (issued, Issuer::new(params, key))
}

fn server_params() -> CertificateParams {
    let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
    let mut params = CertificateParams::new(names).expect("parameters");
    params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params
}

fn client_params(name: &str) -> CertificateParams {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("parameters");
    params.distinguished_name.push(DnType::CommonName, name);
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    params
}

fn leaf(
    dir: &Path,
    file: &str,
    params: CertificateParams,
    issuer: &Issuer<'static, KeyPair>,
) -> Issued {
    let key = KeyPair::generate().expect("a key");
    let certificate = params.signed_by(&key, issuer).expect("a certificate");
    write(dir, file, &certificate, &key)
}

fn write(dir: &Path, file: &str, certificate: &rcgen::Certificate, key: &KeyPair) -> Issued {
    let cert_file = dir.join(format!("{file}.pem"));
    let key_file = dir.join(format!("{file}.key"));
    std::fs::write(&cert_file, certificate.pem()).expect("write a certificate");
    std::fs::write(&key_file, key.serialize_pem()).expect("write a key");
    Issued {
        der: certificate.der().clone(),
        key_der: key.serialize_der(),
        cert_file,
        key_file,
    }
}
