//! Middleware: layers that wrap every call on every dialect of a server.
//!
//! A layer sees each call's [`Context`] before its handler runs and may refuse it with a
//! status (the handler then never runs); after the call it sees the outcome's status and how
//! long the call took. Layers run in the order they were added to the router: the first
//! added is the outermost, so it sees the calls every later layer refuses.
//!
//! ```
//! use ferry::{layer::{Layer, Outcome}, CallError, Context, Router, Status};
//!
//! /// Refuses every call that does not carry `authorization: Bearer s3cret`.
//! #[derive(Debug)]
//! struct BearerToken;
//!
//! impl Layer for BearerToken {
//!     fn before(&self, ctx: &mut Context) -> Result<(), CallError> {
//!         match ctx.metadata("authorization") {
//!             Some("Bearer s3cret") => Ok(()),
//!             Some(_) => Err(CallError::new(Status::PermissionDenied, "that token is not valid here")),
//!             None => Err(CallError::new(Status::Unauthenticated, "send authorization: Bearer TOKEN")),
//!         }
//!     }
//! }
//!
//! let router = Router::new()
//!     .function("util.ping", ["text"], |text: String| async move { text })
//!     .layer(BearerToken);
//! ```
//!
//! Calls the server refuses before dispatch (it is shutting down, the connection is at its
//! limit of calls in flight, the call arrived with no time left, its metadata is over the
//! bounds) never reach a layer. Everything else does, including calls of unknown methods
//! ([`Context::descriptor`] is `None`) and calls whose arguments do not decode (the outcome
//! is `invalid_args`).
//!
//! Why a trait of ferry's own rather than tower's `Layer`/`Service`: see docs/MIDDLEWARE.md.

mod client;
mod outcome;
mod stack;
pub mod tower;
mod watch;

use std::sync::Arc;

use crate::{CallError, Context};

pub use client::ClientLayer;
pub use outcome::Outcome;
pub(crate) use outcome::Subject;
pub(crate) use stack::Layers;
pub(crate) use watch::{Guard, Watch};

/// Wraps every call of a server. Both hooks have do-nothing defaults: implement the ones you
/// need.
pub trait Layer: Send + Sync + 'static {
    /// Runs before the handler, in the order layers were added. `Err` refuses the call: the
    /// caller gets that status and message, and no later layer or handler runs. A layer may
    /// edit the metadata or attach values in [`Context::extensions_mut`] for the handler.
    fn before(&self, ctx: &mut Context) -> Result<(), CallError> {
        let _ = ctx;
        Ok(())
    }

    /// Runs once the call is answered (or cancelled, or cut off by its deadline), in reverse
    /// order, for every layer whose `before` let the call through.
    fn after(&self, outcome: &Outcome<'_>) {
        let _ = outcome;
    }
}

/// A shared layer: install an `Arc` and keep a clone to read what the layer gathered.
impl<L: Layer + ?Sized> Layer for Arc<L> {
    fn before(&self, ctx: &mut Context) -> Result<(), CallError> {
        (**self).before(ctx)
    }

    fn after(&self, outcome: &Outcome<'_>) {
        (**self).after(outcome);
    }
}
