//! ferry: write a service once as a Rust trait; call it from Rust with typed results and typed
//! errors, and from the shell with `ferry call`.
//!
//! ```no_run
//! use ferry::{CallError, Router, Server};
//!
//! /// A calculator.
//! #[ferry::service]
//! pub trait Calc {
//!     /// Adds two numbers.
//!     async fn add(&self, a: i64, b: i64) -> i64;
//! }
//!
//! struct MyCalc;
//!
//! impl Calc for MyCalc {
//!     async fn add(&self, a: i64, b: i64) -> i64 {
//!         a + b
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
pub mod client;
mod codec;
mod descriptor;
mod error;
mod io;
mod router;
pub mod server;

pub use address::Address;
pub use bytes::Bytes;
pub use client::{Client, ClientConfig};
pub use codec::{Codec, CodecError};
pub use descriptor::{schema_of, MethodDescriptor, ParamDescriptor, Reflection, ServiceDescriptor};
pub use error::{CallError, ErrorObject, NoError};
pub use ferry_macros::service;
pub use ferry_wire::{ByteStr, Status};
pub use router::{
    BoxFuture, Call, Function, FunctionArgs, Handler, IntoService, Reply, Router, ServiceDef,
};
pub use server::{Server, ServerConfig, ShutdownHandle};

/// What `#[ferry::service]` expands to refers to these; not a stable API.
#[doc(hidden)]
pub mod __private {
    pub use schemars;
    pub use serde;
    pub use serde_json;
}
