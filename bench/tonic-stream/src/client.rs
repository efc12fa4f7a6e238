//! The tonic stream client: one channel (one HTTP/2 connection), one stream, timed from the call
//! to the last byte counted.

use std::{net::SocketAddr, time::Instant};

use anyhow::{ensure, Context as _};
use bench_common::{Direction, Limit, StreamReport};
use bytes::Bytes;
use futures_util::stream;
use tonic::transport::{Channel, Endpoint};

use crate::{
    proto::{pump_client::PumpClient, Chunk, SourceRequest},
    FILL, MAX_CHUNK,
};

/// Connects to the server at `address` with tonic's defaults (TCP_NODELAY on, as for every
/// bench client).
pub async fn connect(address: SocketAddr) -> anyhow::Result<PumpClient<Channel>> {
    let uri = format!("http://{address}");
    let channel = Endpoint::from_shared(uri.clone())?
        .tcp_nodelay(true)
        .connect()
        .await
        .with_context(|| format!("cannot connect to {uri}"))?;
    Ok(PumpClient::new(channel))
}

/// Streams `chunk`-byte items one way until `limit`; the report counts what the receiving side
/// got.
pub async fn run(
    client: &mut PumpClient<Channel>,
    direction: Direction,
    chunk: usize,
    limit: Limit,
) -> anyhow::Result<StreamReport> {
    ensure!(
        (1..=MAX_CHUNK).contains(&chunk),
        "--chunk must be 1 to {MAX_CHUNK} bytes (tonic's default message limit is 4 MiB)"
    );
    match direction {
        Direction::Down => down(client, chunk, limit).await,
        Direction::Up => up(client, chunk, limit).await,
    }
}

/// Asks for a stream and counts it until `limit`; dropping the stream resets it, which is what
/// stops an endless one.
async fn down(
    client: &mut PumpClient<Channel>,
    chunk: usize,
    limit: Limit,
) -> anyhow::Result<StreamReport> {
    let started = Instant::now();
    let deadline = tokio::time::Instant::from_std(started + limit.duration);
    let request = SourceRequest {
        chunk: chunk as u32,
        count: limit.items.unwrap_or(0),
    };
    let mut items = client.source(request).await?.into_inner();
    let (mut bytes, mut count) = (0, 0);
    // The deadline cuts into a message still arriving: what had not fully arrived is not counted.
    while let Ok(next) = tokio::time::timeout_at(deadline, items.message()).await {
        match next? {
            Some(item) => {
                bytes += item.data.len() as u64;
                count += 1;
            }
            None => break,
        }
    }
    Ok(StreamReport {
        bytes,
        items: count,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Sends chunks until `limit`, then ends the stream and waits for the server's total: the time
/// runs until every item has arrived, not until the last one was queued.
async fn up(
    client: &mut PumpClient<Channel>,
    chunk: usize,
    limit: Limit,
) -> anyhow::Result<StreamReport> {
    let data = Bytes::from(vec![FILL; chunk]);
    let wanted = limit.items.unwrap_or(u64::MAX);
    let started = Instant::now();
    let deadline = started + limit.duration;
    let mut sent = 0;
    // Made as tonic asks for them, so the clock is read once per item, only when there is room.
    let items = stream::iter(std::iter::from_fn(move || {
        (sent < wanted && Instant::now() < deadline).then(|| {
            sent += 1;
            Chunk { data: data.clone() }
        })
    }));
    let total = client.sink(items).await?.into_inner();
    Ok(StreamReport {
        bytes: total.bytes,
        items: total.items,
        seconds: started.elapsed().as_secs_f64(),
    })
}
