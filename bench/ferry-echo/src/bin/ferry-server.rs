//! `ferry-server [--listen ADDR] [--threads N] [--layers N] [--tower-layers N]`: the demo
//! services `ferry serve` runs, on one port (native protocol and the length-prefixed JSON
//! dialect), optionally with layers that do nothing, to measure what a layer costs.

use clap::Parser;

/// Serves ferry's demo services (echo.echo, echo.ping, calc.*) until killed.
#[derive(Debug, Parser)]
struct Cli {
    #[command(flatten)]
    serve: bench_common::ServeArgs,
    /// ferry layers (`Router::layer`) with the default hooks, which do nothing.
    #[arg(long, default_value_t = 0)]
    layers: usize,
    /// tower layers (`Router::tower_layer`) that pass every call through unchanged.
    #[arg(long, default_value_t = 0)]
    tower_layers: usize,
}

/// A ferry layer that lets every call through and records nothing.
#[derive(Debug)]
struct Trivial;

impl ferry::layer::Layer for Trivial {}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    cli.serve.runtime()?.block_on(async {
        let address = cli.serve.loopback()?;
        let router = (0..cli.layers).fold(ferry_demo::router(), |router, _| router.layer(Trivial));
        let router = (0..cli.tower_layers).fold(router, |router, _| {
            router.tower_layer(tower::layer::util::Identity::new())
        });
        let server = ferry::Server::bind(address, router).await?;
        bench_common::announce(server.local_address());
        server.run().await?;
        Ok(())
    })
}
