//! Reports a call's outcome to its layers exactly once. A call answered in its handler's first
//! poll is reported from what the connection already holds, with nothing copied; one that runs
//! on is watched by a [`Guard`] that owns what the report needs and, if the handler's future is
//! dropped first (a cancel, a lost connection, a drain cut short), reports `cancelled`.

use std::cell::OnceCell;

use tokio::time::Instant;

use ferry_wire::{ByteStr, Status};

use super::{outcome::Subject, Layers, Outcome};
use crate::{context::Peer, Context, Dialect, MethodDescriptor};

/// A call the layers let through, waiting for its outcome.
#[derive(Debug)]
#[must_use = "a watch reports nothing unless finished"]
pub(crate) struct Watch {
    passed: usize,
    arrived: Instant,
    extensions: crate::context::Extensions,
}

impl Watch {
    pub(super) fn new(passed: usize, arrived: Instant, ctx: &Context) -> Watch {
        Watch {
            passed,
            arrived,
            extensions: ctx.extensions().clone(),
        }
    }

    /// Reports `status` as the outcome of the call `subject`.
    pub(crate) fn finish(self, layers: &Layers, subject: Subject<'_>, status: Status) {
        let outcome = Outcome {
            subject,
            extensions: &self.extensions,
            status,
            arrived: self.arrived,
            elapsed: OnceCell::new(),
        };
        layers.after(self.passed, &outcome);
    }

    /// A guard that reports the outcome once the call, now running on, ends.
    pub(crate) fn guard(self, layers: &Layers, subject: Subject<'_>) -> Guard {
        Guard {
            layers: layers.clone(),
            method: subject.method.clone(),
            descriptor: subject.descriptor,
            dialect: subject.dialect,
            peer: subject.peer.clone(),
            watch: Some(self),
        }
    }
}

/// The watch of a call running on its own, owning what its report needs.
#[derive(Debug)]
#[must_use = "a guard dropped unfinished reports `cancelled`"]
pub(crate) struct Guard {
    layers: Layers,
    method: ByteStr,
    descriptor: Option<&'static MethodDescriptor>,
    dialect: Dialect,
    peer: Peer,
    watch: Option<Watch>,
}

impl Guard {
    /// Reports `status` as the call's outcome.
    pub(crate) fn finish(mut self, status: Status) {
        self.report(status);
    }

    fn report(&mut self, status: Status) {
        if let Some(watch) = self.watch.take() {
            let subject = Subject {
                method: &self.method,
                descriptor: self.descriptor,
                dialect: self.dialect,
                peer: &self.peer,
            };
            watch.finish(&self.layers, subject, status);
        }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.report(Status::Cancelled);
    }
}
