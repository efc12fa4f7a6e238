//! `tonic-server [--listen ADDR] [--threads N]`: the tonic gRPC echo service.

use clap::Parser;

/// Serves the gRPC echo service until killed.
#[derive(Debug, Parser)]
struct Cli {
    #[command(flatten)]
    serve: bench_common::ServeArgs,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    cli.serve.runtime()?.block_on(async {
        let listener = cli.serve.bind().await?;
        bench_common::announce(listener.local_addr()?);
        tonic_echo::server::serve(listener).await?;
        Ok(())
    })
}
