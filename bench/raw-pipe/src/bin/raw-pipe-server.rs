//! `raw-pipe-server [--listen ADDR]`: the one-way TCP pipe, the streaming ceiling.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};

use anyhow::{ensure, Context as _};
use clap::Parser;

/// Writes to or discards from each connection as fast as it can, until killed.
#[derive(Debug, Parser)]
struct Cli {
    /// Where to listen: a loopback HOST:PORT (port 0 picks a free port, printed on stdout).
    #[arg(long, value_name = "ADDR", default_value_t = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0))]
    listen: SocketAddr,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // As every bench server: it answers anyone who connects, so loopback only.
    ensure!(
        cli.listen.ip().is_loopback(),
        "bench servers listen on loopback only; {} is not a loopback address",
        cli.listen
    );
    let listener = TcpListener::bind(cli.listen)
        .with_context(|| format!("cannot listen on {}", cli.listen))?;
    bench_common::announce(listener.local_addr()?);
    raw_pipe::server::serve(listener);
    Ok(())
}
