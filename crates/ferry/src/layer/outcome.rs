//! What a layer sees of a call once it is over.

use std::{cell::OnceCell, time::Duration};

use tokio::time::Instant;

use ferry_wire::{ByteStr, Status};

use crate::{
    context::{Extensions, Peer},
    Context, Dialect, MethodDescriptor,
};

/// A finished call: which method, from whom, on which dialect, what the layers attached, its
/// status, and how long it took from its arrival.
#[derive(Debug)]
pub struct Outcome<'a> {
    pub(crate) subject: Subject<'a>,
    pub(crate) extensions: &'a Extensions,
    pub(crate) status: Status,
    pub(crate) arrived: Instant,
    /// Measured at the first look: a layer that never asks reads no clock.
    pub(crate) elapsed: OnceCell<Duration>,
}

/// Who and what a call was, as an outcome reports it, borrowed from where it already is.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Subject<'a> {
    pub(crate) method: &'a ByteStr,
    pub(crate) descriptor: Option<&'static MethodDescriptor>,
    pub(crate) dialect: Dialect,
    pub(crate) peer: &'a Peer,
}

impl<'a> Subject<'a> {
    pub(crate) fn of(ctx: &'a Context) -> Subject<'a> {
        Subject {
            method: ctx.method_name(),
            descriptor: ctx.descriptor_static(),
            dialect: ctx.dialect(),
            peer: ctx.peer(),
        }
    }
}

impl Outcome<'_> {
    /// The full method name, as the caller wrote it.
    pub fn method(&self) -> &str {
        self.subject.method
    }

    /// The method's descriptor, `None` for a method no handler serves.
    pub fn descriptor(&self) -> Option<&MethodDescriptor> {
        self.subject.descriptor
    }

    /// The dialect the call came in on.
    pub fn dialect(&self) -> Dialect {
        self.subject.dialect
    }

    /// Who called.
    pub fn peer(&self) -> &Peer {
        self.subject.peer
    }

    /// What the layers attached to the context before the handler ran (a span a tracing
    /// layer opened, an identity): the same values `after` needs to close or report them.
    pub fn extensions(&self) -> &Extensions {
        self.extensions
    }

    /// How the call ended: `cancelled` when the caller gave up or the connection went away
    /// before the answer.
    pub fn status(&self) -> Status {
        self.status
    }

    /// From the call's arrival (its bytes read, for the native protocol) to its answer. The
    /// clock is read when a layer first asks, so every layer sees the same figure.
    pub fn elapsed(&self) -> Duration {
        *self.elapsed.get_or_init(|| self.arrived.elapsed())
    }
}
