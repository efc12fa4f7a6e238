//! `GET /status.json`: what the dashboard (`/status`) and `ferry top` draw, as one JSON object.
//!
//! ```text
//! {
//!   "server":  {"version", "uptime_seconds", "started_unix", "pid"},
//!   "limits":  {"max_frame_len": 16777216, "max_in_flight_per_connection": 4096, ...},
//!   "services": [{"name": "calc", "methods": ["add", ...]}],
//!   "connections": {"native": 2, "http": 1, "lpjson": 0},
//!   "totals":  {"calls", "rate", "error_rate", "in_flight", "received_bytes", "sent_bytes",
//!               "protocol_errors", "refusals": {"max_in_flight": 0, ...}, "history": [...]},
//!   "process": {"resident_bytes", "cpu_seconds", "open_fds", ...},
//!   "methods": [{"name": "calc.add", "calls", "rate", "error_rate", "errors": {"invalid_args": 3},
//!                "in_flight", "p50_seconds", "p99_seconds", "history": [{"t", "rate",
//!                "error_rate", "p50_seconds", "p99_seconds"}, ...]}]
//! }
//! ```
//!
//! Rates and percentiles are those of the last second; `history` holds one point a second for
//! the last [`HISTORY_LEN`](super::HISTORY_LEN) seconds, oldest first.

use std::collections::BTreeMap;

use ferry_wire::Status;
use serde::Serialize;
use serde_json::{Map, Value};

use super::{
    history::{merged, History, Point},
    ProcessFigures, Telemetry,
};
use crate::{
    server::{ConnectionKind, Limit, ServerStats},
    ServiceDescriptor,
};

/// The whole report.
#[derive(Debug, Serialize)]
pub struct StatusReport {
    /// Which server, since when.
    pub server: ServerInfo,
    /// The limits in force, by name.
    pub limits: Map<String, Value>,
    /// The services served and their methods.
    pub services: Vec<ServiceSummary>,
    /// Connections open now, by dialect.
    pub connections: BTreeMap<&'static str, i64>,
    /// The whole server's figures.
    pub totals: Totals,
    /// The process's figures.
    pub process: ProcessFigures,
    /// Each method's figures, by service then method, `_other` last.
    pub methods: Vec<MethodStatus>,
}

/// Which server, since when.
#[derive(Debug, Serialize)]
pub struct ServerInfo {
    /// ferry's version.
    pub version: &'static str,
    /// Seconds since the server started.
    pub uptime_seconds: f64,
    /// When it started, in seconds since the Unix epoch.
    pub started_unix: f64,
    /// The process id.
    pub pid: u32,
}

/// A service and the names of its methods.
#[derive(Debug, Serialize)]
pub struct ServiceSummary {
    /// The service's name.
    pub name: String,
    /// Its methods' names.
    pub methods: Vec<String>,
}

/// The whole server's figures.
#[derive(Debug, Serialize)]
pub struct Totals {
    /// Calls answered since the start.
    pub calls: u64,
    /// Calls a second, over the last second.
    pub rate: f64,
    /// Calls a second ending in an error, over the last second.
    pub error_rate: f64,
    /// Calls running now.
    pub in_flight: i64,
    /// Bytes read from connections.
    pub received_bytes: u64,
    /// Bytes written to connections.
    pub sent_bytes: u64,
    /// Connections closed for breaking their dialect's rules.
    pub protocol_errors: u64,
    /// Refusals by limit.
    pub refusals: BTreeMap<&'static str, u64>,
    /// The last minutes, one point a second.
    pub history: Vec<Point>,
}

/// One method's figures.
#[derive(Debug, Serialize)]
pub struct MethodStatus {
    /// `service.method`.
    pub name: String,
    /// Calls answered since the start.
    pub calls: u64,
    /// Calls a second, over the last second.
    pub rate: f64,
    /// Calls a second ending in an error, over the last second.
    pub error_rate: f64,
    /// Calls since the start by error status (only statuses that occurred).
    pub errors: BTreeMap<&'static str, u64>,
    /// Calls running now.
    pub in_flight: i64,
    /// Median latency over the last second, in seconds.
    pub p50_seconds: Option<f64>,
    /// 99th percentile latency over the last second, in seconds.
    pub p99_seconds: Option<f64>,
    /// The last minutes, one point a second.
    pub history: Vec<Point>,
}

/// The report now; `limits` are those the caller knows are in force.
pub fn report(
    telemetry: &Telemetry,
    stats: &ServerStats,
    services: &[ServiceDescriptor],
    limits: Map<String, Value>,
) -> StatusReport {
    // One lock for the methods and the totals: they come from the same second.
    let history = telemetry.history();
    let methods = method_statuses(telemetry, &history);
    let latest = history.total.latest();
    let totals = Totals {
        calls: methods.iter().map(|m| m.calls).sum(),
        rate: latest.rate,
        error_rate: latest.error_rate,
        in_flight: methods.iter().map(|m| m.in_flight).sum(),
        received_bytes: stats.received_bytes(),
        sent_bytes: stats.sent_bytes(),
        protocol_errors: stats.protocol_errors(),
        refusals: Limit::ALL
            .iter()
            .map(|l| (l.name(), stats.refusals(*l)))
            .collect(),
        history: history.total.points.iter().copied().collect(),
    };
    drop(history);
    StatusReport {
        server: ServerInfo {
            version: env!("CARGO_PKG_VERSION"),
            uptime_seconds: telemetry.uptime().as_secs_f64(),
            started_unix: telemetry.started_unix(),
            pid: std::process::id(),
        },
        limits,
        services: services.iter().map(summary).collect(),
        connections: ConnectionKind::ALL
            .iter()
            .map(|k| (k.name(), stats.open(*k)))
            .collect(),
        totals,
        process: ProcessFigures::read(),
        methods,
    }
}

fn summary(service: &ServiceDescriptor) -> ServiceSummary {
    ServiceSummary {
        name: service.name.clone(),
        methods: service.methods.iter().map(|m| m.name.clone()).collect(),
    }
}

fn method_statuses(telemetry: &Telemetry, history: &History) -> Vec<MethodStatus> {
    let methods = telemetry.methods().iter().zip(&history.methods);
    methods
        .map(|(metrics, series)| {
            let by_status = metrics.by_status();
            let (all, _) = merged(&by_status);
            let errors = Status::ALL
                .iter()
                .zip(&by_status)
                .filter(|(status, counts)| **status != Status::Ok && counts.count() > 0)
                .map(|(status, counts)| (status.name(), counts.count()))
                .collect();
            let latest = series.latest();
            MethodStatus {
                name: format!("{}.{}", metrics.service(), metrics.method()),
                calls: all.count(),
                rate: latest.rate,
                error_rate: latest.error_rate,
                errors,
                in_flight: metrics.in_flight(),
                p50_seconds: latest.p50_seconds,
                p99_seconds: latest.p99_seconds,
                history: series.points.iter().copied().collect(),
            }
        })
        .collect()
}
