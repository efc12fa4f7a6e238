//! A producer as fast as flow control lets it be, for measuring what slow consumers cost: the
//! `mem` service, whose `flood` allocates a fresh chunk for every item it streams, so what the
//! server holds shows in its resident memory.

use ferry::{Bytes, CallError, Sink};

/// Streams fresh chunks until the caller goes away.
#[ferry::service]
pub trait Mem {
    /// `chunk`-byte items, each newly allocated, for ever.
    async fn flood(&self, chunk: u32, out: Sink<Bytes>) -> Result<(), CallError>;
}

/// The [`Mem`] service.
#[derive(Debug, Clone, Copy, Default)]
pub struct Flood;

impl Mem for Flood {
    async fn flood(&self, chunk: u32, mut out: Sink<Bytes>) -> Result<(), CallError> {
        let len = usize::try_from(chunk).unwrap_or(usize::MAX);
        loop {
            out.send(Bytes::from(vec![1u8; len])).await?;
        }
    }
}

/// The resident memory of process `pid` (`self` for this one), in bytes, from `/proc`.
pub fn resident_bytes(pid: &str) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line = status
        .lines()
        .find(|line| line.starts_with("VmRSS:"))
        .ok_or_else(|| anyhow::anyhow!("no VmRSS in /proc/{pid}/status"))?;
    let kib: u64 = line
        .split_whitespace()
        .nth(1)
        .ok_or_else(|| anyhow::anyhow!("a VmRSS line without a number: {line}"))?
        .parse()?;
    Ok(kib * 1024)
}
