//! The server: an accept loop, a task per connection, and a task per call that does not finish
//! in its first poll.
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! let router = ferry::Router::new().function("util.ping", ["text"], |text: String| async move { text });
//! let server = ferry::Server::bind("127.0.0.1:7070", router).await?;
//! server.run_until_signal().await // SIGINT/SIGTERM: goaway, drain, return
//! # }
//! ```

mod accept_failures;
mod config;
mod dialect;
mod dispatcher;
#[doc(hidden)]
pub mod fuzzing;
mod listener;
mod lpjson;
mod metered;
mod native;
mod refuse;
mod route;
mod sniff;
mod socket;
mod stats;
mod tls_accept;

use std::{io, sync::Arc};

use tokio_util::{sync::CancellationToken, task::TaskTracker};

use accept_failures::AcceptFailures;
pub use config::ServerConfig;
pub use dialect::{DialectDriver, Serving};
pub use dispatcher::Dispatcher;
use listener::{Accepted, Listener};
pub use sniff::{sniff, Sniffed};
pub use socket::Socket;
pub use stats::{ConnectionKind, Limit, ServerStats};

use crate::{context, metrics::Telemetry, Address, Router};

/// A bound server. [`Server::run`] serves until its [`ShutdownHandle`] fires.
#[derive(Debug)]
#[must_use]
pub struct Server {
    listener: Listener,
    local_address: Address,
    shared: Arc<Shared>,
}

/// What every connection of a server shares.
pub(crate) struct Shared {
    pub(crate) router: Router,
    pub(crate) config: ServerConfig,
    pub(crate) stats: Arc<ServerStats>,
    pub(crate) telemetry: Arc<Telemetry>,
    pub(crate) shutdown: CancellationToken,
    pub(crate) tracker: TaskTracker,
    /// Serves connections that open with an HTTP request line.
    pub(crate) http: Option<Arc<dyn DialectDriver>>,
    /// Serves connections that open with a length and a `{`.
    pub(crate) length_prefixed: Arc<dyn DialectDriver>,
    /// Runs the handshake of connections that open with a TLS ClientHello.
    pub(crate) tls: Option<tls_accept::TlsSetup>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("router", &self.router)
            .field("config", &self.config)
            .field("http", &self.http.is_some())
            .finish_non_exhaustive()
    }
}

/// A server's counters and telemetry, shared by the servers made [`Server::with_figures`].
#[derive(Debug, Clone)]
pub struct Figures {
    stats: Arc<ServerStats>,
    telemetry: Arc<Telemetry>,
}

/// Starts a graceful shutdown: stop accepting, send goaway, let running calls finish.
#[derive(Debug, Clone)]
pub struct ShutdownHandle(CancellationToken);

impl ShutdownHandle {
    /// Begins the shutdown; [`Server::run`] returns once connections have drained.
    pub fn shutdown(&self) {
        self.0.cancel();
    }
}

impl Server {
    /// Binds `address` (`HOST:PORT`, port 0 for any, or `unix:PATH`) with default limits.
    pub async fn bind(address: impl Into<Address>, router: Router) -> io::Result<Server> {
        Server::bind_with(address, router, ServerConfig::default()).await
    }

    /// Binds with explicit limits.
    pub async fn bind_with(
        address: impl Into<Address>,
        router: Router,
        config: ServerConfig,
    ) -> io::Result<Server> {
        let listener = Listener::bind(&address.into(), config.reuse_port).await?;
        let local_address = listener.local_address()?;
        let telemetry = Arc::new(Telemetry::new(router.method_metrics(), config.metrics));
        let shared = Shared {
            router,
            config,
            stats: Arc::default(),
            telemetry,
            shutdown: CancellationToken::new(),
            tracker: TaskTracker::new(),
            http: None,
            length_prefixed: Arc::new(lpjson::LengthPrefixedJson),
            tls: None,
        };
        Ok(Server {
            listener,
            local_address,
            shared: Arc::new(shared),
        })
    }

    /// Serves HTTP/1.1 on this server's port through `http` (`ferry_http::Http`), beside the
    /// native and length-prefixed JSON dialects.
    pub fn with_http(mut self, http: impl DialectDriver) -> Server {
        Arc::get_mut(&mut self.shared)
            .expect("a server's state is shared only once it runs")
            .http = Some(Arc::new(http));
        self
    }

    /// Speaks TLS on this server's port, beside plaintext (or instead of it, with
    /// [`ServerConfig::tls_only`]): every dialect works inside. Build `config` yourself or
    /// with [`ServerTls`](crate::tls::ServerTls); for HTTP/2 its ALPN list must offer `h2`.
    pub fn with_tls(mut self, config: rustls::ServerConfig) -> Server {
        let shared =
            Arc::get_mut(&mut self.shared).expect("a server's state is shared only once it runs");
        shared.tls = Some(tls_accept::TlsSetup::new(
            config,
            shared.config.max_tls_handshakes,
        ));
        self
    }

    /// The address clients reach, with the real port.
    pub fn local_address(&self) -> Address {
        self.local_address.clone()
    }

    /// A handle that shuts this server down.
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        ShutdownHandle(self.shared.shutdown.clone())
    }

    /// Live counters.
    pub fn stats(&self) -> Arc<ServerStats> {
        self.shared.stats.clone()
    }

    /// The per-method figures, their last minutes and the recent calls.
    pub fn telemetry(&self) -> Arc<Telemetry> {
        self.shared.telemetry.clone()
    }

    /// The dispatch of this server, for a dialect served apart from its port (such as
    /// `ferry_http::serve_pages`). Take it after the last `with_*` call.
    pub fn dispatcher(&self) -> Dispatcher {
        Dispatcher::new(self.shared.clone())
    }

    /// This server's counters and telemetry, to share with another server of the same
    /// process ([`Server::with_figures`]).
    pub fn figures(&self) -> Figures {
        Figures {
            stats: self.shared.stats.clone(),
            telemetry: self.shared.telemetry.clone(),
        }
    }

    /// Counts into `figures`, another server's, so that several servers of one process (one
    /// per thread, on one port) show one set of figures on every page. Both servers must
    /// serve clones of one [`Router`]: a router's clones share its per-method figures.
    pub fn with_figures(mut self, figures: Figures) -> Server {
        let shared =
            Arc::get_mut(&mut self.shared).expect("a server's state is shared only once it runs");
        shared.stats = figures.stats;
        shared.telemetry = figures.telemetry;
        self
    }

    /// Serves until shut down, then waits for every connection to drain.
    pub async fn run(self) -> io::Result<()> {
        let shared = self.shared.clone();
        if shared.telemetry.enabled() {
            let ticking = shared.telemetry.clone().run(shared.shutdown.clone());
            tokio::spawn(ticking);
        }
        let mut failures = AcceptFailures::default();
        loop {
            tokio::select! {
                () = shared.shutdown.cancelled() => break,
                accepted = self.listener.accept() => match accepted {
                    Ok(accepted) => {
                        failures.accepted();
                        self.spawn_connection(accepted);
                    }
                    Err(err) => self.accept_failed(&mut failures, &err).await,
                },
            }
        }
        drop(self.listener);
        shared.tracker.close();
        shared.tracker.wait().await;
        Ok(())
    }

    /// Serves until SIGINT or SIGTERM, then shuts down gracefully.
    pub async fn run_until_signal(self) -> io::Result<()> {
        use tokio::signal::unix::{signal, SignalKind};
        // Both handlers are installed before serving starts, so a signal that arrives at once
        // still drains instead of killing the process.
        let mut interrupt = signal(SignalKind::interrupt())?;
        let mut terminate = signal(SignalKind::terminate())?;
        let handle = self.shutdown_handle();
        tokio::spawn(async move {
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
            }
            tracing::info!("signal received: draining");
            handle.shutdown();
        });
        self.run().await
    }

    /// Logs a failed accept (at most once a second) and waits as long as it asks: out of file
    /// descriptors, every accept fails until a connection closes, and trying again at once
    /// would spin.
    async fn accept_failed(&self, failures: &mut AcceptFailures, err: &io::Error) {
        let failed = failures.failed(err, tokio::time::Instant::now());
        if let Some(unlogged) = failed.log {
            let open = self.shared.stats.admitted();
            if failed.exhausted {
                tracing::warn!(
                    %err, open, unlogged,
                    "accept failed: out of file descriptors or memory; waiting for connections to \
                     close (raise `ulimit -n` above --max-connections, or lower it)"
                );
            } else {
                tracing::warn!(%err, unlogged, "accept failed; accepting the next connection");
            }
        }
        if !failed.wait.is_zero() {
            tokio::time::sleep(failed.wait).await;
        }
    }

    fn spawn_connection(&self, accepted: Accepted) {
        match accepted {
            Accepted::Tcp(socket, peer) => self.spawn_admitted(socket, peer),
            Accepted::Unix(socket, peer) => self.spawn_admitted(socket, peer),
        }
    }

    /// Serves a connection that takes a place under the connection cap, from its accept until
    /// it closes (while its first bytes are awaited too: a flood of connections that send
    /// nothing holds places, not more); one over the cap is refused in its dialect.
    fn spawn_admitted<S>(&self, socket: S, peer: context::Peer)
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static,
    {
        let shared = self.shared.clone();
        match shared.stats.admit(shared.config.max_connections) {
            Some(place) => self.shared.tracker.spawn(async move {
                let _place = place;
                route::route(socket, peer, shared).await;
            }),
            None => self.shared.tracker.spawn(refuse::refuse(socket, shared)),
        };
    }
}
