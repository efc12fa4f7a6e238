//! What a finished transfer prints: one JSON object, or one line for a person.

use indicatif::BinaryBytes;
use serde::Serialize;

use crate::{failure::Failure, output::print};

/// A file that landed, verified.
#[derive(Debug, Serialize)]
pub(crate) struct Report {
    /// Where it landed: the remote path for `put`, the local one for `get`.
    pub(crate) path: String,
    /// Its size.
    pub(crate) bytes: u64,
    /// Its BLAKE3, 64 lowercase hexadecimal digits, checked on both sides.
    pub(crate) blake3: String,
    /// How long the command took, hashing included.
    pub(crate) seconds: f64,
    /// Bytes that were already there and were not moved again.
    pub(crate) resumed_from: u64,
}

impl Report {
    /// Prints the report: `--json`'s object, or a line saying what `verb` did.
    pub(crate) fn print(&self, json: bool, verb: &str) -> Result<(), Failure> {
        if json {
            let text = serde_json::to_string(self).map_err(anyhow::Error::from)?;
            return print(format_args!("{text}\n"));
        }
        print(format_args!("{}\n", self.line(verb)))
    }

    /// `sent docs/a.bin: 16.00 MiB in 2.00 s (8.00 MiB/s), blake3 …`, with the part
    /// resumed when there was one.
    fn line(&self, verb: &str) -> String {
        let moved = self.bytes - self.resumed_from;
        let rate = if self.seconds > 0.0 {
            moved as f64 / self.seconds
        } else {
            0.0
        };
        let resumed = match self.resumed_from {
            0 => String::new(),
            from => format!(", resumed at {}", BinaryBytes(from)),
        };
        format!(
            "{verb} {}: {} in {:.2} s ({}/s){resumed}, blake3 {}",
            self.path,
            BinaryBytes(self.bytes),
            self.seconds,
            BinaryBytes(rate as u64),
            self.blake3,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_names_the_path_size_rate_and_resume() {
        let report = Report {
            path: "docs/a.bin".to_owned(),
            bytes: 16 << 20,
            blake3: "ab".repeat(32),
            seconds: 1.0,
            resumed_from: 8 << 20,
        };
        let line = report.line("sent");
        assert_eq!(
            line,
            format!(
                "sent docs/a.bin: 16.00 MiB in 1.00 s (8.00 MiB/s), resumed at 8.00 MiB, blake3 {}",
                "ab".repeat(32)
            )
        );
    }
}
