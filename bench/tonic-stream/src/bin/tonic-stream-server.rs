//! `tonic-stream-server [--listen ADDR] [--threads N]`: the tonic gRPC streams.

use clap::Parser;

/// Serves `Pump.Source` and `Pump.Sink` until killed.
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
        tonic_stream::server::serve(listener).await?;
        Ok(())
    })
}
