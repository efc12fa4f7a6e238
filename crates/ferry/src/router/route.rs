//! One registered method: its handler, its descriptor and its figures, found together by one
//! lookup.

use std::sync::Arc;

use super::Handler;
use crate::{layer::tower::Wrapper, metrics::MethodMetrics, MethodDescriptor};

/// A method's handler, descriptor and figures. Cloning is cheap.
#[derive(Clone)]
pub(crate) struct Route {
    handler: Handler,
    descriptor: Option<&'static MethodDescriptor>,
    metrics: Arc<MethodMetrics>,
}

impl Route {
    pub(crate) fn new(
        handler: Handler,
        descriptor: Option<&'static MethodDescriptor>,
        metrics: Arc<MethodMetrics>,
    ) -> Route {
        Route {
            handler,
            descriptor,
            metrics,
        }
    }

    /// The method's figures, made when it was registered.
    #[inline]
    pub(crate) fn metrics(&self) -> &Arc<MethodMetrics> {
        &self.metrics
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
