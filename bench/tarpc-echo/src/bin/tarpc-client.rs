//! `tarpc-client ADDR [--payload BYTES] [--conns N] [--inflight N] [--duration SECS] [--warmup SECS]
//! [--rate CALLS_PER_SEC] [--json]`: the tarpc echo load.

use clap::Parser;

/// Loads a tarpc echo server with the engine `ferry bench` uses, then prints the report.
#[derive(Debug, Parser)]
struct Cli {
    #[command(flatten)]
    load: bench_common::LoadArgs,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    bench_common::run_client(&cli.load, tarpc_echo::TarpcTarget::new)
}
