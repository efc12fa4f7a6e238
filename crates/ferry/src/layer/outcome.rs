//! What a layer sees of a call once it is over.

use std::{sync::Arc, time::Duration};

use ferry_wire::{ByteStr, Status};

use crate::{
    context::{Extensions, Peer},
    Dialect, MethodDescriptor,
};

/// A finished call: which method, from whom, on which dialect, its status and how long it took
/// from the first layer's `before`.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub(crate) method: ByteStr,
    pub(crate) descriptor: Option<Arc<MethodDescriptor>>,
    pub(crate) dialect: Dialect,
    pub(crate) peer: Peer,
    pub(crate) extensions: Extensions,
    pub(crate) status: Status,
    pub(crate) elapsed: Duration,
}

impl Outcome {
    /// The full method name, as the caller wrote it.
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The method's descriptor, `None` for a method no handler serves.
    pub fn descriptor(&self) -> Option<&MethodDescriptor> {
        self.descriptor.as_deref()
    }

    /// The dialect the call came in on.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// Who called.
    pub fn peer(&self) -> &Peer {
        &self.peer
    }

    /// What the layers attached to the context before the handler ran (a span a tracing
    /// layer opened, an identity): the same values `after` needs to close or report them.
    pub fn extensions(&self) -> &Extensions {
        &self.extensions
    }

    /// How the call ended: `cancelled` when the caller gave up or the connection went away
    /// before the answer.
    pub fn status(&self) -> Status {
        self.status
    }

    /// From the first layer's `before` to the answer.
    pub fn elapsed(&self) -> Duration {
        self.elapsed
    }
}
