//! `lpjson-client ADDR [--payload BYTES] [--conns N] [--inflight N] [--duration SECS] [--warmup SECS]
//! [--rate CALLS_PER_SEC] [--json]`: the length-prefixed JSON ping load, one request at a time per connection.

use clap::Parser;

/// Loads a length-prefixed JSON ping server (ferry or the Python ones) with the engine `ferry bench` uses, then prints the report.
#[derive(Debug, Parser)]
struct Cli {
    #[command(flatten)]
    load: bench_common::LoadArgs,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    bench_common::run_client(&cli.load, lpjson::LpJsonTarget::new)
}
