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

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Runs every `before` on `ctx`; the watch that reports the outcome to the layers that let
    /// the call through, and the refusal, if one refused it.
    pub(crate) fn before(&self, ctx: &mut Context) -> (Watch, Result<(), CallError>) {
        let started = Instant::now();
        let mut passed = 0;
        let mut verdict = Ok(());
        for layer in self.0.iter() {
            verdict = layer.before(ctx);
            if verdict.is_err() {
                break;
            }
            passed += 1;
        }
        let watch = Watch::new(self.clone(), passed, started, ctx);
        (watch, verdict)
    }

    /// Runs `after` of the first `passed` layers, innermost first.
    pub(crate) fn after(&self, passed: usize, outcome: &Outcome) {
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
