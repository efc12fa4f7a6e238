//! `ferry top ADDR`: a server's methods in a terminal view, read from its `/status.json`
//! every interval and sortable by rate, errors or latency.
//!
//! The figures are fetched on a task of their own ([`fetch::poll`]) so that a slow or
//! unreachable server never holds up a key: the view redraws at once on either.

mod fetch;
mod keys;
mod model;
mod view;

use std::{io::IsTerminal as _, ops::ControlFlow, time::Duration};

use anyhow::Context as _;
use crossterm::event::{Event, EventStream};
use futures_util::StreamExt as _;
use ratatui::DefaultTerminal;
use tokio::sync::mpsc;

use crate::{auth::TokenArgs, failure::Failure};
use fetch::{Fetched, Target};
use keys::Action;
use model::{Sort, Status};

/// `ferry top ADDR [--interval SECS] [--sort rate|errors|latency]`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Keys: r sort by rate, e by errors, l by latency (p99), a all methods or only those called,
q (or Esc, Ctrl-C) quit.

Examples:
  ferry top 127.0.0.1:7070
  ferry top http://127.0.0.1:9090 --sort errors --interval 2")]
pub(crate) struct TopArgs {
    /// The server: HOST:PORT (its port, or its --admin-listen address), or an http:// URL
    /// to which /status.json is added.
    #[arg(value_name = "ADDR")]
    address: String,
    /// Seconds between refreshes.
    #[arg(long, value_name = "SECS", default_value = "1", value_parser = interval)]
    interval: Duration,
    /// The column sorted by, biggest first.
    #[arg(long, value_enum, default_value_t = Sort::Rate)]
    sort: Sort,
    #[command(flatten)]
    token: TokenArgs,
}

/// An `--interval` in seconds: at least a tenth of a second, since the server's rates are
/// those of whole seconds and faster reads only cost it work.
fn interval(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds"))?;
    if seconds.is_nan() || seconds < 0.1 {
        return Err("the interval must be at least 0.1 seconds".to_owned());
    }
    Duration::try_from_secs_f64(seconds).map_err(|err| err.to_string())
}

/// What the view shows: the last figures read, the last failure, and the reader's choices.
#[derive(Debug)]
pub(super) struct State {
    /// ADDR as written, for the header and the failure line.
    address: String,
    /// Seconds between refreshes, for the status line.
    interval: Duration,
    /// The column sorted by.
    sort: Sort,
    /// Whether methods never called are shown too.
    all: bool,
    /// The last status read; kept while reads fail, so the view does not go blank.
    status: Option<Status>,
    /// Why the last read failed, until one succeeds.
    error: Option<String>,
}

impl State {
    fn new(address: String, interval: Duration, sort: Sort) -> State {
        State {
            address,
            interval,
            sort,
            all: false,
            status: None,
            error: None,
        }
    }

    /// Takes one refresh's outcome.
    fn update(&mut self, fetched: Fetched) {
        match fetched {
            Ok(status) => {
                self.status = Some(status);
                self.error = None;
            }
            Err(error) => self.error = Some(error),
        }
    }

    /// Does what a key asked; `Break` to leave.
    fn apply(&mut self, action: Action) -> ControlFlow<()> {
        match action {
            Action::Sort(sort) => self.sort = sort,
            Action::ToggleAll => self.all = !self.all,
            Action::Quit => return ControlFlow::Break(()),
        }
        ControlFlow::Continue(())
    }
}

/// Draws the view until a quit key; it never ends on its own, a failed read only shows.
pub(crate) async fn run(args: TopArgs) -> Result<(), Failure> {
    let target = Target::parse(&args.address).map_err(Failure::usage)?;
    let target = target.with_authorization(args.token.authorization());
    if !std::io::stdout().is_terminal() {
        return Err(Failure::usage(
            "ferry top draws on a terminal, and its standard output is not one",
        ));
    }
    let mut state = State::new(args.address, args.interval, args.sort);
    // One refresh in hand at most: a view too slow to draw skips none, the reader just waits.
    let (sender, updates) = mpsc::channel(1);
    let reader = tokio::spawn(fetch::poll(target, args.interval, sender));
    let outcome = match Screen::enter() {
        Ok(mut screen) => event_loop(&mut screen.terminal, &mut state, updates).await,
        Err(err) => Err(err),
    };
    reader.abort();
    outcome
}

/// Redraws on every key, resize and refresh until a quit key.
async fn event_loop(
    terminal: &mut DefaultTerminal,
    state: &mut State,
    mut updates: mpsc::Receiver<Fetched>,
) -> Result<(), Failure> {
    let mut events = EventStream::new();
    loop {
        terminal
            .draw(|frame| view::draw(frame, state))
            .context("cannot draw on the terminal")?;
        tokio::select! {
            event = events.next() => {
                if on_event(state, event)?.is_break() {
                    return Ok(());
                }
            }
            Some(fetched) = updates.recv() => state.update(fetched),
        }
    }
}

/// What a terminal event does: a key may change the view or end it; anything else, such as
/// a resize, only has it drawn again.
fn on_event(
    state: &mut State,
    event: Option<std::io::Result<Event>>,
) -> Result<ControlFlow<()>, Failure> {
    match event {
        Some(Ok(Event::Key(key))) => {
            let action = keys::action(&key);
            Ok(action.map_or(ControlFlow::Continue(()), |action| state.apply(action)))
        }
        Some(Ok(_)) => Ok(ControlFlow::Continue(())),
        Some(Err(err)) => {
            let err = anyhow::Error::new(err).context("cannot read the terminal");
            Err(err.into())
        }
        // The terminal is gone: nobody is left to look.
        None => Ok(ControlFlow::Break(())),
    }
}

/// The terminal in raw mode on its alternate screen, given back as it was when dropped, on
/// any way out of the view; ratatui's panic hook does the same on a panic.
#[derive(Debug)]
struct Screen {
    terminal: DefaultTerminal,
}

impl Screen {
    fn enter() -> Result<Screen, Failure> {
        match ratatui::try_init() {
            Ok(terminal) => Ok(Screen { terminal }),
            Err(err) => {
                // Raw mode may be on already though the alternate screen failed.
                ratatui::restore();
                Err(anyhow::Error::new(err)
                    .context("cannot set up the terminal")
                    .into())
            }
        }
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        ratatui::restore();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_are_a_tenth_of_a_second_or_more() {
        assert_eq!(interval("1"), Ok(Duration::from_secs(1)));
        assert_eq!(interval("0.25"), Ok(Duration::from_millis(250)));
        for wrong in ["0", "0.05", "-1", "NaN", "inf", "soon"] {
            assert!(interval(wrong).is_err(), "{wrong:?} accepted");
        }
    }

    #[test]
    fn keys_change_the_view_and_quit_ends_it() {
        let mut state = State::new("h:1".to_owned(), Duration::from_secs(1), Sort::Rate);
        assert!(state.apply(Action::Sort(Sort::Latency)).is_continue());
        assert!(state.apply(Action::ToggleAll).is_continue());
        assert_eq!((state.sort, state.all), (Sort::Latency, true));
        assert!(state.apply(Action::Quit).is_break());
    }

    #[test]
    fn keys_act_resizes_redraw_and_a_closed_terminal_ends_the_view() {
        use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

        let mut state = State::new("h:1".to_owned(), Duration::from_secs(1), Sort::Rate);
        let key = |c| {
            Some(Ok(Event::Key(KeyEvent::new(
                KeyCode::Char(c),
                KeyModifiers::NONE,
            ))))
        };
        let flow = |state: &mut State, event| on_event(state, event).expect("no failure");
        assert!(flow(&mut state, key('e')).is_continue());
        assert_eq!(state.sort, Sort::Errors);
        assert!(flow(&mut state, Some(Ok(Event::Resize(80, 24)))).is_continue());
        assert!(flow(&mut state, key('q')).is_break());
        assert!(flow(&mut state, None).is_break());
        let broken = Some(Err(std::io::Error::other("gone")));
        assert!(on_event(&mut state, broken).is_err());
    }

    #[test]
    fn a_failed_read_keeps_the_last_figures() {
        let mut state = State::new("h:1".to_owned(), Duration::from_secs(1), Sort::Rate);
        state.update(Ok(Status::default()));
        state.update(Err("connection refused".to_owned()));
        assert!(state.status.is_some());
        assert_eq!(state.error.as_deref(), Some("connection refused"));
        state.update(Ok(Status::default()));
        assert_eq!(state.error, None);
    }
}
