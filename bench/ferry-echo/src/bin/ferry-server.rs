//! `ferry-server [--listen ADDR] [--threads N]`: the demo services `ferry serve` runs, on one
//! port (native protocol and the length-prefixed JSON dialect).

use clap::Parser;

/// Serves ferry's demo services (echo.echo, echo.ping, calc.*) until killed.
#[derive(Debug, Parser)]
struct Cli {
    #[command(flatten)]
    serve: bench_common::ServeArgs,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    cli.serve.runtime()?.block_on(async {
        let address = cli.serve.loopback()?;
        let server = ferry::Server::bind(address, ferry_demo::router()).await?;
        bench_common::announce(server.local_address());
        server.run().await?;
        Ok(())
    })
}
