//! Drawing the view: a header line, the methods' table, a status line and the keys.

use ratatui::{
    layout::{Constraint, Layout},
    style::{Style, Stylize as _},
    text::{Line, Span, Text},
    widgets::{Cell, Row, Table},
    Frame,
};

use super::{
    model::{self, Sort, HEADINGS},
    State,
};

/// The mark after the sorted column's heading: biggest first.
const SORT_MARK: &str = "▼";

/// Draws the whole view on `frame`.
pub(super) fn draw(frame: &mut Frame<'_>, state: &State) {
    let header = header_lines(header_groups(state), frame.area().width);
    let rows = u16::try_from(header.len()).unwrap_or(u16::MAX);
    let [header_area, table, status, footer] = Layout::vertical([
        Constraint::Length(rows),
        Constraint::Fill(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(frame.area());
    frame.render_widget(Text::from(header), header_area);
    frame.render_widget(method_table(state), table);
    frame.render_widget(status_line(state), status);
    frame.render_widget(footer_line(state), footer);
}

/// The server and its totals, a group of spans per figure; only the address before the
/// first read.
fn header_groups(state: &State) -> Vec<Vec<Span<'static>>> {
    let mut groups = vec![vec![Span::from(state.address.clone()).bold()]];
    let Some(status) = &state.status else {
        return groups;
    };
    // Errors stand out while they happen.
    let erring = if status.totals.error_rate > 0.0 {
        Style::new().red().bold()
    } else {
        Style::new()
    };
    let plain = Style::new();
    let figures = [
        ("ferry", status.server.version.clone(), plain),
        ("up", model::uptime(status.server.uptime_seconds), plain),
        ("calls/s", model::rate(status.totals.rate), plain),
        ("errors/s", model::rate(status.totals.error_rate), erring),
        ("in flight", status.totals.in_flight.to_string(), plain),
        ("conns", model::connections(&status.connections), plain),
        ("rss", model::bytes(status.process.resident_bytes), plain),
    ];
    for (label, value, style) in figures {
        groups.push(vec![
            Span::from(format!("{label} ")).dim(),
            Span::styled(value, style),
        ]);
    }
    groups
}

/// The groups laid on lines `width` wide, two spaces apart: a narrow terminal gets more
/// lines rather than a cut figure, and a group is never split.
fn header_lines(groups: Vec<Vec<Span<'static>>>, width: u16) -> Vec<Line<'static>> {
    let width = usize::from(width);
    let mut lines = Vec::new();
    let mut line: Vec<Span<'static>> = Vec::new();
    let mut used = 0;
    for group in groups {
        let wide: usize = group.iter().map(Span::width).sum();
        if !line.is_empty() && used + 2 + wide > width {
            lines.push(Line::from(std::mem::take(&mut line)));
            used = 0;
        }
        if !line.is_empty() {
            line.push(Span::from("  "));
            used += 2;
        }
        line.extend(group);
        used += wide;
    }
    lines.push(Line::from(line));
    lines
}

/// The methods, sorted, with the sorted column's heading marked.
fn method_table(state: &State) -> Table<'static> {
    let headings = HEADINGS.iter().enumerate().map(|(column, heading)| {
        if column == state.sort.column() {
            cell(column, format!("{heading}{SORT_MARK}")).reversed()
        } else {
            cell(column, (*heading).to_owned())
        }
    });
    let header = Row::new(headings).bold();
    let rows = match &state.status {
        Some(status) => model::rows(status, state.sort, state.all),
        None => Vec::new(),
    };
    let rows = rows.into_iter().map(|row| {
        Row::new(row.into_iter().enumerate().map(|(column, text)| {
            let erring = matches!(column, 2 | 3) && !matches!(text.as_str(), "0" | "-");
            let style = if erring {
                Style::new().red()
            } else {
                Style::new()
            };
            cell(column, text).style(style)
        }))
    });
    let widths = [
        Constraint::Fill(3),
        Constraint::Length(8),
        Constraint::Length(8),
        Constraint::Fill(2),
        Constraint::Length(8),
        Constraint::Length(8),
        Constraint::Length(9),
        Constraint::Length(9),
    ];
    Table::new(rows, widths).header(header).column_spacing(1)
}

/// A cell of `column`: figures are right-aligned so their digits line up, names and the
/// error list left.
fn cell(column: usize, text: String) -> Cell<'static> {
    let line = Line::from(text);
    match column {
        0 | 3 => Cell::from(line),
        _ => Cell::from(line.right_aligned()),
    }
}

/// Why the last read failed, in red, or how fresh and how complete the table is.
fn status_line(state: &State) -> Line<'static> {
    if let Some(error) = &state.error {
        let text = format!("cannot reach {}: {error}", state.address);
        return Line::from(text).red().bold();
    }
    let Some(status) = &state.status else {
        return Line::from(format!("reading {} ...", state.address)).dim();
    };
    let every = humantime::format_duration(state.interval);
    let shown = model::ordered(&status.methods, state.sort, state.all).len();
    let total = status.methods.len();
    let which = if state.all {
        format!("all {total} methods")
    } else {
        format!("{shown} of {total} methods (those called)")
    };
    Line::from(format!("refreshed every {every}; {which}")).dim()
}

/// The keys, the sort in force and "all" when on shown reversed.
fn footer_line(state: &State) -> Line<'static> {
    let sorts = [Sort::Rate, Sort::Errors, Sort::Latency];
    let mut spans = Vec::new();
    for sort in sorts {
        let key = &sort.name()[..1];
        key_spans(&mut spans, key, sort.name(), state.sort == sort);
    }
    key_spans(&mut spans, "a", "all methods", state.all);
    key_spans(&mut spans, "q", "quit", false);
    Line::from(spans)
}

fn key_spans(spans: &mut Vec<Span<'static>>, key: &str, what: &'static str, on: bool) {
    spans.push(Span::from(format!(" {key} ")).bold().reversed());
    let what = Span::from(format!(" {what} "));
    spans.push(if on { what.reversed() } else { what });
    spans.push(Span::from(" "));
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use ratatui::{backend::TestBackend, Terminal};

    use super::*;
    use crate::top::model::{Method, Status};

    fn status() -> Status {
        let method = |name: &str, calls, errors: &[(&str, u64)]| Method {
            name: name.to_owned(),
            calls,
            errors: errors.iter().map(|(s, n)| ((*s).to_owned(), *n)).collect(),
            p99_seconds: (calls > 0).then_some(0.0123),
            ..Method::default()
        };
        let mut status = Status::default();
        status.server.version = "0.1.0".to_owned();
        status.server.uptime_seconds = 307.0;
        status.connections = [("native".to_owned(), 1), ("http".to_owned(), 1)].into();
        status.process.resident_bytes = Some(12 << 20);
        status.methods = vec![
            method("calc.add", 3, &[]),
            method("calc.divide", 2, &[("application", 2)]),
            method("echo.ping", 0, &[]),
        ];
        status
    }

    /// The screen as text, one string a line with trailing blanks cut.
    fn drawn(state: &State, width: u16, height: u16) -> Vec<String> {
        let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("a terminal");
        terminal.draw(|frame| draw(frame, state)).expect("drawn");
        let buffer = terminal.backend().buffer();
        let cells = buffer.content.chunks(usize::from(width));
        let lines = cells.map(|line| line.iter().map(|cell| cell.symbol()).collect::<String>());
        lines.map(|line| line.trim_end().to_owned()).collect()
    }

    fn state(sort: Sort) -> State {
        let mut state = State::new("127.0.0.1:7393".to_owned(), Duration::from_secs(1), sort);
        state.update(Ok(status()));
        state
    }

    #[test]
    fn the_view_shows_header_table_status_and_keys() {
        let lines = drawn(&state(Sort::Errors), 110, 8);
        let want = [
            "127.0.0.1:7393  ferry 0.1.0  up 5m07s  calls/s 0  errors/s 0  in flight \
             0  conns native 1 http 1  rss 12.0 MiB",
            "METHOD                             RATE/s   ERR/s▼ \
             ERRORS                     P50      P99 IN FLIGHT     CALLS",
            "calc.divide                             0        0 \
             application:2                -   12.3ms         0         2",
            "calc.add                                0        0 \
             -                            -   12.3ms         0         3",
            "",
            "",
            "refreshed every 1s; 2 of 3 methods (those called)",
            " r  rate   e  errors   l  latency   a  all methods   q  quit",
        ];
        assert_eq!(lines, want);
    }

    #[test]
    fn all_shows_methods_never_called_and_failures_show_in_red() {
        let mut state = state(Sort::Rate);
        state.all = true;
        state.update(Err("connection refused".to_owned()));
        let lines = drawn(&state, 110, 8);
        assert!(lines[1].contains("RATE/s▼"), "{lines:#?}");
        assert!(
            lines.iter().any(|l| l.starts_with("echo.ping")),
            "{lines:#?}"
        );
        assert_eq!(lines[6], "cannot reach 127.0.0.1:7393: connection refused");
    }

    #[test]
    fn a_narrow_terminal_gets_the_header_on_more_lines() {
        let lines = drawn(&state(Sort::Rate), 80, 9);
        assert_eq!(
            lines[..2],
            [
                "127.0.0.1:7393  ferry 0.1.0  up 5m07s  calls/s 0  errors/s 0  in flight 0",
                "conns native 1 http 1  rss 12.0 MiB",
            ]
        );
        assert!(lines[2].starts_with("METHOD"), "{lines:#?}");
    }

    #[test]
    fn before_the_first_read_the_view_says_it_is_reading() {
        let state = State::new("h:1".to_owned(), Duration::from_secs(1), Sort::Latency);
        let lines = drawn(&state, 80, 5);
        assert_eq!(lines[0], "h:1");
        assert!(lines[1].contains("P99▼"), "{lines:#?}");
        assert_eq!(lines[3], "reading h:1 ...");
    }
}
