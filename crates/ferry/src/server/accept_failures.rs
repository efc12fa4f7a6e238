//! What the accept loop does when `accept` fails, sans-IO: the time is passed in.
//!
//! Out of file descriptors (or kernel memory), every `accept` fails until a connection
//! closes, and the connection that could not be taken waits in the kernel's queue. The loop
//! neither spins on it nor stops serving: it waits a little longer after each failure (up to
//! [`MAX_BACKOFF`], so it serves again soon after descriptors free up), and logs at most once
//! per [`LOG_EVERY`], with how many failures it did not log. Any other failure concerns one
//! connection, which is gone: the loop accepts the next at once.

use std::{io, time::Duration};

use rustix::io::Errno;
use tokio::time::Instant;

/// The first wait after a failure for want of resources.
const MIN_BACKOFF: Duration = Duration::from_millis(10);
/// The longest wait between two tries.
const MAX_BACKOFF: Duration = Duration::from_millis(100);
/// The least time between two warnings.
const LOG_EVERY: Duration = Duration::from_secs(1);

/// What to do about one failed `accept`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub(crate) struct Failed {
    /// Whether the server is out of a resource every connection needs (descriptors, memory).
    pub(crate) exhausted: bool,
    /// Log it, saying how many failures were left unlogged since the last warning.
    pub(crate) log: Option<u64>,
    /// Wait this long before accepting again.
    pub(crate) wait: Duration,
}

/// The accept loop's memory of its failures.
#[derive(Debug, Default)]
pub(crate) struct AcceptFailures {
    logged_at: Option<Instant>,
    unlogged: u64,
    backoff: Duration,
}

impl AcceptFailures {
    /// `accept` failed with `err` at `now`.
    pub(crate) fn failed(&mut self, err: &io::Error, now: Instant) -> Failed {
        let exhausted = exhausted(err);
        let wait = if exhausted {
            self.backoff = (self.backoff * 2).clamp(MIN_BACKOFF, MAX_BACKOFF);
            self.backoff
        } else {
            Duration::ZERO
        };
        let due = self.logged_at.is_none_or(|at| now >= at + LOG_EVERY);
        let log = if due {
            self.logged_at = Some(now);
            Some(std::mem::take(&mut self.unlogged))
        } else {
            self.unlogged += 1;
            None
        };
        Failed {
            exhausted,
            log,
            wait,
        }
    }

    /// `accept` took a connection: the next failure waits the shortest time again.
    pub(crate) fn accepted(&mut self) {
        self.backoff = Duration::ZERO;
    }
}

/// Whether `err` means the process or the system is out of what any new connection needs.
fn exhausted(err: &io::Error) -> bool {
    matches!(
        Errno::from_io_error(err),
        Some(Errno::MFILE | Errno::NFILE | Errno::NOBUFS | Errno::NOMEM)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn emfile() -> io::Error {
        Errno::MFILE.into()
    }

    #[test]
    fn out_of_descriptors_is_logged_once_a_second_with_the_count_left_out() {
        let start = Instant::now();
        let mut failures = AcceptFailures::default();
        assert_eq!(failures.failed(&emfile(), start).log, Some(0));
        let mut logged = 0;
        // A failure every 10 ms for 3.5 s: 350 failures, 4 warnings.
        for n in 1..350 {
            let failed = failures.failed(&emfile(), start + Duration::from_millis(10 * n));
            if let Some(unlogged) = failed.log {
                logged += 1;
                assert_eq!(unlogged, 99, "each warning counts the failures before it");
            }
        }
        assert_eq!(logged, 3, "one warning a second after the first");
    }

    #[test]
    fn the_wait_grows_to_its_bound_and_starts_over_after_an_accept() {
        let now = Instant::now();
        let mut failures = AcceptFailures::default();
        let waits: Vec<_> = (0..6)
            .map(|_| failures.failed(&emfile(), now).wait.as_millis())
            .collect();
        assert_eq!(waits, [10, 20, 40, 80, 100, 100]);
        failures.accepted();
        assert_eq!(failures.failed(&emfile(), now).wait, MIN_BACKOFF);
    }

    #[test]
    fn a_failure_of_one_connection_is_no_reason_to_wait() {
        let mut failures = AcceptFailures::default();
        let aborted = failures.failed(&Errno::CONNABORTED.into(), Instant::now());
        assert!(!aborted.exhausted);
        assert_eq!(aborted.wait, Duration::ZERO);
        let nomem: io::Error = Errno::NOMEM.into();
        assert!(failures.failed(&nomem, Instant::now()).exhausted);
    }
}
