//! Server limits and timeouts.

use std::time::Duration;

use ferry_wire::{compress::Compression, DEFAULT_MAX_FRAME_LEN};

use crate::stream::StreamLimits;

/// The limits a [`Server`](crate::Server) enforces on every connection.
#[derive(Debug, Clone)]
#[non_exhaustive]
#[must_use]
pub struct ServerConfig {
    /// The largest frame body accepted; a larger request is answered `too_large` unread.
    pub max_frame_len: u32,
    /// Calls one connection may have running at once; more are answered `overloaded`.
    pub max_in_flight: usize,
    /// A connection with no calls running and no bytes arriving for this long is closed.
    pub idle_timeout: Option<Duration>,
    /// Connections open at once, on every dialect and counting those whose first bytes are
    /// still awaited; one more is answered `overloaded` (HTTP: 503) and closed, and those
    /// open are served on. Each takes a file descriptor: `ulimit -n` must be above it for it
    /// to be the bound that holds.
    pub max_connections: usize,
    /// A connection that sent nothing for this long is pinged (`None`: never). A peer that
    /// sends more than 10 pings in one such interval (30 s when off) is sent a goaway.
    pub keepalive: Option<Duration>,
    /// How long a pinged peer has to send anything; then the connection is closed.
    pub keepalive_timeout: Duration,
    /// How long a graceful shutdown waits for running calls before it cuts them off.
    pub drain_timeout: Duration,
    /// How long a new connection may take to send its preface.
    pub handshake_timeout: Duration,
    /// Binds a TCP address with `SO_REUSEPORT`, so several servers of this process (one per
    /// thread, say) listen on one port and the kernel spreads new connections among them.
    /// Ignored for Unix sockets.
    pub reuse_port: bool,
    /// The most metadata pairs one call may carry; more are answered `too_large`.
    pub max_metadata_entries: usize,
    /// The most bytes of metadata keys and values one call may carry, all pairs together.
    pub max_metadata_len: usize,
    /// The window and largest item of the streams callers send.
    pub streams: StreamLimits,
    /// Counts and times every call, and keeps recent ones for `/rpcz` (see
    /// [`metrics`](crate::metrics)). On by default; off, calls are not counted, timed or
    /// kept and the per-method figures stay at zero, while the connection, byte and refusal
    /// counters go on.
    pub metrics: bool,
    /// How long a TLS handshake may take once its ClientHello is in (default 10 s).
    pub tls_handshake_timeout: Duration,
    /// TLS handshakes run at once (default 256); more wait for a slot, within their deadline.
    /// A handshake costs the server far more CPU than the client, so this bounds what a flood
    /// of ClientHellos can take from the calls being served.
    pub max_tls_handshakes: usize,
    /// Refuses plaintext on a server with TLS (default off): each plaintext connection is told
    /// in its own dialect to use TLS (HTTP a 400, native and length-prefixed JSON an
    /// `unavailable` error), then closed.
    pub tls_only: bool,
    /// Bodies compressed on this port (default zstd over 1 KiB). Native: the server accepts
    /// zstd bodies and compresses its answers of a client whose preface accepts them too, so
    /// nothing changes for a client that does not ask. HTTP: request bodies in gzip or zstd
    /// are decoded, and answers over the threshold are compressed for a client whose
    /// `Accept-Encoding` allows it. [`Compression::Off`] turns both off.
    pub compression: Compression,
}

impl Default for ServerConfig {
    fn default() -> ServerConfig {
        ServerConfig {
            max_frame_len: DEFAULT_MAX_FRAME_LEN,
            max_in_flight: 4096,
            idle_timeout: Some(Duration::from_secs(300)),
            max_connections: 10_000,
            keepalive: Some(Duration::from_secs(30)),
            keepalive_timeout: Duration::from_secs(20),
            drain_timeout: Duration::from_secs(10),
            handshake_timeout: Duration::from_secs(5),
            reuse_port: false,
            max_metadata_entries: 64,
            max_metadata_len: 8 * 1024,
            streams: StreamLimits::default(),
            metrics: true,
            tls_handshake_timeout: Duration::from_secs(10),
            max_tls_handshakes: 256,
            tls_only: false,
            compression: Compression::zstd(),
        }
    }
}

impl ServerConfig {
    /// Turns counting calls on or off.
    pub fn metrics(mut self, on: bool) -> ServerConfig {
        self.metrics = on;
        self
    }

    /// Sets which bodies are compressed.
    pub fn compression(mut self, compression: Compression) -> ServerConfig {
        self.compression = compression;
        self
    }

    /// Sets the largest frame body.
    pub fn max_frame_len(mut self, max: u32) -> ServerConfig {
        self.max_frame_len = max;
        self
    }

    /// Sets the per-connection in-flight limit.
    pub fn max_in_flight(mut self, max: usize) -> ServerConfig {
        self.max_in_flight = max;
        self
    }

    /// Sets the idle timeout (`None`: never).
    pub fn idle_timeout(mut self, timeout: Option<Duration>) -> ServerConfig {
        self.idle_timeout = timeout;
        self
    }

    /// Sets how many connections may be open at once.
    pub fn max_connections(mut self, max: usize) -> ServerConfig {
        self.max_connections = max;
        self
    }

    /// Sets how long a quiet connection waits before it is pinged (`None`: never).
    pub fn keepalive(mut self, interval: Option<Duration>) -> ServerConfig {
        self.keepalive = interval;
        self
    }

    /// Sets how long a pinged peer has to answer.
    pub fn keepalive_timeout(mut self, timeout: Duration) -> ServerConfig {
        self.keepalive_timeout = timeout;
        self
    }

    /// Sets the drain timeout.
    pub fn drain_timeout(mut self, timeout: Duration) -> ServerConfig {
        self.drain_timeout = timeout;
        self
    }

    /// Sets the handshake timeout.
    pub fn handshake_timeout(mut self, timeout: Duration) -> ServerConfig {
        self.handshake_timeout = timeout;
        self
    }

    /// Sets the bounds on one call's metadata: how many pairs, and how many bytes in all.
    pub fn max_metadata(mut self, entries: usize, len: usize) -> ServerConfig {
        self.max_metadata_entries = entries;
        self.max_metadata_len = len;
        self
    }

    /// Sets whether a TCP address is bound with `SO_REUSEPORT`.
    pub fn reuse_port(mut self, reuse_port: bool) -> ServerConfig {
        self.reuse_port = reuse_port;
        self
    }

    /// Sets how long a TLS handshake may take and how many run at once.
    pub fn tls_handshakes(mut self, timeout: Duration, max_at_once: usize) -> ServerConfig {
        self.tls_handshake_timeout = timeout;
        self.max_tls_handshakes = max_at_once;
        self
    }

    /// Refuses plaintext connections (when the server has TLS).
    pub fn tls_only(mut self, tls_only: bool) -> ServerConfig {
        self.tls_only = tls_only;
        self
    }

    /// Sets the window and largest item of incoming streams.
    pub fn streams(mut self, limits: StreamLimits) -> ServerConfig {
        self.streams = limits;
        self
    }
}
