//! Counters a server keeps while it runs, beside the per-method figures of its router.

use std::sync::{
    atomic::{AtomicI64, AtomicU64, AtomicUsize, Ordering},
    Arc,
};

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
    /// Connections open at once, on every dialect, counted from their accept (a connection
    /// refused for it gets `overloaded` or a 503).
    MaxConnections,
    /// Pings a peer may send per keepalive interval (a goaway `overloaded`).
    PingFlood,
}

impl Limit {
    /// Every limit, in the order metrics list them.
    pub const ALL: [Limit; 6] = [
        Limit::MaxInFlight,
        Limit::MaxFrameLen,
        Limit::MaxMetadata,
        Limit::MaxBodyLen,
        Limit::MaxConnections,
        Limit::PingFlood,
    ];

    /// The limit's name, as the `limit` label writes it.
    pub fn name(self) -> &'static str {
        match self {
            Limit::MaxInFlight => "max_in_flight",
            Limit::MaxFrameLen => "max_frame_len",
            Limit::MaxMetadata => "max_metadata",
            Limit::MaxBodyLen => "max_body_len",
            Limit::MaxConnections => "max_connections",
            Limit::PingFlood => "ping_flood",
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
    /// Connections holding a place under the connection cap: from their accept, while their
    /// dialect is still being sniffed too, until they close.
    admitted: AtomicUsize,
    /// Connections over the cap being answered so.
    refusing: AtomicUsize,
    keepalive_timeouts: AtomicU64,
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

    /// Calls, requests or connections refused because they went over `limit`.
    pub fn refusals(&self, limit: Limit) -> u64 {
        self.refusals[limit as usize].load(Ordering::Relaxed)
    }

    /// Connections closed because the peer sent nothing for a keepalive interval and then
    /// did not answer a ping in time.
    pub fn keepalive_timeouts(&self) -> u64 {
        self.keepalive_timeouts.load(Ordering::Relaxed)
    }

    /// Counts a connection closed for a peer that answered no ping.
    pub(crate) fn timed_out(&self) {
        ServerStats::count(&self.keepalive_timeouts);
    }

    /// A place under the cap of `max` connections, held until the [`Place`] is dropped;
    /// `None` when all are taken.
    pub(crate) fn admit(self: &Arc<Self>, max: usize) -> Option<Place> {
        self.take_place(|stats| &stats.admitted, max)
    }

    /// One of `max` places for answering a connection over the cap; `None` when all are
    /// taken (the connection is then closed unanswered).
    pub(crate) fn start_refusing(self: &Arc<Self>, max: usize) -> Option<Place> {
        self.take_place(|stats| &stats.refusing, max)
    }

    fn take_place(
        self: &Arc<Self>,
        counter: fn(&ServerStats) -> &AtomicUsize,
        max: usize,
    ) -> Option<Place> {
        if counter(self).fetch_add(1, Ordering::Relaxed) >= max {
            counter(self).fetch_sub(1, Ordering::Relaxed);
            return None;
        }
        Some(Place {
            stats: self.clone(),
            counter,
        })
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

    /// Connections holding a place under the connection cap now: those open, and those
    /// whose first bytes are still awaited.
    pub fn admitted(&self) -> usize {
        self.admitted.load(Ordering::Relaxed)
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

/// A connection's place under a cap, given back when it is dropped (however the connection's
/// task ends).
#[must_use]
pub(crate) struct Place {
    stats: Arc<ServerStats>,
    counter: fn(&ServerStats) -> &AtomicUsize,
}

impl Drop for Place {
    fn drop(&mut self) {
        (self.counter)(&self.stats).fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_under_the_cap_are_given_back_when_dropped() {
        let stats = Arc::new(ServerStats::default());
        let first = stats.admit(2).expect("a place");
        let second = stats.admit(2).expect("a place");
        assert!(stats.admit(2).is_none(), "the cap holds");
        assert_eq!(stats.admitted(), 2, "a refusal takes no place");
        drop(first);
        let third = stats.admit(2).expect("the place given back");
        let refusing = stats.start_refusing(1).expect("a refusal's place is apart");
        assert!(stats.start_refusing(1).is_none());
        drop((second, third, refusing));
        assert_eq!(stats.admitted(), 0);
        assert!(stats.start_refusing(1).is_some());
    }
}
