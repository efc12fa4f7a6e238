//! The hook through which another crate serves a dialect on the server's port.

use super::{Dispatcher, Stream};
use crate::BoxFuture;

/// Serves connections of one dialect. `ferry-http` implements it for HTTP/1.1; install it with
/// [`Server::with_http`](crate::Server::with_http).
pub trait Dialect: Send + Sync + 'static {
    /// Serves `stream` until it ends, dispatching calls through `dispatcher`. The future should
    /// finish its current exchange and return once [`Dispatcher::closing`] resolves.
    fn serve(&self, stream: Stream, dispatcher: Dispatcher) -> BoxFuture<()>;
}
