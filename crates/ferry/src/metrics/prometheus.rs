//! `GET /metrics`: the figures in the Prometheus text exposition format (version 0.0.4), with
//! the names of the OpenTelemetry RPC conventions as Prometheus spells them.
//!
//! ```text
//! # HELP rpc_server_call_duration_seconds ...
//! # TYPE rpc_server_call_duration_seconds histogram
//! rpc_server_call_duration_seconds_bucket{rpc_service="calc",rpc_method="add",rpc_status="ok",dialect="native",le="0.00001"} 0
//! ...
//! rpc_server_call_duration_seconds_bucket{...,le="+Inf"} 12
//! rpc_server_call_duration_seconds_sum{...} 0.000348
//! rpc_server_call_duration_seconds_count{...} 12
//! ```
//!
//! Every histogram is real (cumulative `_bucket`, `_sum`, `_count`), so the figures of many
//! servers add up. Series are written sorted by service and method.

use std::fmt::Write;

use super::{
    buckets::{bound_seconds, BUCKETS},
    histogram::Snapshot,
    ProcessFigures, Telemetry,
};
use crate::server::{ConnectionKind, Limit, ServerStats};

/// The content type of the text format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The name of the server-side call histogram.
pub const SERVER_DURATION: &str = "rpc_server_call_duration_seconds";

/// Writes every figure of a server: its calls, connections, bytes, errors, refusals and the
/// process's own.
pub fn render_server(telemetry: &Telemetry, stats: &ServerStats, out: &mut String) {
    render_calls(telemetry, out);
    render_connections(stats, out);
    render_traffic(stats, out);
    render_info(out);
    render_process(&ProcessFigures::read(), out);
}

fn render_calls(telemetry: &Telemetry, out: &mut String) {
    header(
        out,
        SERVER_DURATION,
        "histogram",
        "How long each call took, from its arrival to its answer, by method, status and dialect.",
    );
    for method in telemetry.methods() {
        for (dialect, status, snapshot) in method.outcomes() {
            let labels = [
                ("rpc_service", method.service()),
                ("rpc_method", method.method()),
                ("rpc_status", status.name()),
                ("dialect", dialect.name()),
            ];
            histogram(out, SERVER_DURATION, &labels, &snapshot);
        }
    }
    let name = "rpc_server_calls_in_flight";
    header(out, name, "gauge", "Calls running now, by method (a native call answered in its handler's first poll is never seen running).");
    for method in telemetry.methods() {
        let labels = [
            ("rpc_service", method.service()),
            ("rpc_method", method.method()),
        ];
        sample(out, name, &labels, method.in_flight());
    }
}

fn render_connections(stats: &ServerStats, out: &mut String) {
    let name = "ferry_server_connections_open";
    header(
        out,
        name,
        "gauge",
        "Connections open now, by the dialect their first bytes named.",
    );
    for kind in ConnectionKind::ALL {
        sample(out, name, &[("dialect", kind.name())], stats.open(kind));
    }
    let name = "ferry_server_connections_total";
    header(out, name, "counter", "Connections accepted.");
    sample(out, name, &[], stats.connections());
}

fn render_traffic(stats: &ServerStats, out: &mut String) {
    let counters = [
        (
            "ferry_server_received_bytes_total",
            "Bytes read from every connection.",
            stats.received_bytes(),
        ),
        (
            "ferry_server_sent_bytes_total",
            "Bytes written to every connection.",
            stats.sent_bytes(),
        ),
        (
            "ferry_server_protocol_errors_total",
            "Connections closed because the peer broke its dialect's rules.",
            stats.protocol_errors(),
        ),
        (
            "ferry_server_keepalive_timeouts_total",
            "Connections closed because the peer answered no ping in time.",
            stats.keepalive_timeouts(),
        ),
    ];
    for (name, help, value) in counters {
        header(out, name, "counter", help);
        sample(out, name, &[], value);
    }
    let name = "ferry_server_refusals_total";
    header(
        out,
        name,
        "counter",
        "Calls, requests or connections refused for going over a limit, by limit.",
    );
    for limit in Limit::ALL {
        sample(out, name, &[("limit", limit.name())], stats.refusals(limit));
    }
}

fn render_info(out: &mut String) {
    let name = "ferry_server_info";
    header(
        out,
        name,
        "gauge",
        "Always 1; the labels say which ferry this is.",
    );
    sample(out, name, &[("version", env!("CARGO_PKG_VERSION"))], 1);
}

/// The process figures, under the names every Prometheus client library uses.
pub fn render_process(figures: &ProcessFigures, out: &mut String) {
    let gauges = [
        (
            "process_resident_memory_bytes",
            "Resident memory size in bytes.",
            figures.resident_bytes.map(|v| v as f64),
        ),
        (
            "process_virtual_memory_bytes",
            "Virtual memory size in bytes.",
            figures.virtual_bytes.map(|v| v as f64),
        ),
        (
            "process_open_fds",
            "Number of open file descriptors.",
            figures.open_fds.map(|v| v as f64),
        ),
        (
            "process_max_fds",
            "Maximum number of open file descriptors.",
            figures.max_fds.map(|v| v as f64),
        ),
        (
            "process_start_time_seconds",
            "Start time of the process since unix epoch in seconds.",
            figures.start_time_seconds,
        ),
    ];
    if let Some(cpu) = figures.cpu_seconds {
        let name = "process_cpu_seconds_total";
        header(
            out,
            name,
            "counter",
            "Total user and system CPU time spent in seconds.",
        );
        sample(out, name, &[], cpu);
    }
    for (name, help, value) in gauges {
        if let Some(value) = value {
            header(out, name, "gauge", help);
            sample(out, name, &[], value);
        }
    }
}

/// Writes a family's `# HELP` and `# TYPE` lines.
pub(crate) fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

/// Writes one sample line.
pub(crate) fn sample(
    out: &mut String,
    name: &str,
    labels: &[(&str, &str)],
    value: impl std::fmt::Display,
) {
    out.push_str(name);
    write_labels(out, labels, None);
    let _ = writeln!(out, " {value}");
}

/// Writes a histogram's cumulative `_bucket` lines, its `_sum` and its `_count`.
pub(crate) fn histogram(
    out: &mut String,
    name: &str,
    labels: &[(&str, &str)],
    snapshot: &Snapshot,
) {
    let mut cumulative = 0;
    for bucket in 0..BUCKETS {
        cumulative += snapshot.buckets[bucket];
        let _ = write!(out, "{name}_bucket");
        let le = bound_seconds(bucket).map_or_else(|| "+Inf".to_owned(), |bound| bound.to_string());
        write_labels(out, labels, Some(&le));
        let _ = writeln!(out, " {cumulative}");
    }
    let _ = write!(out, "{name}_sum");
    write_labels(out, labels, None);
    let _ = writeln!(out, " {}", snapshot.sum_seconds());
    let _ = write!(out, "{name}_count");
    write_labels(out, labels, None);
    let _ = writeln!(out, " {cumulative}");
}

fn write_labels(out: &mut String, labels: &[(&str, &str)], le: Option<&str>) {
    if labels.is_empty() && le.is_none() {
        return;
    }
    out.push('{');
    let le = le.map(|le| ("le", le));
    for (i, (key, value)) in labels.iter().copied().chain(le).enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "{key}=\"");
        escape_into(out, value);
        out.push('"');
    }
    out.push('}');
}

/// A label value as the text format escapes it: backslash, double quote and line feed.
fn escape_into(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::{sync::Arc, time::Duration};

    use ferry_wire::Status;

    use super::*;
    use crate::{metrics::MethodMetrics, Dialect};

    #[test]
    fn a_histogram_is_cumulative_and_its_count_is_exact() {
        let method = Arc::new(MethodMetrics::new("calc", "add"));
        method.record_many(Dialect::Native, Status::Ok, 12_000, 3);
        method.record(Dialect::Native, Status::Ok, Duration::from_secs(200));
        let telemetry = Telemetry::new(vec![method], true);
        let mut out = String::new();
        render_calls(&telemetry, &mut out);
        let labels = r#"rpc_service="calc",rpc_method="add",rpc_status="ok",dialect="native""#;
        assert!(
            out.contains(&format!(
                "{SERVER_DURATION}_bucket{{{labels},le=\"0.00001\"}} 0\n"
            )),
            "{out}"
        );
        assert!(out.contains(&format!(
            "{SERVER_DURATION}_bucket{{{labels},le=\"0.000015\"}} 3\n"
        )));
        assert!(out.contains(&format!(
            "{SERVER_DURATION}_bucket{{{labels},le=\"100\"}} 3\n"
        )));
        assert!(out.contains(&format!(
            "{SERVER_DURATION}_bucket{{{labels},le=\"+Inf\"}} 4\n"
        )));
        assert!(out.contains(&format!("{SERVER_DURATION}_count{{{labels}}} 4\n")));
        assert!(
            out.contains(r#"rpc_server_calls_in_flight{rpc_service="calc",rpc_method="add"} 0"#)
        );
    }

    #[test]
    fn label_values_are_escaped() {
        let mut out = String::new();
        sample(&mut out, "x", &[("v", "a\"b\\c\nd")], 1);
        assert_eq!(out, "x{v=\"a\\\"b\\\\c\\nd\"} 1\n");
    }
}
