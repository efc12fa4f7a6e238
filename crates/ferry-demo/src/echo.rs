//! `echo`: sends back what it gets; the benchmark target. `whoami` sends back what the server
//! knows of the call itself; `count`, `sum`, `chat`, `source` and `sink` stream.

use std::collections::BTreeMap;

use ferry::{Bytes, CallError, Context, Sink, Source, Status};
use serde::{Deserialize, Serialize};

/// What a call looks like from the server's side, as `echo.whoami` reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct WhoAmI {
    /// The full method name called.
    pub method: String,
    /// The metadata the call carried, by key (the last value of a repeated key).
    pub metadata: BTreeMap<String, String>,
    /// The caller's address.
    pub peer: String,
    /// The dialect the call came in on: native, jsonrpc, xmlrpc, rest or lpjson.
    pub dialect: String,
    /// Milliseconds left before the call's deadline as the handler saw it; none without one.
    pub deadline_ms: Option<u64>,
}

/// Sends back what it gets.
#[ferry::service]
pub trait Echo {
    /// Returns `data` unchanged.
    async fn echo(&self, data: Bytes) -> Bytes;
    /// Returns `text` unchanged.
    async fn ping(&self, text: String) -> String;
    /// Describes this call as the server sees it: method, metadata, peer, dialect and the
    /// milliseconds left before its deadline.
    async fn whoami(&self, ctx: &Context) -> WhoAmI;
    /// Streams the integers `0..n`, `n` at most 10,000,000.
    async fn count(&self, n: u64, out: Sink<u64>) -> Result<(), CallError>;
    /// Adds a stream of integers.
    async fn sum(&self, numbers: Source<i64>) -> Result<i64, CallError>;
    /// Answers each line of a stream as it comes: `"1: first line"`, `"2: second"`, ...
    async fn chat(&self, lines: Source<String>, out: Sink<String>) -> Result<(), CallError>;
    /// Streams `size` zero bytes (at most 64 GiB) in chunks of `chunk` bytes (at most 1 MiB):
    /// a source for measuring bandwidth.
    async fn source(
        &self,
        size: u64,
        #[ferry(default = 65536)] chunk: u32,
        out: Sink<Bytes>,
    ) -> Result<(), CallError>;
    /// Counts the bytes of a stream of chunks: a sink for measuring bandwidth.
    async fn sink(&self, chunks: Source<Bytes>) -> Result<u64, CallError>;
}

/// The most `echo.count` counts to.
pub(crate) const MAX_COUNT: u64 = 10_000_000;
/// The most bytes `echo.source` sends in one call.
pub(crate) const MAX_SOURCE: u64 = 64 << 30;
/// The largest chunk `echo.source` sends.
pub(crate) const MAX_CHUNK: u32 = 1 << 20;

/// What `echo.source` sends: zeros, shared rather than allocated per chunk.
static ZEROS: [u8; MAX_CHUNK as usize] = [0; MAX_CHUNK as usize];

fn invalid(message: String) -> CallError {
    CallError::new(Status::InvalidArgs, message)
}

/// The [`Echo`] service.
#[derive(Debug, Clone, Copy, Default)]
pub struct Echoer;

impl Echo for Echoer {
    async fn echo(&self, data: Bytes) -> Bytes {
        data
    }

    async fn ping(&self, text: String) -> String {
        text
    }

    async fn whoami(&self, ctx: &Context) -> WhoAmI {
        let metadata = ctx.metadata_pairs();
        WhoAmI {
            method: ctx.method().to_owned(),
            metadata: metadata
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
            peer: ctx.peer().to_string(),
            dialect: ctx.dialect().to_string(),
            deadline_ms: ctx
                .time_left()
                .map(|left| u64::try_from(left.as_millis()).unwrap_or(u64::MAX)),
        }
    }

    async fn count(&self, n: u64, mut out: Sink<u64>) -> Result<(), CallError> {
        if n > MAX_COUNT {
            return Err(invalid(format!(
                "n is {n}; echo.count counts to at most {MAX_COUNT}"
            )));
        }
        for i in 0..n {
            out.send(i).await?;
        }
        Ok(())
    }

    async fn sum(&self, mut numbers: Source<i64>) -> Result<i64, CallError> {
        let mut total: i64 = 0;
        while let Some(number) = numbers.recv().await {
            total = total
                .checked_add(number?)
                .ok_or_else(|| invalid("the sum is beyond a 64-bit integer".to_owned()))?;
        }
        Ok(total)
    }

    async fn chat(
        &self,
        mut lines: Source<String>,
        mut out: Sink<String>,
    ) -> Result<(), CallError> {
        let mut heard = 0u64;
        while let Some(line) = lines.recv().await {
            heard += 1;
            out.send(format!("{heard}: {}", line?)).await?;
        }
        Ok(())
    }

    async fn source(&self, size: u64, chunk: u32, mut out: Sink<Bytes>) -> Result<(), CallError> {
        if size > MAX_SOURCE {
            return Err(invalid(format!(
                "size is {size}; echo.source sends at most {MAX_SOURCE} bytes"
            )));
        }
        if chunk == 0 || chunk > MAX_CHUNK {
            return Err(invalid(format!(
                "chunk is {chunk}; it must be 1 to {MAX_CHUNK} bytes"
            )));
        }
        let mut left = size;
        while left > 0 {
            let len = left.min(u64::from(chunk));
            left -= len;
            let len = usize::try_from(len).unwrap_or(ZEROS.len());
            out.send(Bytes::from_static(&ZEROS[..len])).await?;
        }
        Ok(())
    }

    async fn sink(&self, mut chunks: Source<Bytes>) -> Result<u64, CallError> {
        let mut total = 0u64;
        while let Some(chunk) = chunks.recv().await {
            total += chunk?.len() as u64;
        }
        Ok(total)
    }
}
