//! The hook through which a dialect serves connections on the server's port.

use std::{future::Future, pin::Pin};

use super::{Dispatcher, Socket};

/// The future of one connection served by a dialect.
pub type Serving = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// Serves connections of one dialect: the length-prefixed JSON dialect is one, installed by
/// default; `ferry-http` implements it for HTTP/1.1, installed with
/// [`Server::with_http`](crate::Server::with_http).
pub trait DialectDriver: Send + Sync + 'static {
    /// Serves `socket` until it ends, dispatching calls through `dispatcher`. The future should
    /// finish its current exchange and return once [`Dispatcher::closing`] resolves.
    fn serve(&self, socket: Socket, dispatcher: Dispatcher) -> Serving;
}
