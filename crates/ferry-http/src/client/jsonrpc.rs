//! [`JsonRpcClient`]: JSON-RPC 2.0 calls over HTTP.

use std::{
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::Duration,
};

use bytes::Bytes;
use http::StatusCode;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::{
    post::{excerpt, Post},
    url::Endpoint,
    ClientError, RemoteError, DEFAULT_MAX_RESPONSE_LEN, DEFAULT_TIMEOUT,
};

const DIALECT: &str = "a JSON-RPC 2.0 response";

/// Calls methods of a JSON-RPC 2.0 server over HTTP (a ferry server's `/jsonrpc`, or any
/// other), one HTTP/1.1 connection per call.
///
/// ```no_run
/// # async fn run() -> Result<(), ferry_http::client::ClientError> {
/// use ferry_http::client::JsonRpcClient;
/// use serde_json::json;
///
/// let client = JsonRpcClient::new("http://127.0.0.1:7070/jsonrpc")?;
/// assert_eq!(client.call("calc.add", vec![json!(2), json!(3)]).await?, json!(5));
/// let named = json!({"num1": 9}).as_object().cloned().unwrap_or_default();
/// assert_eq!(client.call_named("calc.divide", named).await?, json!(9.0));
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct JsonRpcClient {
    endpoint: Endpoint,
    tls: Option<Arc<rustls::ClientConfig>>,
    timeout: Duration,
    max_response_len: usize,
    metadata: Vec<(String, String)>,
    next_id: AtomicU64,
}

/// The members of a response this client reads.
#[derive(Deserialize)]
struct Response {
    #[serde(default)]
    id: Value,
    #[serde(default, deserialize_with = "present")]
    result: Option<Value>,
    #[serde(default)]
    error: Option<ErrorObject>,
}

#[derive(Deserialize)]
struct ErrorObject {
    code: i64,
    message: String,
    #[serde(default)]
    data: Option<Value>,
}

/// `Some` for any value that is there, `null` included; absence is left to `default`.
fn present<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(deserializer).map(Some)
}

impl JsonRpcClient {
    /// A client of the server at `url` (`http://HOST[:PORT]/PATH`).
    pub fn new(url: &str) -> Result<JsonRpcClient, ClientError> {
        Ok(JsonRpcClient {
            endpoint: Endpoint::parse(url)?,
            tls: None,
            timeout: DEFAULT_TIMEOUT,
            max_response_len: DEFAULT_MAX_RESPONSE_LEN,
            metadata: Vec::new(),
            next_id: AtomicU64::new(1),
        })
    }

    /// Speaks TLS to an `https://` URL with `config` (built with
    /// [`ferry::tls::ClientTls`], offering ALPN `http/1.1`).
    #[must_use]
    pub fn with_tls(mut self, config: Arc<rustls::ClientConfig>) -> JsonRpcClient {
        self.tls = Some(config);
        self
    }

    /// Bounds each call, connecting included (30 seconds unless set).
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> JsonRpcClient {
        self.timeout = timeout;
        self
    }

    /// Sends this metadata pair with every call: as the header `x-ferry-KEY`, or as
    /// `authorization`, `traceparent` or `tracestate` for those keys.
    #[must_use]
    pub fn with_metadata(mut self, key: &str, value: &str) -> JsonRpcClient {
        self.metadata.push((key.to_owned(), value.to_owned()));
        self
    }

    /// The largest answer read (64 MiB unless set).
    pub fn with_max_response_len(mut self, max: usize) -> JsonRpcClient {
        self.max_response_len = max;
        self
    }

    /// Calls `method` with positional `args`; an error response is a [`ClientError::Remote`].
    pub async fn call(&self, method: &str, args: Vec<Value>) -> Result<Value, ClientError> {
        self.request(method, Value::Array(args)).await
    }

    /// Calls `method` with arguments by parameter name.
    pub async fn call_named(
        &self,
        method: &str,
        args: Map<String, Value>,
    ) -> Result<Value, ClientError> {
        self.request(method, Value::Object(args)).await
    }

    async fn request(&self, method: &str, params: Value) -> Result<Value, ClientError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let request = json!({"jsonrpc": "2.0", "method": method, "params": params, "id": id});
        let post = Post {
            endpoint: &self.endpoint,
            tls: self.tls.as_ref(),
            content_type: "application/json",
            timeout: self.timeout,
            max_response_len: self.max_response_len,
            metadata: &self.metadata,
        };
        let (status, body) = post.send(Bytes::from(request.to_string())).await?;
        self.answer(id, status, &body)
    }

    fn answer(&self, id: u64, status: StatusCode, body: &[u8]) -> Result<Value, ClientError> {
        let response = match serde_json::from_slice::<Response>(body) {
            Ok(response) => response,
            Err(_) if !status.is_success() => return Err(self.status_error(status, body)),
            Err(err) => return Err(self.protocol_error(err.to_string())),
        };
        match response {
            Response {
                error: Some(error), ..
            } => Err(ClientError::Remote(RemoteError {
                code: error.code,
                message: error.message,
                data: error.data,
            })),
            Response { id: answered, .. } if answered != json!(id) => {
                Err(self.protocol_error(format!("it answers id {answered}, not {id}")))
            }
            Response {
                result: Some(result),
                ..
            } => Ok(result),
            Response { result: None, .. } => {
                Err(self.protocol_error("it has neither result nor error".to_owned()))
            }
        }
    }

    fn status_error(&self, status: StatusCode, body: &[u8]) -> ClientError {
        let url = self.endpoint.url.clone();
        ClientError::Status {
            url,
            status,
            body: excerpt(body),
        }
    }

    fn protocol_error(&self, reason: String) -> ClientError {
        let url = self.endpoint.url.clone();
        ClientError::Protocol {
            url,
            dialect: DIALECT,
            reason,
        }
    }
}
