//! `/rpcz` and `/rpcz.json`: the calls the server kept, the most recent and the slowest.

use std::fmt::Write;

use ferry::metrics::{RecentCall, Telemetry, KEEP_ALL_BELOW, RECENT_LEN, SLOWEST_LEN};
use serde_json::{json, Value};

/// The kept calls as JSON: how they were picked, then the most recent and the slowest.
pub(super) fn json(telemetry: &Telemetry) -> Value {
    let (recent, slowest) = telemetry.recent().calls();
    json!({
        "sampling": sampling(telemetry),
        "recent": recent,
        "slowest": slowest,
    })
}

fn sampling(telemetry: &Telemetry) -> Value {
    json!({
        "keep_all_below_per_second": KEEP_ALL_BELOW,
        "keeping_one_in": telemetry.recent().stride(),
        "recent_len": RECENT_LEN,
        "slowest_len": SLOWEST_LEN,
    })
}

/// The kept calls as a page of two tables, refreshed every few seconds.
pub(super) fn page(telemetry: &Telemetry) -> String {
    let (recent, slowest) = telemetry.recent().calls();
    let stride = telemetry.recent().stride();
    let mut page = String::from(HEAD);
    let _ = write!(
        page,
        "<p>Every call is kept below {KEEP_ALL_BELOW} calls a second; now one call in {stride}. \
         The same as JSON: <a href=\"/rpcz.json\">/rpcz.json</a>. The dashboard: \
         <a href=\"/status\">/status</a>.</p>"
    );
    table(&mut page, "Slowest", &slowest);
    table(&mut page, "Most recent", &recent);
    page.push_str("</body></html>\n");
    page
}

const HEAD: &str = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta http-equiv=\"refresh\" content=\"5\"><title>ferry rpcz</title><style>\
body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}\
table{border-collapse:collapse;font-size:13px;margin-bottom:2em}\
th,td{padding:3px 8px;border-bottom:1px solid #ddd;text-align:left}\
td.n{text-align:right;font-variant-numeric:tabular-nums}\
.err{color:#b00020}</style></head><body><h1>Recent calls</h1>";

fn table(page: &mut String, title: &str, calls: &[RecentCall]) {
    let _ = write!(
        page,
        "<h2>{title}</h2><table><tr><th>answered (UTC)</th><th>method</th><th>dialect</th>\
         <th>peer</th><th>status</th><th>duration</th><th>bytes in</th><th>bytes out</th>\
         <th>trace id</th></tr>"
    );
    for call in calls {
        row(page, call);
    }
    page.push_str("</table>");
}

fn row(page: &mut String, call: &RecentCall) {
    let class = if call.status == "ok" {
        ""
    } else {
        " class=\"err\""
    };
    let _ = write!(
        page,
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td{class}>{}</td>\
         <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td><code>{}</code></td></tr>",
        utc(call.at_unix),
        escape(&call.method),
        call.dialect,
        escape(&call.peer),
        call.status,
        duration(call.duration_seconds),
        call.bytes_in,
        call.bytes_out,
        call.trace_id.as_deref().unwrap_or("")
    );
}

/// Seconds since the epoch as `HH:MM:SS.mmm` of its day, UTC.
fn utc(at_unix: f64) -> String {
    let millis = (at_unix * 1000.0) as u64;
    let (seconds, millis) = (millis / 1000, millis % 1000);
    let of_day = seconds % 86_400;
    format!(
        "{:02}:{:02}:{:02}.{millis:03}",
        of_day / 3600,
        of_day / 60 % 60,
        of_day % 60
    )
}

fn duration(seconds: f64) -> String {
    match seconds {
        s if s < 1e-3 => format!("{:.1} µs", s * 1e6),
        s if s < 1.0 => format!("{:.2} ms", s * 1e3),
        s => format!("{s:.3} s"),
    }
}

/// Text safe inside HTML.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_method_name_cannot_inject_markup() {
        assert_eq!(escape("<script>\"&'"), "&lt;script&gt;&quot;&amp;&#39;");
    }

    #[test]
    fn times_and_durations_read_plainly() {
        assert_eq!(utc(86_400.0 * 3.0 + 3_723.5), "01:02:03.500");
        assert_eq!(duration(12.5e-6), "12.5 µs");
        assert_eq!(duration(0.25), "250.00 ms");
        assert_eq!(duration(2.0), "2.000 s");
    }
}
