//! ferry: write a service once as a Rust trait; call it from Rust with typed results and typed
//! errors, and from the shell with `ferry call`.
//!
//! ```no_run
//! use ferry::{CallError, Context, Router, Server, Status};
//!
//! /// A calculator.
//! #[ferry::service]
//! pub trait Calc {
//!     /// Adds two numbers.
//!     async fn add(&self, a: i64, b: i64) -> i64;
//!     /// Resets the memory; only for callers whose `role` metadata is `admin`.
//!     async fn reset(&self, ctx: &Context) -> Result<(), CallError>;
//! }
//!
//! struct MyCalc;
//!
//! impl Calc for MyCalc {
//!     async fn add(&self, a: i64, b: i64) -> i64 {
//!         a + b
//!     }
//!
//!     async fn reset(&self, ctx: &Context) -> Result<(), CallError> {
//!         match ctx.metadata("role") {
//!             Some("admin") => Ok(()),
//!             _ => Err(CallError::new(Status::PermissionDenied, "only admins may reset")),
//!         }
//!     }
//! }
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let server = Server::bind("127.0.0.1:0", Router::new().service(CalcServer::new(MyCalc))).await?;
//! let address = server.local_address();
//! tokio::spawn(server.run());
//!
//! let calc = CalcClient::new(ferry::Client::connect(address).await?);
//! assert_eq!(calc.add(1, 2).await?, 3);
//! # Ok(())
//! # }
//! ```

mod address;
pub mod auth;
pub mod client;
mod codec;
pub mod context;
mod descriptor;
mod error;
mod io;
pub mod layer;
pub mod metrics;
mod router;
pub mod server;
pub mod stream;
pub mod tls;
pub mod trace;
pub mod value;

pub use address::Address;
pub use bytes::Bytes;
pub use client::{CallOptions, Client, ClientConfig};
pub use codec::{Codec, CodecError};
pub use context::{Context, Dialect, Peer, TlsPeer};
pub use descriptor::{schema_of, MethodDescriptor, ParamDescriptor, Reflection, ServiceDescriptor};
pub use error::{CallError, ErrorObject, NoError};
pub use ferry_macros::service;
pub use ferry_wire::{compress::Compression, ByteStr, Metadata, Status};
pub use router::{
    with_context, Answer, Call, Function, FunctionArgs, Handler, IntoService, Reply, ReplyFuture,
    Router, ServiceDef, TypedError, WithContext, WithStatus,
};
pub use server::{Server, ServerConfig, ShutdownHandle};
pub use stream::{ItemStream, Sink, Source, StreamError};
pub use value::{Time, Value};

/// What `#[ferry::service]` expands to refers to these; not a stable API.
#[doc(hidden)]
pub mod __private {
    pub use futures_util::Stream;
    pub use schemars;
    pub use serde;
    pub use serde_json;

    pub use crate::router::blocking::{block_on, run_blocking};
}
