//! The progress bar of a transfer: on a terminal only.

use std::io::IsTerminal as _;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Bytes done out of a total, with rate and ETA, drawn on stderr when it is a terminal and
/// not at all otherwise (a log or a pipe gets only the final line).
#[derive(Debug)]
pub(crate) struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// A bar for `total` bytes, `done` of them already there (a resumed transfer).
    pub(crate) fn new(total: u64, done: u64) -> Progress {
        let target = if std::io::stderr().is_terminal() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(Some(total), target);
        let style = ProgressStyle::with_template(
            "{bar:30} {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} eta {eta}",
        );
        if let Ok(style) = style {
            bar.set_style(style);
        }
        bar.set_position(done);
        bar.reset_eta();
        Progress { bar }
    }

    /// `bytes` more are done.
    pub(crate) fn advance(&self, bytes: usize) {
        self.bar.inc(bytes as u64);
    }

    /// Removes the bar, leaving the terminal for the report.
    pub(crate) fn clear(&self) {
        self.bar.finish_and_clear();
    }
}
