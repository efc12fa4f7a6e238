//! `ferry bench --stream down|up`: streams moving items as fast as flow control allows, one
//! per connection, measured in MB/s and items/s.

use std::time::Duration;

use ferry::{stream::RawItem, Bytes, CallError, CallOptions, Client, NoError, Status};
use futures_util::future::try_join_all;
use serde_json::{json, Value};
use tokio::time::Instant;

use super::{client_config, BenchArgs};
use crate::{connect, failure::Failure, output::print};

/// Which way the items go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Way {
    /// Server to client: the client reads a server stream.
    Down,
    /// Client to server: the client feeds a client stream.
    Up,
}

impl Way {
    /// The demo method each way loads when no --method is given.
    pub(super) fn default_method(self) -> &'static str {
        match self {
            Way::Down => "echo.source",
            Way::Up => "echo.sink",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Way::Down => "down",
            Way::Up => "up",
        }
    }
}

/// What the streams moved within the measured time.
#[derive(Debug, Clone, Copy, Default)]
struct Moved {
    bytes: u64,
    items: u64,
}

/// When each stream counts: after the warmup, for the duration.
#[derive(Debug, Clone, Copy)]
struct Window {
    from: Instant,
    until: Instant,
}

impl Window {
    fn counts(&self, now: Instant) -> bool {
        now >= self.from
    }

    fn over(&self, now: Instant) -> bool {
        now >= self.until
    }
}

/// Runs `--conns` streams `way` and prints the report.
pub(super) async fn run(args: &BenchArgs, way: Way) -> Result<(), Failure> {
    let chunk = usize::try_from(args.chunk).unwrap_or(usize::MAX);
    if chunk == 0 {
        return Err(invalid("--chunk must be at least 1 byte"));
    }
    let config = client_config(args)?.default_timeout(None);
    let mut clients = Vec::with_capacity(args.conns);
    for _ in 0..args.conns {
        let client = connect::client(&args.address, config.clone(), args.balance.balance);
        clients.push(client.await?);
    }
    let start = Instant::now() + Duration::from_millis(10);
    let window = Window {
        from: start + args.warmup,
        until: start + args.warmup + args.duration,
    };
    let runs = clients
        .iter()
        .map(|client| one_stream(client, args, way, chunk, window));
    let moved = try_join_all(runs).await?;
    let total = moved.iter().fold(Moved::default(), |sum, one| Moved {
        bytes: sum.bytes + one.bytes,
        items: sum.items + one.items,
    });
    report(args, way, total, args.duration.as_secs_f64())
}

async fn one_stream(
    client: &Client,
    args: &BenchArgs,
    way: Way,
    chunk: usize,
    window: Window,
) -> Result<Moved, Failure> {
    match way {
        Way::Down => down(client, args, chunk, window).await,
        Way::Up => up(client, args.method(), chunk, window).await,
    }
}

/// Reads a server stream, counting its items' bytes as they arrive; drops it (cancelling the
/// call) when the time is up.
async fn down(
    client: &Client,
    args: &BenchArgs,
    chunk: usize,
    window: Window,
) -> Result<Moved, Failure> {
    let arguments = match &args.named {
        Some(named) => Value::Object(named.clone()),
        None => json!({"size": 64u64 << 30, "chunk": chunk}),
    };
    let mut items = client
        .server_stream::<_, Value, NoError>(args.method(), &arguments, &CallOptions::new())
        .await?;
    let mut moved = Moved::default();
    loop {
        let item = items.recv_raw().await;
        let now = Instant::now();
        match item {
            Some(Ok(RawItem::Item(body))) if window.counts(now) => {
                moved.bytes += body.len() as u64;
                moved.items += 1;
            }
            Some(Ok(RawItem::Item(_))) => {}
            Some(Ok(RawItem::End(reply))) => return Err(ended_early(reply.status)),
            Some(Ok(_)) => {}
            Some(Err(err)) => return Err(Failure::Call(err)),
            None => return Err(ended_early(Status::Ok)),
        }
        if window.over(now) {
            return Ok(moved);
        }
    }
}

/// Feeds a client stream with `chunk`-byte items until the time is up, then finishes it and
/// waits for the handler's answer.
async fn up(client: &Client, method: &str, chunk: usize, window: Window) -> Result<Moved, Failure> {
    let (mut sink, answer) = client
        .open_client_stream::<_, Bytes, Value, NoError>(method, &json!({}), &CallOptions::new())
        .await?;
    let item = Bytes::from(vec![0u8; chunk]);
    let mut moved = Moved::default();
    loop {
        sink.send(&item).await.map_err(CallError::from)?;
        let now = Instant::now();
        if window.counts(now) {
            moved.bytes += chunk as u64;
            moved.items += 1;
        }
        if window.over(now) {
            break;
        }
    }
    sink.finish();
    answer.await?;
    Ok(moved)
}

fn ended_early(status: Status) -> Failure {
    let message = format!("the stream ended ({status}) before the time was up");
    Failure::Call(CallError::new(status, message))
}

fn invalid(message: &str) -> Failure {
    Failure::Call(CallError::new(Status::InvalidArgs, message))
}

fn report(args: &BenchArgs, way: Way, moved: Moved, seconds: f64) -> Result<(), Failure> {
    let mb_per_s = moved.bytes as f64 / seconds / 1e6;
    let items_per_s = moved.items as f64 / seconds;
    if args.json {
        let report = json!({
            "address": args.address.to_string(),
            "method": args.method(),
            "stream": way.name(),
            "chunk": args.chunk,
            "conns": args.conns,
            "mb_per_s": mb_per_s,
            "items_per_s": items_per_s,
            "bytes": moved.bytes,
            "items": moved.items,
            "seconds": seconds,
        });
        return print(format_args!("{report}\n"));
    }
    print(format_args!(
        "ferry bench {} {} --stream {} ({} streams of {}-byte items)\n  {mb_per_s:.1} MB/s, \
         {items_per_s:.0} items/s: {} bytes in {} items over {seconds:.1} s\n",
        args.address,
        args.method(),
        way.name(),
        args.conns,
        args.chunk,
        moved.bytes,
        moved.items
    ))
}
