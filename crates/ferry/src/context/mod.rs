//! What a handler and every layer know about the call in hand, whichever dialect it came in on.
//!
//! ```
//! use ferry::Context;
//!
//! /// Greets whoever the caller says it is.
//! #[ferry::service]
//! pub trait Greeter {
//!     /// Says hello to the caller named by the `user` metadata key.
//!     async fn hello(&self, ctx: &Context) -> String;
//! }
//!
//! struct Polite;
//!
//! impl Greeter for Polite {
//!     async fn hello(&self, ctx: &Context) -> String {
//!         let user = ctx.metadata("user").unwrap_or("stranger");
//!         format!("hello {user}, you came in on {}", ctx.dialect())
//!     }
//! }
//! ```
//!
//! The context is the trait method's first parameter after `&self`, when it takes one; the
//! client stub has no such parameter: `GreeterClient::hello(&self)`.

mod dialect;
mod extensions;
mod peer;

use std::time::Duration;

use tokio::time::Instant;

use ferry_wire::{ByteStr, Metadata};

pub use dialect::Dialect;
pub use extensions::Extensions;
pub use peer::{Peer, TlsPeer};

use crate::{auth::Identity, trace::Span, MethodDescriptor};

/// One call's context: its method, metadata, deadline, peer and dialect, the method's
/// descriptor once it is resolved, and whatever layers put in [`Context::extensions_mut`].
#[derive(Debug, Clone)]
pub struct Context {
    method: ByteStr,
    metadata: Metadata,
    deadline: Option<Instant>,
    peer: Peer,
    dialect: Dialect,
    descriptor: Option<&'static MethodDescriptor>,
    extensions: Extensions,
    /// Boxed: most calls are not traced, and a context is moved with every call.
    trace: Option<Box<Span>>,
}

impl Context {
    /// The context of a call of `method` (`service.method`) that came in on `dialect`, from
    /// `peer`, with no metadata and no deadline yet.
    pub fn new(method: ByteStr, dialect: Dialect, peer: Peer) -> Context {
        Context::arrived(method, dialect, peer, Metadata::new(), None)
    }

    /// The context of a call that arrived with `metadata` and `deadline`, built in one step.
    #[inline]
    pub(crate) fn arrived(
        method: ByteStr,
        dialect: Dialect,
        peer: Peer,
        metadata: Metadata,
        deadline: Option<Instant>,
    ) -> Context {
        Context {
            method,
            metadata,
            deadline,
            peer,
            dialect,
            descriptor: None,
            extensions: Extensions::default(),
            trace: None,
        }
    }

    /// Attaches the caller's metadata, as sent.
    #[must_use]
    pub fn with_metadata(mut self, metadata: Metadata) -> Context {
        self.metadata = metadata;
        self
    }

    /// Attaches the instant the call must finish by.
    #[must_use]
    pub fn with_deadline(mut self, deadline: Option<Instant>) -> Context {
        self.deadline = deadline;
        self
    }

    /// The full method name, `service.method`, as the caller wrote it.
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The full method name without a UTF-8 check.
    pub(crate) fn method_name(&self) -> &ByteStr {
        &self.method
    }

    /// The value of a metadata key, if the caller sent it (the first, if it sent several).
    pub fn metadata(&self, key: &str) -> Option<&str> {
        // Keys compare as bytes: turning each into `&str` would check its UTF-8 again.
        self.metadata
            .iter()
            .find(|(k, _)| k.as_bytes() == key.as_bytes())
            .map(|(_, v)| &**v)
    }

    /// How many metadata pairs, and how many bytes of keys and values in all.
    pub(crate) fn metadata_size(&self) -> (usize, usize) {
        let bytes = self
            .metadata
            .iter()
            .map(|(k, v)| k.as_bytes().len() + v.as_bytes().len());
        (self.metadata.len(), bytes.sum())
    }

    /// Every metadata pair, in the order the caller sent them.
    pub fn metadata_pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.metadata.iter().map(|(k, v)| (&**k, &**v))
    }

    /// The metadata, for a layer that edits it.
    pub fn metadata_mut(&mut self) -> &mut Metadata {
        &mut self.metadata
    }

    /// When the call must finish by, if the caller set a deadline.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// The time left before the deadline (zero once it passed), or `None` without one.
    pub fn time_left(&self) -> Option<Duration> {
        self.deadline
            .map(|deadline| deadline.saturating_duration_since(Instant::now()))
    }

    /// Who is calling.
    pub fn peer(&self) -> &Peer {
        &self.peer
    }

    /// The dialect the call came in on.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// The method being called, or `None` when no handler serves this name: a layer keeping
    /// figures per method needs no lookup by name.
    pub fn descriptor(&self) -> Option<&MethodDescriptor> {
        self.descriptor
    }

    pub(crate) fn descriptor_static(&self) -> Option<&'static MethodDescriptor> {
        self.descriptor
    }

    #[inline]
    pub(crate) fn set_descriptor(&mut self, descriptor: Option<&'static MethodDescriptor>) {
        self.descriptor = descriptor;
    }

    /// The trace the call runs under: the caller's continued (it sent a valid `traceparent`),
    /// or one the server started because a `tracing` subscriber listens for call spans.
    /// Calls the handler makes with a ferry client carry it on.
    pub fn trace(&self) -> Option<&Span> {
        self.trace.as_deref()
    }

    pub(crate) fn set_trace(&mut self, span: Span) {
        self.trace = Some(Box::new(span));
    }

    /// Who the caller is, once the [`Auth`](crate::auth::Auth) layer let the call through;
    /// `None` on a server without it.
    pub fn identity(&self) -> Option<&Identity> {
        self.extensions.get::<Identity>()
    }

    /// Values layers attach for handlers and later layers (an authenticated identity, say).
    pub fn extensions(&self) -> &Extensions {
        &self.extensions
    }

    /// The extensions, to attach a value.
    pub fn extensions_mut(&mut self) -> &mut Extensions {
        &mut self.extensions
    }
}
