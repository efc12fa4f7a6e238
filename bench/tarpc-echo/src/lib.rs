//! A tarpc echo service: bincode over TCP, one connection per client, calls multiplexed on it.

pub mod client;
pub mod server;

use bytes::Bytes;

/// The benchmarked service.
#[tarpc::service]
pub trait Echo {
    /// Returns `payload` unchanged.
    async fn echo(payload: Bytes) -> Bytes;
}

pub use client::TarpcTarget;
