//! The client flags, the same as `ferry bench`'s, and one run of the shared load engine.

use std::{
    net::{SocketAddr, ToSocketAddrs as _},
    time::Duration,
};

use anyhow::Context as _;
use ferry_load::{LoadConfig, Report, Target};

/// `ADDR --payload --conns --inflight --duration --warmup --rate --json`.
#[derive(Debug, Clone, clap::Args)]
pub struct LoadArgs {
    /// The server: HOST:PORT.
    #[arg(value_name = "ADDR")]
    pub addr: String,
    /// Payload bytes per call: a number, optionally with K/KiB/M/MiB (1 KiB = 1024 bytes).
    #[arg(long, value_name = "BYTES", default_value = "64", value_parser = size)]
    pub payload: usize,
    /// Connections opened to the server.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub conns: usize,
    /// Calls outstanding at once on each connection.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub inflight: usize,
    /// How long calls are measured: seconds, or a duration such as 500ms.
    #[arg(long, value_name = "SECS", default_value = "5", value_parser = duration)]
    pub duration: Duration,
    /// How long calls run, unrecorded, before measuring.
    #[arg(long, value_name = "SECS", default_value = "1", value_parser = duration)]
    pub warmup: Duration,
    /// Open loop: total calls per second over all connections (default: closed loop).
    #[arg(long, value_name = "CALLS_PER_SEC")]
    pub rate: Option<f64>,
    /// Print the report as one JSON object instead of lines for people.
    #[arg(long)]
    pub json: bool,
}

impl LoadArgs {
    /// The engine settings these flags describe; the progress bar only for people.
    pub fn config(&self) -> LoadConfig {
        LoadConfig::default()
            .conns(self.conns)
            .inflight(self.inflight)
            .duration(self.duration)
            .warmup(self.warmup)
            .rate(self.rate)
            .payload(self.payload)
            .progress(!self.json)
    }

    /// `ADDR` resolved to its first socket address.
    pub fn socket_addr(&self) -> anyhow::Result<SocketAddr> {
        resolve(&self.addr)
    }
}

/// `address` (HOST:PORT) resolved to its first socket address.
pub(crate) fn resolve(address: &str) -> anyhow::Result<SocketAddr> {
    address
        .to_socket_addrs()
        .with_context(|| format!("{address} is not a HOST:PORT address"))?
        .next()
        .with_context(|| format!("{address} resolves to no address"))
}

/// Runs the load engine against the target `make` builds for `ADDR`, then prints the report.
pub fn run_client<T: Target>(
    args: &LoadArgs,
    make: impl FnOnce(SocketAddr) -> T,
) -> anyhow::Result<()> {
    let target = make(args.socket_addr()?);
    let runtime = tokio::runtime::Runtime::new().context("cannot start the runtime")?;
    let report = runtime.block_on(ferry_load::run(target, args.config()))?;
    print_report(&report, args.json);
    Ok(())
}

/// Prints `report` on stdout: one JSON object, or lines for people.
pub fn print_report(report: &Report, json: bool) {
    match json {
        true => println!("{}", report.to_json()),
        false => print!("{report}"),
    }
}

/// Fails a call whose echo is not as long as what was sent; `Err` is a status name.
pub fn check_echo(sent: usize, echoed: usize) -> Result<(), String> {
    match sent == echoed {
        true => Ok(()),
        false => Err("wrong_echo".to_owned()),
    }
}

/// A size in bytes: `64`, `1K`, `1KiB`, `16kib`, `1M`, `1MiB`.
pub(crate) fn size(text: &str) -> Result<usize, String> {
    let lower = text.trim().to_ascii_lowercase();
    let digits_end = lower
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(lower.len());
    let (number, unit) = lower.split_at(digits_end);
    let number: usize = number
        .parse()
        .map_err(|_| format!("{text:?} is not a size such as 64, 1KiB or 16K"))?;
    let scale = match unit.trim() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1024,
        "m" | "mb" | "mib" => 1024 * 1024,
        other => return Err(format!("unknown size unit {other:?}: use K or M")),
    };
    number
        .checked_mul(scale)
        .ok_or_else(|| format!("{text:?} is too large"))
}

/// A duration: plain seconds (`3`, `0.5`) or with a unit (`500ms`, `2s`, `1m`).
pub(crate) fn duration(text: &str) -> Result<Duration, String> {
    match text.parse::<f64>() {
        Ok(seconds) => Duration::try_from_secs_f64(seconds).map_err(|err| err.to_string()),
        Err(_) => humantime::parse_duration(text).map_err(|err| format!("{text:?}: {err}")),
    }
}

/// Connects a client to `address` with Nagle's algorithm off, as every framework's client is.
pub async fn connect(address: std::net::SocketAddr) -> Result<tokio::net::TcpStream, String> {
    let socket = tokio::net::TcpStream::connect(address)
        .await
        .map_err(|err| format!("cannot connect to {address}: {err}"))?;
    socket.set_nodelay(true).map_err(|err| err.to_string())?;
    Ok(socket)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_take_binary_units() {
        assert_eq!(size("64"), Ok(64));
        assert_eq!(size("1KiB"), Ok(1024));
        assert_eq!(size("16k"), Ok(16384));
        assert_eq!(size("1M"), Ok(1 << 20));
        assert!(size("KiB").is_err());
        assert!(size("3 parsecs").is_err());
    }

    #[test]
    fn durations_are_seconds_or_have_a_unit() {
        assert_eq!(duration("3"), Ok(Duration::from_secs(3)));
        assert_eq!(duration("0.5"), Ok(Duration::from_millis(500)));
        assert_eq!(duration("250ms"), Ok(Duration::from_millis(250)));
        assert!(duration("-1").is_err());
        assert!(duration("soon").is_err());
    }
}
