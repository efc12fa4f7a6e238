//! The flags every bench server takes, its runtime, and the line that tells the runner where it
//! listens.

use std::{
    io::Write as _,
    net::{IpAddr, Ipv4Addr, SocketAddr},
    num::NonZeroUsize,
};

use anyhow::{ensure, Context as _};
use tokio::net::TcpListener;

/// `--listen ADDR --threads N`.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// Where to listen: a loopback HOST:PORT (port 0 picks a free port, printed on stdout).
    #[arg(long, value_name = "ADDR", default_value_t = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0))]
    pub listen: SocketAddr,
    /// Runtime threads (default: one per CPU this process may run on); 1 runs a single event
    /// loop, as `ferry serve --threads 1` does.
    #[arg(long, value_name = "N")]
    pub threads: Option<NonZeroUsize>,
}

impl ServeArgs {
    /// The runtime `ferry serve` would pick: `--threads` workers (default: one per CPU this
    /// process may run on), and with one, a single-threaded event loop.
    pub fn runtime(&self) -> anyhow::Result<tokio::runtime::Runtime> {
        let threads = self
            .threads
            .or_else(|| std::thread::available_parallelism().ok())
            .map_or(1, NonZeroUsize::get);
        let mut builder = match threads {
            1 => tokio::runtime::Builder::new_current_thread(),
            _ => tokio::runtime::Builder::new_multi_thread(),
        };
        if threads > 1 {
            builder.worker_threads(threads);
        }
        builder
            .enable_all()
            .build()
            .context("cannot start the runtime")
    }

    /// `--listen`, refused unless loopback: these servers answer anyone who connects.
    pub fn loopback(&self) -> anyhow::Result<SocketAddr> {
        ensure!(
            self.listen.ip().is_loopback(),
            "bench servers listen on loopback only; {} is not a loopback address",
            self.listen
        );
        Ok(self.listen)
    }

    /// Binds `--listen` (loopback only).
    pub async fn bind(&self) -> anyhow::Result<TcpListener> {
        let address = self.loopback()?;
        TcpListener::bind(address)
            .await
            .with_context(|| format!("cannot listen on {address}"))
    }
}

/// Prints `listening on ADDR` on stdout, the line the runner waits for.
pub fn announce(address: impl std::fmt::Display) {
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "listening on {address}");
    let _ = stdout.flush();
}
