//! The flags and the report of the one-way streaming clients (`tonic-stream-client`,
//! `raw-pipe-client`): the same flags and JSON fields as `ferry bench --stream`, so that
//! `stream.py` drives and reads every one of them alike.

use std::{net::SocketAddr, time::Duration};

use anyhow::ensure;

use crate::load::{duration, resolve, size};

/// Which way the bytes go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Direction {
    /// Server to client: the server sends, the client counts what arrives.
    Down,
    /// Client to server: the client sends, the server counts and answers the total.
    Up,
}

/// `ADDR --direction down|up --chunk BYTES --duration SECS`.
#[derive(Debug, Clone, clap::Args)]
pub struct StreamArgs {
    /// The server: HOST:PORT.
    #[arg(value_name = "ADDR")]
    pub addr: String,
    /// Which way the bytes go: down (server to client) or up (client to server).
    #[arg(long, value_enum)]
    pub direction: Direction,
    /// Bytes per item (per write, for the raw pipe): a number, optionally with K/KiB/M/MiB.
    #[arg(long, value_name = "BYTES", default_value = "65536", value_parser = size)]
    pub chunk: usize,
    /// How long bytes are sent: seconds, or a duration such as 500ms.
    #[arg(long, value_name = "SECS", default_value = "5", value_parser = duration)]
    pub duration: Duration,
    /// Accepted for the same command line as `ferry bench --stream ... --json`: the report is
    /// always one JSON line.
    #[arg(long)]
    pub json: bool,
}

impl StreamArgs {
    /// `ADDR` resolved to its first socket address.
    pub fn socket_addr(&self) -> anyhow::Result<SocketAddr> {
        resolve(&self.addr)
    }

    /// How long a run lasts, with no cap on items: what the command line asks for.
    pub fn limit(&self) -> anyhow::Result<Limit> {
        // An empty item would make a run that moves nothing look busy forever.
        ensure!(self.chunk > 0, "--chunk must be at least 1 byte");
        ensure!(!self.duration.is_zero(), "--duration must be more than 0");
        Ok(Limit {
            duration: self.duration,
            items: None,
        })
    }
}

/// When a run stops: once `duration` has passed, or after `items` items, whichever comes first.
/// The binaries run for a duration; the tests move an exact number of items to check the count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// The longest the run lasts.
    pub duration: Duration,
    /// The most items sent (`None`: as many as fit in `duration`).
    pub items: Option<u64>,
}

impl Limit {
    /// A run of exactly `items` items, with `duration` as a safety net.
    pub fn items(items: u64, duration: Duration) -> Limit {
        Limit {
            duration,
            items: Some(items),
        }
    }
}

/// What one run moved: payload bytes only (no framing), counted by the receiving side.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StreamReport {
    /// Payload bytes that arrived.
    pub bytes: u64,
    /// Items that arrived (for the raw pipe, which has no items: whole chunks' worth of bytes).
    pub items: u64,
    /// From the start of the stream to the last byte counted.
    pub seconds: f64,
}

impl StreamReport {
    /// Megabytes (10^6 bytes) per second.
    pub fn mb_per_s(&self) -> f64 {
        self.per_second(self.bytes) / 1e6
    }

    /// Items per second.
    pub fn items_per_s(&self) -> f64 {
        self.per_second(self.items)
    }

    fn per_second(&self, count: u64) -> f64 {
        match self.seconds > 0.0 {
            true => count as f64 / self.seconds,
            false => 0.0,
        }
    }

    /// The report as one JSON object on one line, with the fields `ferry bench --stream --json`
    /// reports.
    pub fn to_json(&self) -> String {
        format!(
            r#"{{"mb_per_s":{:.3},"items_per_s":{:.1},"bytes":{},"items":{},"seconds":{:.6}}}"#,
            self.mb_per_s(),
            self.items_per_s(),
            self.bytes,
            self.items,
            self.seconds
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_per_second_in_decimal_megabytes() {
        let report = StreamReport {
            bytes: 3_000_000,
            items: 40,
            seconds: 2.0,
        };
        assert_eq!(report.mb_per_s(), 1.5);
        assert_eq!(report.items_per_s(), 20.0);
        assert_eq!(
            report.to_json(),
            r#"{"mb_per_s":1.500,"items_per_s":20.0,"bytes":3000000,"items":40,"seconds":2.000000}"#
        );
    }

    #[test]
    fn an_empty_run_reports_zero_rates() {
        let report = StreamReport {
            bytes: 0,
            items: 0,
            seconds: 0.0,
        };
        assert_eq!(report.mb_per_s(), 0.0);
        assert_eq!(report.items_per_s(), 0.0);
    }
}
