//! Client-side layers: add metadata to every call a client makes, and see how each ended.

use std::{sync::Arc, time::Duration};

use ferry_wire::{Metadata, Status};

/// Wraps every call of a [`Client`](crate::Client); install with
/// [`ClientConfig::layer`](crate::ClientConfig::layer). Both hooks have do-nothing defaults.
///
/// ```
/// use ferry::{layer::ClientLayer, ByteStr, ClientConfig, Metadata};
///
/// /// Sends a bearer token with every call.
/// #[derive(Debug)]
/// struct Token(&'static str);
///
/// impl ClientLayer for Token {
///     fn before(&self, _method: &str, metadata: &mut Metadata) {
///         let value = format!("Bearer {}", self.0);
///         metadata.push((ByteStr::from_static("authorization"), ByteStr::from(value)));
///     }
/// }
///
/// let config = ClientConfig::default().layer(Token("s3cret"));
/// # let _ = config;
/// ```
pub trait ClientLayer: Send + Sync + 'static {
    /// Runs before the call is sent, in the order layers were added; may add or edit the
    /// metadata the call carries.
    fn before(&self, method: &str, metadata: &mut Metadata) {
        let _ = (method, metadata);
    }

    /// Runs once the call ended, in reverse order: its status (`ok`, the server's, or the
    /// client's own such as `unavailable` or `deadline_exceeded`) and how long it took.
    fn after(&self, method: &str, status: Status, elapsed: Duration) {
        let _ = (method, status, elapsed);
    }
}

/// A shared client layer: install an `Arc` and keep a clone to read what the layer gathered.
impl<L: ClientLayer + ?Sized> ClientLayer for Arc<L> {
    fn before(&self, method: &str, metadata: &mut Metadata) {
        (**self).before(method, metadata);
    }

    fn after(&self, method: &str, status: Status, elapsed: Duration) {
        (**self).after(method, status, elapsed);
    }
}
