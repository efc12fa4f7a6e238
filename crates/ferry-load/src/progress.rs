//! The live progress bar: elapsed time and the current call rate, on stderr when it is a
//! terminal and the run asked for it. Otherwise nothing is drawn and nothing runs.

use std::{
    io::IsTerminal,
    sync::Arc,
    time::{Duration, Instant},
};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::task::JoinHandle;

use crate::{lane::LaneCount, phases::Phases, LoadConfig};

const REFRESH: Duration = Duration::from_millis(250);

/// A progress bar and the task that refreshes it.
pub(crate) struct Progress {
    bar: ProgressBar,
    ticker: JoinHandle<()>,
}

impl Progress {
    /// Starts drawing, or `None` when the run asked for no progress or stderr is not a terminal.
    pub(crate) fn start(
        config: &LoadConfig,
        phases: Phases,
        lanes: Vec<Arc<LaneCount>>,
    ) -> Option<Progress> {
        if !config.progress || !std::io::stderr().is_terminal() {
            return None;
        }
        let length = u64::try_from(phases.total().as_millis()).unwrap_or(u64::MAX);
        let style = ProgressStyle::with_template("{bar:40} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar());
        let bar = ProgressBar::with_draw_target(Some(length), ProgressDrawTarget::stderr())
            .with_style(style);
        let ticker = tokio::spawn(tick(bar.clone(), phases, lanes));
        Some(Progress { bar, ticker })
    }

    /// Stops refreshing and clears the bar.
    pub(crate) fn finish(self) {
        self.ticker.abort();
        self.bar.finish_and_clear();
    }
}

async fn tick(bar: ProgressBar, phases: Phases, lanes: Vec<Arc<LaneCount>>) {
    let mut interval = tokio::time::interval(REFRESH);
    let mut last = (Instant::now(), 0);
    loop {
        interval.tick().await;
        let now = Instant::now();
        let answered: u64 = lanes.iter().map(|lane| lane.answered()).sum();
        let rate = (answered - last.1) as f64 / (now - last.0).as_secs_f64().max(1e-3);
        last = (now, answered);
        let elapsed = now.saturating_duration_since(phases.start);
        bar.set_position(u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX));
        bar.set_message(message(now, phases, rate));
    }
}

fn message(now: Instant, phases: Phases, rate: f64) -> String {
    let phase = if phases.is_measured(now) {
        ""
    } else {
        " (warmup)"
    };
    let elapsed = now.saturating_duration_since(phases.start).as_secs_f64();
    let total = phases.total().as_secs_f64();
    format!("{elapsed:.1}/{total:.1} s  {rate:.0} calls/s{phase}")
}
