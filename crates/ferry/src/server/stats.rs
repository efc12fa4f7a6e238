//! Counters a server keeps while it runs, beside the per-method figures of its router.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

/// The kinds of connection the port tells apart when it sniffs their first bytes. HTTP is one
/// kind: a connection may carry JSON-RPC, XML-RPC and REST calls alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConnectionKind {
    /// The native binary protocol.
    Native,
    /// HTTP (JSON-RPC, XML-RPC, REST, files, the pages).
    Http,
    /// The length-prefixed JSON dialect.
    LpJson,
}

impl ConnectionKind {
    /// Every kind, in the order metrics list them.
    pub const ALL: [ConnectionKind; 3] = [
        ConnectionKind::Native,
        ConnectionKind::Http,
        ConnectionKind::LpJson,
    ];

    /// The kind's name, as the `dialect` label writes it.
    pub fn name(self) -> &'static str {
        match self {
            ConnectionKind::Native => "native",
            ConnectionKind::Http => "http",
            ConnectionKind::LpJson => "lpjson",
        }
    }
}

/// The limits whose refusals are counted apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Limit {
    /// Calls running at once on one connection (`overloaded`).
    MaxInFlight,
    /// The size of a frame (`too_large`).
    MaxFrameLen,
    /// The pairs or bytes of a call's metadata (`too_large`).
    MaxMetadata,
    /// The size of an HTTP body (`413`).
    MaxBodyLen,
}

impl Limit {
    /// Every limit, in the order metrics list them.
    pub const ALL: [Limit; 4] = [
        Limit::MaxInFlight,
        Limit::MaxFrameLen,
        Limit::MaxMetadata,
        Limit::MaxBodyLen,
    ];

    /// The limit's name, as the `limit` label writes it.
    pub fn name(self) -> &'static str {
        match self {
            Limit::MaxInFlight => "max_in_flight",
            Limit::MaxFrameLen => "max_frame_len",
            Limit::MaxMetadata => "max_metadata",
            Limit::MaxBodyLen => "max_body_len",
        }
    }
}

/// Running totals, readable at any time through [`Server::stats`](crate::Server::stats).
#[derive(Debug, Default)]
pub struct ServerStats {
    pub(crate) connections: AtomicU64,
    pub(crate) protocol_errors: AtomicU64,
    pub(crate) calls: AtomicU64,
    open: [AtomicI64; ConnectionKind::ALL.len()],
    received: AtomicU64,
    sent: AtomicU64,
    refusals: [AtomicU64; Limit::ALL.len()],
}

impl ServerStats {
    /// Connections accepted.
    pub fn connections(&self) -> u64 {
        self.connections.load(Ordering::Relaxed)
    }

    /// Connections of `kind` open now.
    pub fn open(&self, kind: ConnectionKind) -> i64 {
        self.open[kind as usize].load(Ordering::Relaxed)
    }

    /// Connections closed because the peer broke the protocol.
    pub fn protocol_errors(&self) -> u64 {
        self.protocol_errors.load(Ordering::Relaxed)
    }

    /// Calls dispatched to a handler.
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    /// Bytes read from every connection.
    pub fn received_bytes(&self) -> u64 {
        self.received.load(Ordering::Relaxed)
    }

    /// Bytes written to every connection.
    pub fn sent_bytes(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }

    /// Calls or requests refused because they went over `limit`.
    pub fn refusals(&self, limit: Limit) -> u64 {
        self.refusals[limit as usize].load(Ordering::Relaxed)
    }

    pub(crate) fn count(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a refusal for going over `limit`.
    pub(crate) fn refused(&self, limit: Limit) {
        ServerStats::count(&self.refusals[limit as usize]);
    }

    /// Counts a connection of `kind` open.
    pub(crate) fn opened(&self, kind: ConnectionKind) {
        self.open[kind as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a connection of `kind` closed.
    pub(crate) fn closed(&self, kind: ConnectionKind) {
        self.open[kind as usize].fetch_sub(1, Ordering::Relaxed);
    }

    /// Adds bytes read.
    #[inline]
    pub(crate) fn add_received(&self, bytes: usize) {
        self.received.fetch_add(bytes as u64, Ordering::Relaxed);
    }

    /// Adds bytes written.
    #[inline]
    pub(crate) fn add_sent(&self, bytes: usize) {
        self.sent.fetch_add(bytes as u64, Ordering::Relaxed);
    }
}
