//! Server memory per idle native connection.
//!
//! ```text
//! idle FERRY [--connections N] [-- SERVE-ARGS...]
//! ```
//!
//! Starts `FERRY serve --listen 127.0.0.1:0 SERVE-ARGS...` (FERRY is the path of a `ferry`
//! binary), reads its resident memory (VmRSS in /proc/PID/status), opens N connections that each
//! exchange a native preface with it and then stay idle, reads VmRSS again and prints the
//! difference per connection. Both processes need N file descriptors and some: run it after
//! `ulimit -n 20000`.

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    time::Duration,
};

use anyhow::{bail, Context as _};
use bytes::BytesMut;
use ferry_wire::{Preface, CODEC_MSGPACK, DEFAULT_MAX_FRAME_LEN, PREFACE_LEN, VERSION};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
    task::JoinSet,
};

/// Connections being opened at once: below the listen backlog, so none is refused.
const OPENING_AT_ONCE: usize = 256;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let ferry = args
        .next()
        .context("usage: idle FERRY [--connections N] [-- SERVE-ARGS...]")?;
    let mut connections = 10_000;
    let mut serve_args = Vec::new();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--connections" => connections = args.next().context("--connections N")?.parse()?,
            "--" => serve_args.extend(args.by_ref()),
            _ => bail!("unknown option {arg}"),
        }
    }
    check_fd_limit(connections)?;
    let (mut server, address) = start_server(&ferry, &serve_args)?;
    let outcome = measure(server.id(), &address, connections);
    Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()?;
    let status = server.wait()?;
    let (before, after) = outcome?;
    let per_connection = (after - before) as f64 / connections as f64;
    println!(
        "{connections} idle connections: server VmRSS {before} KiB before, {after} KiB after, \
         {per_connection:.1} KiB per connection (server exit: {status})"
    );
    Ok(())
}

/// Fails early, and clearly, when this process cannot hold `connections` sockets.
fn check_fd_limit(connections: usize) -> anyhow::Result<()> {
    let limits = std::fs::read_to_string("/proc/self/limits")?;
    let soft = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))
        .and_then(|line| line.split_whitespace().nth(3))
        .and_then(|soft| soft.parse::<usize>().ok())
        .unwrap_or(0);
    if soft < connections + 64 {
        bail!(
            "the open-file limit is {soft}; run `ulimit -n {}` first",
            connections + 64
        );
    }
    Ok(())
}

/// Starts `ferry serve` and returns it with the address its listening line names.
fn start_server(ferry: &str, serve_args: &[String]) -> anyhow::Result<(Child, String)> {
    let mut server = Command::new(ferry)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(serve_args)
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot run {ferry}"))?;
    let mut line = String::new();
    BufReader::new(server.stderr.take().context("stderr is piped")?).read_line(&mut line)?;
    let address = line
        .trim_end()
        .rsplit(" on ")
        .next()
        .unwrap_or_default()
        .to_owned();
    if !line.starts_with("ferry: serving") {
        bail!("ferry serve did not start: {line}");
    }
    Ok((server, address))
}

/// VmRSS before and after opening the connections, in KiB.
fn measure(pid: u32, address: &str, connections: usize) -> anyhow::Result<(u64, u64)> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        // One connection first, so what every server allocates once is not counted per connection.
        drop(open(address.to_owned()).await?);
        tokio::time::sleep(Duration::from_millis(500)).await;
        let before = vm_rss(pid)?;
        let connected = open_all(address, connections).await?;
        tokio::time::sleep(Duration::from_secs(2)).await;
        let after = vm_rss(pid)?;
        drop(connected);
        Ok((before, after))
    })
}

async fn open_all(address: &str, connections: usize) -> anyhow::Result<Vec<TcpStream>> {
    let mut connected = Vec::with_capacity(connections);
    let mut opening = JoinSet::new();
    for _ in 0..connections {
        if opening.len() == OPENING_AT_ONCE {
            connected.push(
                opening
                    .join_next()
                    .await
                    .context("a connection is opening")???,
            );
        }
        opening.spawn(open(address.to_owned()));
    }
    while let Some(stream) = opening.join_next().await {
        connected.push(stream??);
    }
    Ok(connected)
}

/// Connects and exchanges prefaces: the server now serves this connection natively.
async fn open(address: String) -> anyhow::Result<TcpStream> {
    let mut stream = TcpStream::connect(&address).await?;
    let mut out = BytesMut::new();
    let preface = Preface {
        version: VERSION,
        codec: CODEC_MSGPACK,
        max_frame_len: DEFAULT_MAX_FRAME_LEN,
    };
    preface.encode(&mut out);
    stream.write_all(&out).await?;
    let mut input = BytesMut::with_capacity(PREFACE_LEN);
    while input.len() < PREFACE_LEN {
        if stream.read_buf(&mut input).await? == 0 {
            bail!("the server closed the connection during the preface");
        }
    }
    Preface::decode(&mut input)?.context("a whole preface")?;
    Ok(stream)
}

fn vm_rss(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line = status
        .lines()
        .find(|line| line.starts_with("VmRSS:"))
        .context("VmRSS in /proc/PID/status")?;
    let kib = line.split_whitespace().nth(1).context("VmRSS value")?;
    Ok(kib.parse()?)
}
