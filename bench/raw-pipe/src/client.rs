//! The raw pipe client: one connection, one direction, timed from the header to the last byte
//! counted.

use std::{
    io::{Read as _, Write as _},
    net::{Shutdown, SocketAddr, TcpStream},
    time::{Duration, Instant},
};

use anyhow::{bail, ensure, Context as _};
use bench_common::{Direction, Limit, StreamReport};

use crate::{DOWN, FILL, MAX_CHUNK, UP};

/// How long a socket may stay silent before the run fails instead of hanging: far longer than
/// any gap a working server leaves.
const SILENCE: Duration = Duration::from_secs(10);

/// Streams `chunk`-byte writes one way to or from the raw pipe server at `address`, until
/// `limit`; the report counts bytes the receiving side got.
pub fn run(
    address: SocketAddr,
    direction: Direction,
    chunk: usize,
    limit: Limit,
) -> anyhow::Result<StreamReport> {
    ensure!(
        (1..=MAX_CHUNK).contains(&chunk),
        "--chunk must be 1 to {MAX_CHUNK} bytes"
    );
    let mut socket =
        TcpStream::connect(address).with_context(|| format!("cannot connect to {address}"))?;
    socket.set_nodelay(true)?;
    socket.set_read_timeout(Some(SILENCE))?;
    socket.set_write_timeout(Some(SILENCE))?;
    let mut header = [0; 5];
    header[0] = match direction {
        Direction::Down => DOWN,
        Direction::Up => UP,
    };
    header[1..].copy_from_slice(&(chunk as u32).to_le_bytes());
    socket
        .write_all(&header)
        .context("cannot send the header")?;
    match direction {
        Direction::Down => down(&mut socket, chunk, limit),
        Direction::Up => up(&mut socket, chunk, limit),
    }
}

/// Reads until `limit`, counting bytes; closing the socket is what stops the server.
fn down(socket: &mut TcpStream, chunk: usize, limit: Limit) -> anyhow::Result<StreamReport> {
    let mut buffer = vec![0; chunk];
    let wanted = limit.items.map_or(u64::MAX, |items| items * chunk as u64);
    let started = Instant::now();
    let deadline = started + limit.duration;
    let mut received: u64 = 0;
    while received < wanted && Instant::now() < deadline {
        // Never read past an exact count: the test checks it to the byte.
        let room = usize::try_from(wanted - received).map_or(chunk, |left| left.min(chunk));
        match socket.read(&mut buffer[..room]).context("cannot read")? {
            0 => bail!("the server closed the stream after {received} bytes"),
            read => received += read as u64,
        }
    }
    Ok(StreamReport {
        bytes: received,
        items: received / chunk as u64,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Writes whole chunks until `limit`, then shuts down the sending side and waits for the
/// server's count: the time runs until every byte has arrived, not until the last one was queued.
fn up(socket: &mut TcpStream, chunk: usize, limit: Limit) -> anyhow::Result<StreamReport> {
    let buffer = vec![FILL; chunk];
    let wanted = limit.items.unwrap_or(u64::MAX);
    let started = Instant::now();
    let deadline = started + limit.duration;
    let mut sent: u64 = 0;
    while sent < wanted && Instant::now() < deadline {
        socket.write_all(&buffer).context("cannot write")?;
        sent += 1;
    }
    socket.shutdown(Shutdown::Write)?;
    let mut count = [0; 8];
    socket
        .read_exact(&mut count)
        .context("the server did not answer its byte count")?;
    let seconds = started.elapsed().as_secs_f64();
    let bytes = u64::from_le_bytes(count);
    ensure!(
        bytes == sent * chunk as u64,
        "the server counted {bytes} bytes of the {} sent",
        sent * chunk as u64
    );
    Ok(StreamReport {
        bytes,
        items: sent,
        seconds,
    })
}
