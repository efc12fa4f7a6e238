//! What `ferry top` reads from `/status.json`, the order its methods are shown in, and the
//! text of every cell: pure functions, so the table is tested without a terminal.

use std::{cmp::Ordering, collections::BTreeMap};

use serde::Deserialize;

/// The parts of a server's `/status.json` that `ferry top` shows. Fields it does not draw
/// (limits, history, ...) are skipped, and missing optional ones default, so a newer or older
/// server still reads.
#[derive(Debug, Clone, Default, Deserialize)]
pub(super) struct Status {
    /// Which server, since when.
    #[serde(default)]
    pub(super) server: Server,
    /// Connections open now, by dialect.
    #[serde(default)]
    pub(super) connections: BTreeMap<String, i64>,
    /// The whole server's figures.
    pub(super) totals: Totals,
    /// The process's figures.
    #[serde(default)]
    pub(super) process: Process,
    /// Each method's figures.
    pub(super) methods: Vec<Method>,
}

/// Which server, since when.
#[derive(Debug, Clone, Default, Deserialize)]
pub(super) struct Server {
    /// ferry's version.
    #[serde(default)]
    pub(super) version: String,
    /// Seconds since the server started.
    #[serde(default)]
    pub(super) uptime_seconds: f64,
}

/// The whole server's figures; rates are those of the last second.
#[derive(Debug, Clone, Default, Deserialize)]
pub(super) struct Totals {
    /// Calls a second.
    #[serde(default)]
    pub(super) rate: f64,
    /// Calls a second ending in an error.
    #[serde(default)]
    pub(super) error_rate: f64,
    /// Calls running now.
    #[serde(default)]
    pub(super) in_flight: i64,
}

/// The process's figures, each absent where the platform does not tell.
#[derive(Debug, Clone, Default, Deserialize)]
pub(super) struct Process {
    /// Resident memory, in bytes.
    #[serde(default)]
    pub(super) resident_bytes: Option<u64>,
}

/// One method's figures; rates and percentiles are those of the last second.
#[derive(Debug, Clone, Default, Deserialize)]
pub(super) struct Method {
    /// `service.method`.
    pub(super) name: String,
    /// Calls answered since the start.
    #[serde(default)]
    pub(super) calls: u64,
    /// Calls a second.
    #[serde(default)]
    pub(super) rate: f64,
    /// Calls a second ending in an error.
    #[serde(default)]
    pub(super) error_rate: f64,
    /// Calls since the start by error status.
    #[serde(default)]
    pub(super) errors: BTreeMap<String, u64>,
    /// Calls running now.
    #[serde(default)]
    pub(super) in_flight: i64,
    /// Median latency in seconds; `None` when there were no calls in the last second.
    #[serde(default)]
    pub(super) p50_seconds: Option<f64>,
    /// 99th percentile latency in seconds; `None` as for `p50_seconds`.
    #[serde(default)]
    pub(super) p99_seconds: Option<f64>,
}

impl Method {
    /// Calls since the start that ended in any error.
    fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }
}

/// The column the table is sorted by, biggest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Sort {
    /// Calls a second.
    Rate,
    /// Errors a second, then errors since the start.
    Errors,
    /// 99th percentile latency.
    Latency,
}

impl Sort {
    /// The column whose heading carries the sort mark.
    pub(super) fn column(self) -> usize {
        match self {
            Sort::Rate => 1,
            Sort::Errors => 2,
            Sort::Latency => 5,
        }
    }

    /// The flag's word for it, as the footer names it.
    pub(super) fn name(self) -> &'static str {
        match self {
            Sort::Rate => "rate",
            Sort::Errors => "errors",
            Sort::Latency => "latency",
        }
    }
}

/// The table's headings, in column order.
pub(super) const HEADINGS: [&str; 8] = [
    "METHOD",
    "RATE/s",
    "ERR/s",
    "ERRORS",
    "P50",
    "P99",
    "IN FLIGHT",
    "CALLS",
];

/// One row of the table: a cell's text per heading.
pub(super) type Row = [String; HEADINGS.len()];

/// The methods to show, in order: those never called are left out unless `all`, since a
/// server's dozens of idle methods would push the busy ones off the screen.
pub(super) fn ordered(methods: &[Method], sort: Sort, all: bool) -> Vec<&Method> {
    let mut shown: Vec<&Method> = methods.iter().filter(|m| all || m.calls > 0).collect();
    shown.sort_by(|a, b| compare(a, b, sort).then_with(|| a.name.cmp(&b.name)));
    shown
}

/// `a` before `b` when it is bigger by `sort`. Ties fall to a figure that still tells the
/// methods apart once the last second was quiet: the totals since the start.
fn compare(a: &Method, b: &Method, sort: Sort) -> Ordering {
    match sort {
        Sort::Rate => b.rate.total_cmp(&a.rate).then(b.calls.cmp(&a.calls)),
        Sort::Errors => b
            .error_rate
            .total_cmp(&a.error_rate)
            .then(b.error_count().cmp(&a.error_count())),
        Sort::Latency => bigger_first(a.p99_seconds, b.p99_seconds)
            .then(bigger_first(a.p50_seconds, b.p50_seconds))
            .then(b.calls.cmp(&a.calls)),
    }
}

/// Biggest first, and no figure at all (no calls in the last second) after any figure.
fn bigger_first(a: Option<f64>, b: Option<f64>) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) => b.total_cmp(&a),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

/// The table's rows: the methods [`ordered`] picks, each as its cells' text.
pub(super) fn rows(status: &Status, sort: Sort, all: bool) -> Vec<Row> {
    ordered(&status.methods, sort, all)
        .into_iter()
        .map(row)
        .collect()
}

fn row(method: &Method) -> Row {
    [
        method.name.clone(),
        rate(method.rate),
        rate(method.error_rate),
        errors(&method.errors),
        latency(method.p50_seconds),
        latency(method.p99_seconds),
        method.in_flight.to_string(),
        method.calls.to_string(),
    ]
}

/// A rate a second: `0` when idle, one decimal while small, whole numbers once large.
pub(super) fn rate(per_second: f64) -> String {
    if per_second == 0.0 {
        "0".to_owned()
    } else if per_second < 1000.0 {
        format!("{per_second:.1}")
    } else {
        format!("{per_second:.0}")
    }
}

/// Errors since the start by status, the most frequent first: `application:3 deadline_exceeded:1`.
fn errors(by_status: &BTreeMap<String, u64>) -> String {
    let mut counts: Vec<(&String, &u64)> = by_status.iter().filter(|(_, n)| **n > 0).collect();
    if counts.is_empty() {
        return "-".to_owned();
    }
    counts.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let parts: Vec<String> = counts.iter().map(|(s, n)| format!("{s}:{n}")).collect();
    parts.join(" ")
}

/// A latency in µs, ms or s with about three figures; `-` when there is none.
pub(super) fn latency(seconds: Option<f64>) -> String {
    let Some(seconds) = seconds else {
        return "-".to_owned();
    };
    if seconds < 1e-3 {
        format!("{:.0}µs", seconds * 1e6)
    } else if seconds < 1.0 {
        three_figures(seconds * 1e3, "ms")
    } else {
        three_figures(seconds, "s")
    }
}

/// `value` (at least 1) with about three significant figures, then `unit`.
fn three_figures(value: f64, unit: &str) -> String {
    if value < 10.0 {
        format!("{value:.2}{unit}")
    } else if value < 100.0 {
        format!("{value:.1}{unit}")
    } else {
        format!("{value:.0}{unit}")
    }
}

/// An uptime to the second while short, coarser once long: `42s`, `5m07s`, `3h02m`, `4d05h`.
pub(super) fn uptime(seconds: f64) -> String {
    // Whole seconds: the server's clock is read to the microsecond but shown to the second.
    let total = seconds.max(0.0) as u64;
    let (days, hours, minutes, secs) = (
        total / 86_400,
        total / 3600 % 24,
        total / 60 % 60,
        total % 60,
    );
    if days > 0 {
        format!("{days}d{hours:02}h")
    } else if hours > 0 {
        format!("{hours}h{minutes:02}m")
    } else if minutes > 0 {
        format!("{minutes}m{secs:02}s")
    } else {
        format!("{secs}s")
    }
}

/// A size in binary units: `812 B`, `12.3 MiB`; `?` when unknown.
pub(super) fn bytes(size: Option<u64>) -> String {
    let Some(size) = size else {
        return "?".to_owned();
    };
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if size < 1024 {
        return format!("{size} B");
    }
    let mut value = size as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// Open connections by dialect, the native protocol first: `native 2 http 1 lpjson 0`.
pub(super) fn connections(by_dialect: &BTreeMap<String, i64>) -> String {
    const FIRST: [&str; 3] = ["native", "http", "lpjson"];
    let known = FIRST
        .iter()
        .filter_map(|name| by_dialect.get_key_value(*name));
    let others = by_dialect
        .iter()
        .filter(|(name, _)| !FIRST.contains(&name.as_str()));
    let parts: Vec<String> = known
        .chain(others)
        .map(|(name, open)| format!("{name} {open}"))
        .collect();
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn method(name: &str, calls: u64, rate: f64, errors: &[(&str, u64)]) -> Method {
        Method {
            name: name.to_owned(),
            calls,
            rate,
            errors: errors.iter().map(|(s, n)| ((*s).to_owned(), *n)).collect(),
            ..Method::default()
        }
    }

    fn names(methods: &[Method], sort: Sort, all: bool) -> Vec<&str> {
        let shown = ordered(methods, sort, all);
        shown.iter().map(|m| m.name.as_str()).collect()
    }

    #[test]
    fn status_json_parses_and_skips_what_is_not_drawn() {
        let text = r#"{
            "server": {"version": "0.1.0", "uptime_seconds": 12.5, "started_unix": 1, "pid": 9},
            "limits": {"max_frame_len": 16777216},
            "services": [{"name": "calc", "methods": ["add"]}],
            "connections": {"native": 2, "http": 1, "lpjson": 0},
            "totals": {"calls": 7, "rate": 3.0, "error_rate": 1.0, "in_flight": 1,
                       "refusals": {}, "history": [{"t": 1, "rate": 1}]},
            "process": {"resident_bytes": 2048, "cpu_seconds": 0.5},
            "methods": [{"name": "calc.add", "calls": 7, "rate": 3.0, "error_rate": 1.0,
                         "errors": {"application": 2}, "in_flight": 1,
                         "p50_seconds": 0.00004, "p99_seconds": null, "history": []}]
        }"#;
        let status: Status = serde_json::from_str(text).expect("a status");
        assert_eq!(status.server.version, "0.1.0");
        assert_eq!(status.process.resident_bytes, Some(2048));
        assert_eq!(connections(&status.connections), "native 2 http 1 lpjson 0");
        let rows = rows(&status, Sort::Rate, false);
        let want = [
            "calc.add",
            "3.0",
            "1.0",
            "application:2",
            "40µs",
            "-",
            "1",
            "7",
        ];
        assert_eq!(rows, vec![want.map(str::to_owned)]);
    }

    #[test]
    fn something_else_than_a_status_is_refused() {
        assert!(serde_json::from_str::<Status>(r#"{"jsonrpc": "2.0"}"#).is_err());
    }

    #[test]
    fn methods_never_called_are_hidden_unless_all() {
        let methods = [method("b.idle", 0, 0.0, &[]), method("a.busy", 5, 0.0, &[])];
        assert_eq!(names(&methods, Sort::Rate, false), ["a.busy"]);
        assert_eq!(names(&methods, Sort::Rate, true), ["a.busy", "b.idle"]);
    }

    #[test]
    fn rate_sorts_by_the_last_second_then_by_calls_then_by_name() {
        let methods = [
            method("c", 100, 1.0, &[]),
            method("b", 10, 5.0, &[]),
            method("a", 100, 1.0, &[]),
            method("d", 500, 0.0, &[]),
        ];
        assert_eq!(names(&methods, Sort::Rate, false), ["b", "a", "c", "d"]);
    }

    #[test]
    fn errors_sort_by_error_rate_then_by_errors_since_the_start() {
        let mut recent = method("recent", 3, 1.0, &[("application", 1)]);
        recent.error_rate = 1.0;
        let methods = [
            method("clean", 100, 9.0, &[]),
            method("old", 9, 0.0, &[("application", 5), ("timeout", 2)]),
            recent,
        ];
        assert_eq!(
            names(&methods, Sort::Errors, false),
            ["recent", "old", "clean"]
        );
    }

    #[test]
    fn latency_sorts_by_p99_with_quiet_methods_last() {
        let timed = |name: &str, p50: Option<f64>, p99: Option<f64>| Method {
            p50_seconds: p50,
            p99_seconds: p99,
            ..method(name, 1, 0.0, &[])
        };
        let methods = [
            timed("quiet", None, None),
            timed("fast", Some(0.001), Some(0.002)),
            timed("slow", Some(0.001), Some(0.5)),
            timed("median", Some(0.003), Some(0.002)),
        ];
        assert_eq!(
            names(&methods, Sort::Latency, false),
            ["slow", "median", "fast", "quiet"]
        );
    }

    #[test]
    fn errors_print_most_frequent_first() {
        let by_status = |pairs: &[(&str, u64)]| -> BTreeMap<String, u64> {
            pairs.iter().map(|(s, n)| ((*s).to_owned(), *n)).collect()
        };
        assert_eq!(errors(&by_status(&[])), "-");
        assert_eq!(
            errors(&by_status(&[("application", 1), ("timeout", 4)])),
            "timeout:4 application:1"
        );
    }

    #[test]
    fn latencies_take_microseconds_milliseconds_or_seconds() {
        assert_eq!(latency(None), "-");
        assert_eq!(latency(Some(0.0)), "0µs");
        assert_eq!(latency(Some(0.000_042_4)), "42µs");
        assert_eq!(latency(Some(0.001_234)), "1.23ms");
        assert_eq!(latency(Some(0.012_34)), "12.3ms");
        assert_eq!(latency(Some(0.123_4)), "123ms");
        assert_eq!(latency(Some(2.5)), "2.50s");
        assert_eq!(latency(Some(150.0)), "150s");
    }

    #[test]
    fn rates_uptimes_and_sizes_read_at_a_glance() {
        assert_eq!(
            [rate(0.0), rate(0.26), rate(999.94), rate(12345.6)],
            ["0", "0.3", "999.9", "12346"]
        );
        assert_eq!(
            [42.9, 307.0, 10_920.0, 363_600.0].map(uptime),
            ["42s", "5m07s", "3h02m", "4d05h"]
        );
        assert_eq!(bytes(None), "?");
        assert_eq!(bytes(Some(812)), "812 B");
        assert_eq!(bytes(Some(12_897_485)), "12.3 MiB");
        assert_eq!(bytes(Some(3 << 40)), "3.0 TiB");
    }
}
