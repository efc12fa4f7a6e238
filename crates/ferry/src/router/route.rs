//! One registered method: its handler and its descriptor, found together by one lookup.

use super::Handler;
use crate::{layer::tower::Wrapper, MethodDescriptor};

/// A method's handler and descriptor. Cloning is cheap.
#[derive(Clone)]
pub(crate) struct Route {
    handler: Handler,
    descriptor: Option<&'static MethodDescriptor>,
}

impl Route {
    pub(crate) fn new(handler: Handler, descriptor: Option<&'static MethodDescriptor>) -> Route {
        Route {
            handler,
            descriptor,
        }
    }

    /// Puts the handler inside a tower layer.
    pub(crate) fn wrap(&mut self, wrap: &Wrapper) {
        self.handler = wrap(self.handler.clone());
    }

    #[inline]
    pub(crate) fn handler(&self) -> &Handler {
        &self.handler
    }

    #[inline]
    pub(crate) fn descriptor(&self) -> Option<&'static MethodDescriptor> {
        self.descriptor
    }
}
