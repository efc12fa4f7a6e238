//! A tonic gRPC unary echo of bytes: HTTP/2, one channel (connection) per client.

pub mod client;
pub mod server;

/// The code generated from `proto/echo.proto`.
#[allow(missing_docs, unreachable_pub)] // generated: documented by the .proto, not here
pub mod proto {
    tonic::include_proto!("echo");
}

pub use client::TonicTarget;
