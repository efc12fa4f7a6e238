//! The `http://HOST[:PORT]/PATH` and `https://HOST[:PORT]/PATH` URLs the clients call.

use std::fmt;

use http::{uri::Scheme, Uri};

use super::ClientError;

/// Where a client posts: the address to connect to, the `Host` header and the path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Endpoint {
    /// The URL as given, for messages.
    pub(crate) url: String,
    /// `HOST:PORT` to connect to.
    pub(crate) address: String,
    /// The `Host` header.
    pub(crate) host: String,
    /// The request target: path and query.
    pub(crate) path: String,
    /// For `https://`, the name the server's certificate must carry.
    pub(crate) tls_name: Option<String>,
}

impl Endpoint {
    /// Reads an `http://` or `https://` URL; other schemes are refused with a clear error.
    pub(crate) fn parse(url: &str) -> Result<Endpoint, ClientError> {
        let uri: Uri = url
            .parse()
            .map_err(|err| ClientError::Url(format!("{url:?} is not a URL: {err}")))?;
        let secure = match uri.scheme() {
            Some(scheme) if *scheme == Scheme::HTTP => false,
            Some(scheme) if *scheme == Scheme::HTTPS => true,
            _ => {
                let message = format!("{url:?} is not an http:// URL (http://HOST:PORT/PATH)");
                return Err(ClientError::Url(message));
            }
        };
        let authority = uri.authority().ok_or_else(|| {
            ClientError::Url(format!("{url:?} names no host (http://HOST:PORT/PATH)"))
        })?;
        if authority.as_str().contains('@') {
            let message = format!("{url}: credentials in the URL are not supported");
            return Err(ClientError::Url(message));
        }
        let port = authority
            .port_u16()
            .unwrap_or(if secure { 443 } else { 80 });
        let host = authority.host();
        let path = uri.path_and_query().map_or("/", |path| path.as_str());
        Ok(Endpoint {
            url: url.to_owned(),
            address: format!("{host}:{port}"),
            host: authority.as_str().to_owned(),
            path: path.to_owned(),
            tls_name: secure.then(|| {
                host.trim_start_matches('[')
                    .trim_end_matches(']')
                    .to_owned()
            }),
        })
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(url: &str) -> String {
        Endpoint::parse(url).expect_err("refused").to_string()
    }

    #[test]
    fn http_urls_are_read() {
        let endpoint = Endpoint::parse("http://127.0.0.1:8000/RPC2").expect("valid");
        assert_eq!(endpoint.address, "127.0.0.1:8000");
        assert_eq!(endpoint.host, "127.0.0.1:8000");
        assert_eq!(endpoint.path, "/RPC2");
        let bare = Endpoint::parse("http://example.invalid").expect("valid");
        assert_eq!(
            (bare.address.as_str(), bare.path.as_str()),
            ("example.invalid:80", "/")
        );
        let v6 = Endpoint::parse("http://[::1]:9/jsonrpc?x=1").expect("valid");
        assert_eq!(
            (v6.address.as_str(), v6.path.as_str()),
            ("[::1]:9", "/jsonrpc?x=1")
        );
    }

    #[test]
    fn https_urls_name_the_host_their_certificate_must_carry() {
        let secure = Endpoint::parse("https://localhost/RPC2").expect("valid");
        assert_eq!(secure.address, "localhost:443");
        assert_eq!(secure.tls_name.as_deref(), Some("localhost"));
        let v6 = Endpoint::parse("https://[::1]:8443/").expect("valid");
        assert_eq!(v6.tls_name.as_deref(), Some("::1"));
        assert_eq!(Endpoint::parse("http://h/").unwrap().tls_name, None);
    }

    #[test]
    fn other_urls_are_refused_clearly() {
        assert!(refusal("ftp://h/x").contains("not an http:// URL"));
        assert!(refusal("127.0.0.1:80").contains("not an http:// URL"));
        assert!(refusal("http://u:p@h/x").contains("credentials"));
        assert!(refusal("http://exa mple/").contains("not a URL"));
    }
}
