//! A service ready to be added to a router: its descriptor and one handler per method.

use std::{future::Future, pin::Pin, sync::Arc};

use crate::{Call, Reply, ServiceDescriptor};

/// What a handler returns: the future of its reply, boxed and sendable.
pub type ReplyFuture = Pin<Box<dyn Future<Output = Reply> + Send + 'static>>;

/// A method's handler: a call in, a reply out. Cloning is cheap.
pub type Handler = Arc<dyn Fn(Call) -> ReplyFuture + Send + Sync>;

/// A service's descriptor and handlers, as `#[ferry::service]` generates them.
///
/// ```
/// use ferry::{Call, MethodDescriptor, ServiceDef, ServiceDescriptor, Status};
///
/// let descriptor = ServiceDescriptor { name: "admin".into(), doc: String::new(), methods: vec![] };
/// let service = ServiceDef::new(descriptor).method("whoami", |call: Call| {
///     Box::pin(async move {
///         match call.context().metadata("user") {
///             Some(user) => call.reply_ok(user),
///             None => call.reply_error(Status::Unauthenticated, "send the user metadata"),
///         }
///     })
/// });
/// # let _ = service;
/// ```
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
        F: Fn(Call) -> ReplyFuture + Send + Sync + 'static,
    {
        self.handlers.push((name.to_owned(), Arc::new(handler)));
        self
    }

    /// The service's descriptor.
    pub fn descriptor(&self) -> &ServiceDescriptor {
        &self.descriptor
    }
}

impl std::fmt::Debug for ServiceDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let methods: Vec<&str> = self
            .handlers
            .iter()
            .map(|(name, _)| name.as_str())
            .collect();
        f.debug_struct("ServiceDef")
            .field("name", &self.descriptor.name)
            .field("methods", &methods)
            .finish()
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
