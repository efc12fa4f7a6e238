//! Writing results to stdout.

use std::{
    fmt::Display,
    io::{self, Write as _},
};

use crate::failure::Failure;

/// Writes `text` to stdout. A reader that stopped reading (`ferry list | head`) is no failure.
pub(crate) fn print(text: impl Display) -> Result<(), Failure> {
    let mut stdout = io::stdout().lock();
    match write!(stdout, "{text}").and_then(|()| stdout.flush()) {
        Err(err) if err.kind() != io::ErrorKind::BrokenPipe => {
            let err = anyhow::Error::new(err).context("cannot write to stdout");
            Err(Failure::from(err))
        }
        _ => Ok(()),
    }
}
