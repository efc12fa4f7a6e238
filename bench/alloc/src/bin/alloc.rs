//! Heap allocations per `echo.echo` call on the server side of ferry.
//!
//! ```text
//! alloc [--calls N] [--warmup N] [--connections C] [--concurrency K] [--size B] [--threads T]
//!       [--profile FILE]
//! ```
//!
//! Starts a ferry server with the demo router in this process, under dhat's counting allocator,
//! and drives it from a second process (`alloc client ...`, the same binary) with C connections
//! of K concurrent calls each. The server counts nothing until `--warmup` calls were dispatched
//! (start-up, connection set-up and buffer growth are left out), then prints the blocks and bytes
//! it allocated over the next `--calls` calls, per call. `--profile FILE` also saves the dhat
//! profile, to see where the allocations come from.

use std::{
    process::{Child, Command},
    sync::{
        atomic::{AtomicI64, Ordering},
        Arc,
    },
    time::Duration,
};

use anyhow::{bail, Context as _};
use bytes::Bytes;
use ferry::{server::ServerStats, Address, Server};
use ferry_demo::EchoClient;

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

/// The command line.
#[derive(Debug, Clone)]
struct Options {
    calls: u64,
    warmup: u64,
    connections: usize,
    concurrency: usize,
    size: usize,
    threads: usize,
    profile: Option<String>,
}

impl Options {
    fn parse(mut args: impl Iterator<Item = String>) -> anyhow::Result<Options> {
        let mut options = Options {
            calls: 100_000,
            warmup: 10_000,
            connections: 1,
            concurrency: 64,
            size: 64,
            threads: 2,
            profile: None,
        };
        while let Some(flag) = args.next() {
            let value = args
                .next()
                .with_context(|| format!("{flag} needs a value"))?;
            let number = || {
                value
                    .parse::<usize>()
                    .with_context(|| format!("{flag} {value}"))
            };
            match flag.as_str() {
                "--calls" => options.calls = number()? as u64,
                "--warmup" => options.warmup = number()? as u64,
                "--connections" => options.connections = number()?,
                "--concurrency" => options.concurrency = number()?,
                "--size" => options.size = number()?,
                "--threads" => options.threads = number()?,
                "--profile" => options.profile = Some(value),
                _ => bail!("unknown option {flag}"),
            }
        }
        Ok(options)
    }

    /// The arguments that make the client process send this load.
    fn client_args(&self, address: &Address) -> Vec<String> {
        let total = self.warmup + self.calls;
        [
            "client".to_owned(),
            address.to_string(),
            total.to_string(),
            self.connections.to_string(),
            self.concurrency.to_string(),
            self.size.to_string(),
        ]
        .to_vec()
    }
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1).peekable();
    if args.peek().map(String::as_str) == Some("client") {
        return client(args.skip(1).collect());
    }
    measure(&Options::parse(args)?)
}

fn runtime(threads: usize) -> std::io::Result<tokio::runtime::Runtime> {
    if threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .enable_all()
            .build()
    }
}

/// Serves, lets the client process load the server, and prints allocations per call.
fn measure(options: &Options) -> anyhow::Result<()> {
    let _profiler = match &options.profile {
        Some(path) => dhat::Profiler::builder().file_name(path).build(),
        None => dhat::Profiler::builder().testing().build(),
    };
    let runtime = runtime(options.threads)?;
    let (before, after) = runtime.block_on(serve_and_count(options))?;
    let calls = options.calls as f64;
    let blocks = (after.total_blocks - before.total_blocks) as f64 / calls;
    let bytes = (after.total_bytes - before.total_bytes) as f64 / calls;
    println!(
        "{} calls of {} B over {}x{} ({} server threads): {blocks:.2} allocations, {bytes:.0} bytes per call",
        options.calls, options.size, options.connections, options.concurrency, options.threads
    );
    Ok(())
}

async fn serve_and_count(options: &Options) -> anyhow::Result<(dhat::HeapStats, dhat::HeapStats)> {
    let server = Server::bind("127.0.0.1:0", ferry_demo::router()).await?;
    let stats = server.stats();
    let shutdown = server.shutdown_handle();
    let mut client = spawn_client(options, &server.local_address())?;
    let serving = tokio::spawn(server.run());
    wait_for_calls(&stats, options.warmup, &mut client).await?;
    let before = dhat::HeapStats::get();
    wait_for_calls(&stats, options.warmup + options.calls, &mut client).await?;
    let after = dhat::HeapStats::get();
    let status = tokio::task::spawn_blocking(move || client.wait()).await??;
    if !status.success() {
        bail!("the load client failed: {status}");
    }
    shutdown.shutdown();
    serving.await??;
    Ok((before, after))
}

fn spawn_client(options: &Options, address: &Address) -> anyhow::Result<Child> {
    let program = std::env::current_exe()?;
    Command::new(program)
        .args(options.client_args(address))
        .spawn()
        .context("cannot start the load client")
}

/// Waits until the server has dispatched `n` calls; fails if the client exits first.
async fn wait_for_calls(stats: &ServerStats, n: u64, client: &mut Child) -> anyhow::Result<()> {
    while stats.calls() < n {
        if let Some(status) = client.try_wait()? {
            bail!(
                "the load client exited ({status}) after {} calls",
                stats.calls()
            );
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    Ok(())
}

/// `alloc client ADDRESS TOTAL CONNECTIONS CONCURRENCY SIZE`: sends TOTAL echo calls.
fn client(args: Vec<String>) -> anyhow::Result<()> {
    let [address, total, connections, concurrency, size] = args.as_slice() else {
        bail!("usage: alloc client ADDRESS TOTAL CONNECTIONS CONCURRENCY SIZE");
    };
    let address: Address = address.parse()?;
    let remaining = Arc::new(AtomicI64::new(total.parse()?));
    let payload = Bytes::from(vec![0x5a; size.parse()?]);
    let (connections, concurrency): (usize, usize) = (connections.parse()?, concurrency.parse()?);
    runtime(2)?.block_on(async move {
        let mut workers = tokio::task::JoinSet::new();
        for _ in 0..connections {
            let echo = EchoClient::connect(address.clone()).await?;
            for _ in 0..concurrency {
                let (echo, remaining, payload) = (echo.clone(), remaining.clone(), payload.clone());
                workers.spawn(async move {
                    while remaining.fetch_sub(1, Ordering::Relaxed) > 0 {
                        echo.echo(payload.clone()).await?;
                    }
                    Ok::<_, ferry::CallError>(())
                });
            }
        }
        while let Some(worker) = workers.join_next().await {
            worker??;
        }
        Ok(())
    })
}
