//! `ferry-client ADDR [--payload BYTES] [--conns N] [--inflight N] [--duration SECS]
//! [--warmup SECS] [--rate CALLS_PER_SEC] [--json]`: the ferry native echo load.

use clap::Parser;

/// Loads a ferry server's `echo.echo` with the engine and target `ferry bench` uses, then
/// prints the report.
#[derive(Debug, Parser)]
struct Cli {
    #[command(flatten)]
    load: bench_common::LoadArgs,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let payload = cli.load.payload;
    bench_common::run_client(&cli.load, |address| {
        ferry_echo::echo_target(address, payload)
    })
}
