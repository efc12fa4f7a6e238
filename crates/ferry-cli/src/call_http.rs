//! `ferry call` over HTTP: XML-RPC and JSON-RPC 2.0 to any server that speaks them, ferry's
//! own `/RPC2` and `/jsonrpc` included.

use std::time::Duration;

use ferry::{CallError, Status};
use ferry_http::client::{ClientError, JsonRpcClient, XmlRpcClient};
use serde_json::{Map, Value};

use crate::failure::{ApplicationError, Failure};

/// The dialect `ferry call` speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Dialect {
    /// ferry's own protocol, to HOST:PORT or unix:PATH.
    Native,
    /// XML-RPC over HTTP (path /RPC2 unless the URL says otherwise).
    Xmlrpc,
    /// JSON-RPC 2.0 over HTTP (path /jsonrpc unless the URL says otherwise).
    Jsonrpc,
}

/// Whom a call goes to, and how.
#[derive(Debug)]
pub(crate) enum Target {
    /// A ferry server over the native protocol.
    Native(String),
    /// A server over HTTP.
    Http(HttpClient),
}

/// A client of an HTTP dialect.
#[derive(Debug)]
pub(crate) enum HttpClient {
    /// An XML-RPC server.
    XmlRpc(XmlRpcClient),
    /// A JSON-RPC 2.0 server.
    JsonRpc(JsonRpcClient),
}

impl HttpClient {
    /// The client, speaking TLS to an `https://` URL with `tls`.
    pub(crate) fn with_tls(self, tls: Option<std::sync::Arc<rustls::ClientConfig>>) -> HttpClient {
        let Some(tls) = tls else {
            return self;
        };
        match self {
            HttpClient::XmlRpc(client) => HttpClient::XmlRpc(client.with_tls(tls)),
            HttpClient::JsonRpc(client) => HttpClient::JsonRpc(client.with_tls(tls)),
        }
    }

    /// The client, sending `meta` with its call as headers by the HTTP dialects' rule.
    pub(crate) fn with_metadata(self, meta: &[(String, String)]) -> HttpClient {
        match self {
            HttpClient::XmlRpc(client) => {
                HttpClient::XmlRpc(meta.iter().fold(client, |client, (key, value)| {
                    client.with_metadata(key, value)
                }))
            }
            HttpClient::JsonRpc(client) => {
                HttpClient::JsonRpc(meta.iter().fold(client, |client, (key, value)| {
                    client.with_metadata(key, value)
                }))
            }
        }
    }
}

impl Target {
    /// The target of `address` (HOST:PORT, tls://HOST:PORT, unix:PATH, a list, etcd:// or an
    /// http:// or https:// URL) in `dialect`, which
    /// by default is native, or for a URL is told by its path: `.../RPC2` is XML-RPC and
    /// `.../jsonrpc` JSON-RPC.
    pub(crate) fn of(address: &str, dialect: Option<Dialect>) -> Result<Target, Failure> {
        let is_url = address.starts_with("http://") || address.starts_with("https://");
        let dialect = match dialect {
            Some(dialect) => dialect,
            None if is_url => dialect_of_path(address)?,
            None => Dialect::Native,
        };
        match dialect {
            Dialect::Native if is_url => Err(Failure::usage(format!(
                "--dialect native takes HOST:PORT, unix:PATH, a list or etcd://, not the URL {address}"
            ))),
            Dialect::Native => Ok(Target::Native(address.to_owned())),
            Dialect::Xmlrpc => {
                let url = http_url(address, "/RPC2", "XML-RPC")?;
                let client = XmlRpcClient::new(&url).map_err(url_failure)?;
                Ok(Target::Http(HttpClient::XmlRpc(client)))
            }
            Dialect::Jsonrpc => {
                let url = http_url(address, "/jsonrpc", "JSON-RPC")?;
                let client = JsonRpcClient::new(&url).map_err(url_failure)?;
                Ok(Target::Http(HttpClient::JsonRpc(client)))
            }
        }
    }
}

/// Makes an HTTP call with `positional` arguments, or `named` ones (JSON-RPC only).
pub(crate) async fn call(
    client: HttpClient,
    method: &str,
    positional: Vec<Value>,
    named: Option<Map<String, Value>>,
    timeout: Duration,
) -> Result<Value, Failure> {
    let answer = match (client, named) {
        (HttpClient::XmlRpc(client), None) => {
            client.with_timeout(timeout).call(method, positional).await
        }
        (HttpClient::XmlRpc(_), Some(_)) => {
            let message = "XML-RPC has positional parameters only: pass ARG ... instead of --args";
            return Err(Failure::usage(message));
        }
        (HttpClient::JsonRpc(client), Some(named)) => {
            client.with_timeout(timeout).call_named(method, named).await
        }
        (HttpClient::JsonRpc(client), None) => {
            client.with_timeout(timeout).call(method, positional).await
        }
    };
    answer.map_err(failure)
}

/// The dialect an http:// URL's path names.
fn dialect_of_path(url: &str) -> Result<Dialect, Failure> {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    if path.ends_with("/RPC2") {
        Ok(Dialect::Xmlrpc)
    } else if path.ends_with("/jsonrpc") {
        Ok(Dialect::Jsonrpc)
    } else {
        Err(Failure::usage(format!(
            "cannot tell the dialect of {url}: its path ends in neither /RPC2 nor /jsonrpc; \
             pass --dialect xmlrpc or --dialect jsonrpc"
        )))
    }
}

/// `address` as a URL: a URL as given, HOST:PORT with the dialect's usual path.
fn http_url(address: &str, default_path: &str, dialect: &str) -> Result<String, Failure> {
    if let Some(host_port) = address.strip_prefix("tls://") {
        Ok(format!("https://{host_port}{default_path}"))
    } else if address.contains("://") {
        Ok(address.to_owned())
    } else if address.starts_with("unix:") {
        Err(Failure::usage(format!(
            "{dialect} goes over HTTP: give an http:// URL or HOST:PORT, not {address}"
        )))
    } else {
        Ok(format!("http://{address}{default_path}"))
    }
}

/// What `ferry` reports for a failed HTTP call: exit 1 for the method's own error, 2 else.
fn failure(err: ClientError) -> Failure {
    let status = err.status();
    match err {
        ClientError::Remote(remote) if status == Status::Application => {
            Failure::Application(ApplicationError {
                type_name: None,
                message: remote.message,
                data: remote.data,
            })
        }
        other => Failure::Call(CallError::new(status, other.message())),
    }
}

fn url_failure(err: ClientError) -> Failure {
    Failure::usage(err.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(address: &str, dialect: Option<Dialect>) -> Result<Target, String> {
        Target::of(address, dialect).map_err(|failure| failure.to_string())
    }

    #[test]
    fn the_path_tells_the_dialect() {
        assert!(matches!(target("127.0.0.1:1", None), Ok(Target::Native(_))));
        assert!(matches!(target("unix:/tmp/s", None), Ok(Target::Native(_))));
        let etcd = target("etcd://127.0.0.1:2379", None);
        assert!(matches!(etcd, Ok(Target::Native(address)) if address.starts_with("etcd://")));
        assert!(matches!(
            target("http://h:1/RPC2", None),
            Ok(Target::Http(HttpClient::XmlRpc(_)))
        ));
        let jsonrpc = target("http://h:1/x/jsonrpc?a=b", None);
        assert!(matches!(jsonrpc, Ok(Target::Http(HttpClient::JsonRpc(_)))));
        let unknown = target("http://h:1/api", None).unwrap_err();
        assert!(unknown.contains("--dialect xmlrpc"), "{unknown}");
    }

    #[test]
    fn the_flag_overrides_the_path() {
        let xmlrpc = Some(Dialect::Xmlrpc);
        let is_xmlrpc = |target| matches!(target, Ok(Target::Http(HttpClient::XmlRpc(_))));
        assert!(is_xmlrpc(target("http://h:1/", xmlrpc)));
        assert!(is_xmlrpc(target("h:1", xmlrpc)));
        let jsonrpc = target("h:1", Some(Dialect::Jsonrpc));
        assert!(matches!(jsonrpc, Ok(Target::Http(HttpClient::JsonRpc(_)))));
        assert!(target("unix:/tmp/s", xmlrpc)
            .unwrap_err()
            .contains("goes over HTTP"));
        let native = target("http://h:1/RPC2", Some(Dialect::Native)).unwrap_err();
        assert!(native.contains("not the URL"), "{native}");
    }

    #[test]
    fn https_urls_and_tls_addresses_reach_the_http_dialects() {
        let xmlrpc = target("https://h/RPC2", None);
        assert!(matches!(xmlrpc, Ok(Target::Http(HttpClient::XmlRpc(_)))));
        let tls = target("tls://h:1", Some(Dialect::Jsonrpc));
        assert!(matches!(tls, Ok(Target::Http(HttpClient::JsonRpc(_)))));
        assert!(matches!(target("tls://h:1", None), Ok(Target::Native(_))));
    }

    #[test]
    fn remote_errors_keep_their_status() {
        let remote = |code| ferry_http::client::RemoteError {
            code,
            message: "boom".into(),
            data: None,
        };
        let application = failure(ClientError::Remote(remote(1)));
        assert_eq!(application.to_string(), "error: application: boom");
        let unknown = failure(ClientError::Remote(remote(-32601)));
        assert_eq!(unknown.to_string(), "error: unknown_method: boom");
        let parse = failure(ClientError::Remote(remote(-32700)));
        assert_eq!(parse.to_string(), "error: protocol: boom");
    }
}
