//! `stream-memory --server PATH`: starts the flood server, opens `--streams` streams over
//! `--conns` connections, takes one item from each and then none, and reports the resident
//! memory both sides settle at, against the bound the window sets: a slow consumer with a fast
//! producer holds at most the window (plus an item) per stream.

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    time::Duration,
};

use anyhow::Context as _;
use clap::Parser;
use ferry::{stream::StreamLimits, Client, ClientConfig, ItemStream, NoError};
use serde_json::json;
use stream_memory::{resident_bytes, MemClient};

/// What to measure.
#[derive(Debug, Parser)]
struct Args {
    /// The stream-memory-server binary.
    #[arg(long)]
    server: String,
    /// Streams opened, all held at once.
    #[arg(long, default_value_t = 1000)]
    streams: usize,
    /// Connections they are spread over.
    #[arg(long, default_value_t = 10)]
    conns: usize,
    /// Bytes per item.
    #[arg(long, default_value_t = 65536)]
    chunk: u32,
}

/// The stream window both sides use: the default.
const WINDOW: u64 = 1024 * 1024;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let (mut server, address) = start(&args.server)?;
    let pid = server.id().to_string();
    let server_before = resident_bytes(&pid)?;
    let client_before = resident_bytes("self")?;
    let held = open(&address, &args).await?;
    let server_after = settle(&pid).await?;
    let client_after = settle("self").await?;
    let bound = WINDOW * args.streams as u64 + 64 * 1024 * 1024;
    let report = json!({
        "streams": held.len(),
        "conns": args.conns,
        "chunk": args.chunk,
        "window": WINDOW,
        "server_rss_before": server_before,
        "server_rss_after": server_after,
        "server_growth_per_stream": (server_after.saturating_sub(server_before)) / held.len() as u64,
        "client_rss_before": client_before,
        "client_rss_after": client_after,
        "client_growth_per_stream": (client_after.saturating_sub(client_before)) / held.len() as u64,
        "bound": bound,
        "server_within_bound": server_after <= bound,
        "client_within_bound": client_after <= bound,
    });
    println!("{report}");
    server.kill()?;
    server.wait()?;
    Ok(())
}

/// The server process and the address it listens on.
fn start(binary: &str) -> anyhow::Result<(Child, String)> {
    let mut child = Command::new(binary)
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot start {binary}"))?;
    let mut line = String::new();
    BufReader::new(child.stderr.take().context("stderr is piped")?).read_line(&mut line)?;
    let address = line
        .trim()
        .strip_prefix("listening on ")
        .with_context(|| format!("unexpected first line: {line:?}"))?
        .to_owned();
    Ok((child, address))
}

/// Opens every stream and takes one item from each; the streams, held unread.
async fn open(
    address: &str,
    args: &Args,
) -> anyhow::Result<Vec<ItemStream<ferry::Bytes, NoError>>> {
    let config = ClientConfig::default()
        .default_timeout(None)
        .streams(StreamLimits::default().window(WINDOW));
    let mut clients = Vec::with_capacity(args.conns);
    for _ in 0..args.conns {
        clients.push(MemClient::new(
            Client::connect_with(address, config.clone()).await?,
        ));
    }
    let mut held = Vec::with_capacity(args.streams);
    for at in 0..args.streams {
        let mut stream = clients[at % args.conns].flood(args.chunk).await?;
        stream
            .recv()
            .await
            .context("the stream ended before its first item")??;
        held.push(stream);
    }
    Ok(held)
}

/// The resident memory of `pid` once it stops growing (sampled every 200 ms, stable for a
/// second, at most 30 s).
async fn settle(pid: &str) -> anyhow::Result<u64> {
    let mut last = resident_bytes(pid)?;
    let mut stable = 0;
    for _ in 0..150 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let now = resident_bytes(pid)?;
        stable = if now <= last + 1024 * 1024 {
            stable + 1
        } else {
            0
        };
        last = last.max(now);
        if stable >= 5 {
            break;
        }
    }
    Ok(last)
}
