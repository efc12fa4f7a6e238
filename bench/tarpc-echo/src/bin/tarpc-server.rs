//! `tarpc-server [--listen ADDR] [--threads N]`: the tarpc echo service.

use clap::Parser;

/// Serves the tarpc echo service (bincode over TCP) until killed.
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
        tarpc_echo::server::serve(listener).await;
        Ok(())
    })
}
