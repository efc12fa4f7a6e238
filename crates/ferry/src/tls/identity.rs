//! The name a verified client certificate stands for.

use rustls_pki_types::CertificateDer;
use x509_parser::{extensions::GeneralName, prelude::FromDer};

/// The subject's common name, or the first DNS name of its subject alternative names when it
/// has none; `None` when the certificate names neither (or does not parse, which a verified
/// certificate does).
pub(crate) fn identity_of(certificate: &CertificateDer<'_>) -> Option<String> {
    let (_, parsed) = x509_parser::certificate::X509Certificate::from_der(certificate).ok()?;
    let common_name = parsed
        .subject()
        .iter_common_name()
        .find_map(|name| name.as_str().ok().map(str::to_owned));
    common_name.or_else(|| first_dns_name(&parsed))
}

fn first_dns_name(certificate: &x509_parser::certificate::X509Certificate<'_>) -> Option<String> {
    let names = certificate.subject_alternative_name().ok()??;
    names
        .value
        .general_names
        .iter()
        .find_map(|name| match name {
            GeneralName::DNSName(dns) => Some((*dns).to_owned()),
            _ => None,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn certificate(params: rcgen::CertificateParams) -> CertificateDer<'static> {
        let key = rcgen::KeyPair::generate().unwrap();
        params.self_signed(&key).unwrap().der().clone()
    }

    #[test]
    fn the_common_name_is_the_identity() {
        let mut params = rcgen::CertificateParams::new(vec!["svc.example".into()]).unwrap();
        params.distinguished_name = rcgen::DistinguishedName::new();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "billing-worker");
        assert_eq!(
            identity_of(&certificate(params)).as_deref(),
            Some("billing-worker")
        );
    }

    #[test]
    fn without_a_common_name_the_first_dns_name_is() {
        let mut params = rcgen::CertificateParams::new(vec!["svc.example".into()]).unwrap();
        params.distinguished_name = rcgen::DistinguishedName::new();
        assert_eq!(
            identity_of(&certificate(params)).as_deref(),
            Some("svc.example")
        );
    }

    #[test]
    fn garbage_has_no_identity() {
        assert_eq!(identity_of(&CertificateDer::from(vec![1, 2, 3])), None);
    }
}
