//! Reports a call's outcome to its layers exactly once: when it is answered, or, if its
//! handler future is dropped first (a cancel, a lost connection, a drain cut short), as
//! `cancelled`.

use tokio::time::Instant;

use ferry_wire::Status;

use super::{Layers, Outcome};
use crate::Context;

/// A call the layers let through (or refused), waiting for its outcome.
#[derive(Debug)]
#[must_use = "a watch reports the outcome when finished; dropped, it reports `cancelled`"]
pub(crate) struct Watch {
    layers: Layers,
    passed: usize,
    started: Instant,
    outcome: Option<Outcome>,
}

impl Watch {
    pub(super) fn new(layers: Layers, passed: usize, started: Instant, ctx: &Context) -> Watch {
        let outcome = Outcome {
            method: ctx.method_name().clone(),
            descriptor: ctx.descriptor_arc(),
            dialect: ctx.dialect(),
            peer: ctx.peer().clone(),
            extensions: ctx.extensions().clone(),
            status: Status::Cancelled,
            elapsed: Default::default(),
        };
        Watch {
            layers,
            passed,
            started,
            outcome: Some(outcome),
        }
    }

    /// Reports `status` as the call's outcome.
    pub(crate) fn finish(mut self, status: Status) {
        self.report(status);
    }

    fn report(&mut self, status: Status) {
        if let Some(mut outcome) = self.outcome.take() {
            outcome.status = status;
            outcome.elapsed = self.started.elapsed();
            self.layers.after(self.passed, &outcome);
        }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.report(Status::Cancelled);
    }
}
