//! `tonic-stream-client ADDR --direction down|up [--chunk BYTES] [--duration SECS]`: one tonic
//! stream, reported as one JSON line.

use anyhow::Context as _;
use clap::Parser;

/// Streams bytes one way through a tonic stream server, then prints MB/s as JSON.
#[derive(Debug, Parser)]
struct Cli {
    #[command(flatten)]
    stream: bench_common::StreamArgs,
}

fn main() -> anyhow::Result<()> {
    let args = Cli::parse().stream;
    let (address, limit) = (args.socket_addr()?, args.limit()?);
    let runtime = tokio::runtime::Runtime::new().context("cannot start the runtime")?;
    let report = runtime.block_on(async {
        let mut client = tonic_stream::client::connect(address).await?;
        tonic_stream::client::run(&mut client, args.direction, args.chunk, limit).await
    })?;
    println!("{}", report.to_json());
    Ok(())
}
