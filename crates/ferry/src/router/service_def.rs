//! A service ready to be added to a router: its descriptor and one handler per method.

use std::{future::Future, pin::Pin, sync::Arc};

use crate::{Call, Reply, ServiceDescriptor};

/// A boxed, sendable future.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// A method's handler: a call in, a reply out. Cloning is cheap.
pub type Handler = Arc<dyn Fn(Call) -> BoxFuture<Reply> + Send + Sync>;

/// A service's descriptor and handlers, as `#[ferry::service]` generates them.
pub struct ServiceDef {
    pub(crate) descriptor: ServiceDescriptor,
    pub(crate) handlers: Vec<(String, Handler)>,
}

impl ServiceDef {
    /// A service with no handlers yet.
    pub fn new(descriptor: ServiceDescriptor) -> ServiceDef {
        ServiceDef {
            descriptor,
            handlers: Vec::new(),
        }
    }

    /// Adds the handler of method `name` (without the service prefix).
    pub fn method<F>(mut self, name: &str, handler: F) -> ServiceDef
    where
        F: Fn(Call) -> BoxFuture<Reply> + Send + Sync + 'static,
    {
        self.handlers.push((name.to_owned(), Arc::new(handler)));
        self
    }

    /// The service's descriptor.
    pub fn descriptor(&self) -> &ServiceDescriptor {
        &self.descriptor
    }
}

/// Anything a [`Router`](crate::Router) can serve: generated `XxxServer` wrappers and
/// [`ServiceDef`] itself.
pub trait IntoService {
    /// The descriptor and handlers.
    fn into_service(self) -> ServiceDef;
}

impl IntoService for ServiceDef {
    fn into_service(self) -> ServiceDef {
        self
    }
}
