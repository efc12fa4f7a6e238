//! `raw-server [--listen ADDR] [--threads N]`: the raw framed echo, the ceiling.

use clap::Parser;

/// Echoes raw frames (length, call id, payload) until killed.
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
        raw_echo::server::serve(listener).await;
        Ok(())
    })
}
