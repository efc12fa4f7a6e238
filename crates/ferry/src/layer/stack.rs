//! A router's layers, in the order they run.

use std::{fmt, sync::Arc};

use tokio::time::Instant;

use super::{Layer, Outcome, Watch};
use crate::{CallError, Context};

/// The layers of one router. Cloning is cheap; empty costs a length check per call.
#[derive(Clone, Default)]
pub(crate) struct Layers(Arc<[Arc<dyn Layer>]>);

impl Layers {
    /// These layers and `layer` after them.
    pub(crate) fn push(&self, layer: Arc<dyn Layer>) -> Layers {
        Layers(self.0.iter().cloned().chain([layer]).collect())
    }

    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Runs every `before` on `ctx`, a call that arrived at `arrived`: the watch that reports
    /// its outcome to the layers that let it through, and the refusal of the layer that did
    /// not, if one did (its watch then reports to the layers before that one).
    pub(crate) fn before(
        &self,
        ctx: &mut Context,
        arrived: Instant,
    ) -> (Watch, Result<(), CallError>) {
        for (passed, layer) in self.0.iter().enumerate() {
            if let Err(refusal) = layer.before(ctx) {
                return (Watch::new(passed, arrived, ctx), Err(refusal));
            }
        }
        (Watch::new(self.0.len(), arrived, ctx), Ok(()))
    }

    /// Runs `after` of the first `passed` layers, innermost first.
    pub(crate) fn after(&self, passed: usize, outcome: &Outcome<'_>) {
        for layer in self.0[..passed].iter().rev() {
            layer.after(outcome);
        }
    }
}

impl fmt::Debug for Layers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Layers")
            .field("count", &self.0.len())
            .finish()
    }
}
