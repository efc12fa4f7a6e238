//! The HTTP side of a ferry server's one port: JSON-RPC 2.0, XML-RPC, REST/JSON, health and
//! static files, all dispatching into the same router as the native protocol.
//!
//! Install [`Http`] on a [`ferry::Server`]; connections whose first bytes are an HTTP request
//! line are then served HTTP/1.1 (keep-alive) on the server's one port:
//!
//! | route | what |
//! |---|---|
//! | `POST /jsonrpc` | JSON-RPC 2.0: single calls, notifications, batches, `rpc.discover` (OpenRPC) |
//! | `POST /RPC2` | XML-RPC |
//! | `POST /api/{service}/{method}` | REST: a JSON object of named arguments or an array of positional ones |
//! | `GET /api/{service}/{method}?name=value` | REST: query parameters as named arguments |
//! | `GET /api/openapi.json` | the OpenAPI 3.1 document of every REST route |
//! | `GET /healthz` | `{"status":"ok"}`, 503 while the server shuts down |
//! | `GET /metrics` | every figure in the Prometheus text format (see `ferry::metrics`) |
//! | `GET /status`, `/status.json` | the live dashboard, and the figures it draws |
//! | `GET /rpcz`, `/rpcz.json` | the most recent and the slowest calls |
//! | `GET`/`HEAD /files/PATH` | a file of [`HttpConfig::files`] (with `Range`, `ETag` = BLAKE3), or a directory's JSON listing |
//! | `PUT /files/PATH` | the body stored at PATH, landing whole once it has all arrived |
//! | any other `GET`/`HEAD` | a file under [`HttpConfig::www`], when set |
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! use ferry_http::{Http, HttpConfig};
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//!
//! let router = ferry::Router::new()
//!     .function("calc.add", ["a", "b"], |a: i64, b: i64| async move { a + b });
//! let http = Http::new(HttpConfig::default().max_body_len(64 * 1024));
//! let server = ferry::Server::bind("127.0.0.1:0", router).await?.with_http(http);
//! let address = server.local_address().to_string();
//! let shutdown = server.shutdown_handle();
//! let serving = tokio::spawn(server.run());
//!
//! // What `curl -s ADDRESS/api/calc/add -d '{"a": 2, "b": 3}'` sends:
//! let mut socket = tokio::net::TcpStream::connect(&address).await?;
//! let body = r#"{"a": 2, "b": 3}"#;
//! let head = format!("POST /api/calc/add HTTP/1.1\r\nhost: ferry\r\nconnection: close\r\ncontent-length: {}\r\n\r\n", body.len());
//! socket.write_all(format!("{head}{body}").as_bytes()).await?;
//! let mut response = String::new();
//! socket.read_to_string(&mut response).await?;
//! assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
//! assert!(response.ends_with("\r\n\r\n5"), "{response}");
//!
//! shutdown.shutdown();
//! serving.await??;
//! # Ok(())
//! # }
//! ```
//!
//! A request may carry `x-ferry-timeout: SECONDS` (a positive decimal number): the calls it
//! starts are then cut off with `deadline_exceeded` when the time runs out. Its headers become
//! the calls' metadata by one rule: `x-ferry-NAME: VALUE` is `NAME = VALUE`, and
//! `authorization`, `traceparent` and `tracestate` pass under their own names.

mod args;
mod auth;
mod batch;
mod body;
mod caller;
pub mod client;
pub mod codes;
mod config;
mod deadline;
mod encoding;
mod files;
#[doc(hidden)]
pub mod fuzzing;
mod health;
mod jsonrpc;
mod pages;
mod refusal;
mod respond;
mod rest;
mod rest_stream;
mod schema;
mod service;
mod static_files;
mod xmlrpc;

use std::sync::Arc;

use ferry::server::{DialectDriver, Dispatcher, Serving, Socket};

pub use config::HttpConfig;
pub use pages::serve_pages;

/// The HTTP/1.1 dialect of a ferry server; install it with [`ferry::Server::with_http`].
#[derive(Debug, Clone, Default)]
pub struct Http {
    config: Arc<HttpConfig>,
}

impl Http {
    /// The dialect with `config`'s limits and static root.
    pub fn new(config: HttpConfig) -> Http {
        Http {
            config: Arc::new(config),
        }
    }

    /// The limits and options in force.
    pub fn config(&self) -> &HttpConfig {
        &self.config
    }
}

impl DialectDriver for Http {
    fn serve(&self, socket: Socket, dispatcher: Dispatcher) -> Serving {
        Box::pin(service::serve(socket, dispatcher, self.config.clone()))
    }
}
