//! `echo`: sends back what it gets; the benchmark target.

use ferry::Bytes;

/// Sends back what it gets.
#[ferry::service]
pub trait Echo {
    /// Returns `data` unchanged.
    async fn echo(&self, data: Bytes) -> Bytes;
    /// Returns `text` unchanged.
    async fn ping(&self, text: String) -> String;
}

/// The [`Echo`] service.
#[derive(Debug, Clone, Copy, Default)]
pub struct Echoer;

impl Echo for Echoer {
    async fn echo(&self, data: Bytes) -> Bytes {
        data
    }

    async fn ping(&self, text: String) -> String {
        text
    }
}
