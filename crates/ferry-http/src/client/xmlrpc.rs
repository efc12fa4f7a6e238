//! [`XmlRpcClient`]: XML-RPC calls over HTTP.

use std::{sync::Arc, time::Duration};

use http::StatusCode;
use serde_json::Value as Json;

use super::{
    post::{excerpt, Post},
    url::Endpoint,
    ClientError, RemoteError, DEFAULT_MAX_RESPONSE_LEN, DEFAULT_TIMEOUT,
};
use crate::xmlrpc::{parse, value::Value, write};

const DIALECT: &str = "an XML-RPC methodResponse";

/// Calls methods of an XML-RPC server (a ferry server's `/RPC2`, Python's
/// `SimpleXMLRPCServer`, ...), one HTTP/1.1 connection per call.
///
/// Arguments and results are JSON: integers, doubles, strings, booleans, `null` (`<nil/>`),
/// arrays and objects (structs) map to their XML-RPC types; a `<base64>` result arrives as an
/// array of byte values and a `<dateTime.iso8601>` as its text.
///
/// ```no_run
/// # async fn run() -> Result<(), ferry_http::client::ClientError> {
/// use ferry_http::client::XmlRpcClient;
/// use serde_json::json;
///
/// let client = XmlRpcClient::new("http://127.0.0.1:7070/RPC2")?;
/// assert_eq!(client.call("calc.add", vec![json!(2), json!(3)]).await?, json!(5));
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct XmlRpcClient {
    endpoint: Endpoint,
    tls: Option<Arc<rustls::ClientConfig>>,
    timeout: Duration,
    max_response_len: usize,
    metadata: Vec<(String, String)>,
}

impl XmlRpcClient {
    /// A client of the server at `url` (`http://HOST[:PORT]/PATH`).
    pub fn new(url: &str) -> Result<XmlRpcClient, ClientError> {
        Ok(XmlRpcClient {
            endpoint: Endpoint::parse(url)?,
            tls: None,
            timeout: DEFAULT_TIMEOUT,
            max_response_len: DEFAULT_MAX_RESPONSE_LEN,
            metadata: Vec::new(),
        })
    }

    /// Speaks TLS to an `https://` URL with `config` (built with
    /// [`ferry::tls::ClientTls`], offering ALPN `http/1.1`).
    #[must_use]
    pub fn with_tls(mut self, config: Arc<rustls::ClientConfig>) -> XmlRpcClient {
        self.tls = Some(config);
        self
    }

    /// Bounds each call, connecting included (30 seconds unless set).
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> XmlRpcClient {
        self.timeout = timeout;
        self
    }

    /// Sends this metadata pair with every call: as the header `x-ferry-KEY`, or as
    /// `authorization`, `traceparent` or `tracestate` for those keys.
    #[must_use]
    pub fn with_metadata(mut self, key: &str, value: &str) -> XmlRpcClient {
        self.metadata.push((key.to_owned(), value.to_owned()));
        self
    }

    /// The largest answer read (64 MiB unless set).
    pub fn with_max_response_len(mut self, max: usize) -> XmlRpcClient {
        self.max_response_len = max;
        self
    }

    /// Calls `method` with positional `args`; a fault is a [`ClientError::Remote`].
    pub async fn call(&self, method: &str, args: Vec<Json>) -> Result<Json, ClientError> {
        let params: Vec<Value> = args.into_iter().map(Value::from).collect();
        let post = Post {
            endpoint: &self.endpoint,
            tls: self.tls.as_ref(),
            content_type: "text/xml",
            timeout: self.timeout,
            max_response_len: self.max_response_len,
            metadata: &self.metadata,
        };
        let (status, body) = post.send(write::call(method, &params)).await?;
        self.answer(status, &body)
    }

    fn answer(&self, status: StatusCode, body: &[u8]) -> Result<Json, ClientError> {
        match parse::method_response(body) {
            Ok(Ok(result)) => serde_json::to_value(result).map_err(|err| self.protocol(err)),
            Ok(Err(fault)) => Err(ClientError::Remote(RemoteError {
                code: fault.code,
                message: fault.message,
                data: None,
            })),
            Err(_) if !status.is_success() => Err(ClientError::Status {
                url: self.endpoint.url.clone(),
                status,
                body: excerpt(body),
            }),
            Err(err) => Err(self.protocol(err)),
        }
    }

    fn protocol(&self, reason: impl ToString) -> ClientError {
        let url = self.endpoint.url.clone();
        let reason = reason.to_string();
        ClientError::Protocol {
            url,
            dialect: DIALECT,
            reason,
        }
    }
}
