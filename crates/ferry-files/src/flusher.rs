//! Flushing a file on a thread beside its writes, one flush at a time: the disk writes what
//! came while more arrives, instead of stopping the writer for every fsync.

use std::{io, thread::JoinHandle};

/// The flush of a file that runs beside its writes, if one does.
#[derive(Debug, Default)]
pub struct Flusher {
    running: Option<JoinHandle<io::Result<()>>>,
}

impl Flusher {
    /// Waits for the flush before, then runs `flush` on a thread of its own. An error is the
    /// one the flush before failed with.
    pub fn start(
        &mut self,
        flush: impl FnOnce() -> io::Result<()> + Send + 'static,
    ) -> io::Result<()> {
        self.wait()?;
        self.running = Some(std::thread::spawn(flush));
        Ok(())
    }

    /// Waits for the running flush, if there is one; its outcome.
    pub fn wait(&mut self) -> io::Result<()> {
        let Some(running) = self.running.take() else {
            return Ok(());
        };
        running
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the flushing thread panicked")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flush_starts_after_the_one_before_and_its_error_is_kept() {
        let mut flusher = Flusher::default();
        assert!(flusher.wait().is_ok(), "nothing to wait for");
        flusher
            .start(|| Err(io::Error::other("disk gone")))
            .unwrap();
        let refused = flusher.start(|| Ok(())).unwrap_err();
        assert_eq!(refused.to_string(), "disk gone");
        assert!(
            flusher.wait().is_ok(),
            "the failed flush was not started again"
        );
    }
}
