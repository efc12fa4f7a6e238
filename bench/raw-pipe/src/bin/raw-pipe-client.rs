//! `raw-pipe-client ADDR --direction down|up [--chunk BYTES] [--duration SECS]`: one stream
//! through the raw pipe, reported as one JSON line.

use clap::Parser;

/// Streams bytes one way through a raw pipe server, then prints MB/s as JSON.
#[derive(Debug, Parser)]
struct Cli {
    #[command(flatten)]
    stream: bench_common::StreamArgs,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let args = cli.stream;
    let report = raw_pipe::client::run(
        args.socket_addr()?,
        args.direction,
        args.chunk,
        args.limit()?,
    )?;
    println!("{}", report.to_json());
    Ok(())
}
