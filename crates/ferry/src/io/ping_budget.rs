//! How many pings a peer may send, sans-IO: a peer that floods pings makes the connection
//! answer each with a pong, and is cut off instead. The driver passes the time in.

use std::time::Duration;

use tokio::time::Instant;

/// The pings a peer may send in one window. A well-behaved ferry peer pings once per its own
/// keepalive interval of quiet, so this admits peers whose interval is a tenth of ours.
pub(crate) const MAX_PINGS_PER_WINDOW: u32 = 10;

/// The pings counted in the current window, which opens at the first ping after the last.
#[derive(Debug, Clone)]
pub(crate) struct PingBudget {
    window: Duration,
    opened_at: Option<Instant>,
    pings: u32,
}

impl PingBudget {
    /// A budget of [`MAX_PINGS_PER_WINDOW`] pings per `window`.
    pub(crate) fn new(window: Duration) -> PingBudget {
        PingBudget {
            window,
            opened_at: None,
            pings: 0,
        }
    }

    /// A ping arrived at `now`; false once the peer has sent more than its budget.
    #[must_use]
    pub(crate) fn allow(&mut self, now: Instant) -> bool {
        match self.opened_at {
            Some(opened_at) if now < opened_at + self.window => self.pings += 1,
            _ => {
                self.opened_at = Some(now);
                self.pings = 1;
            }
        }
        self.pings <= MAX_PINGS_PER_WINDOW
    }

    /// The one-line reason a flooding peer is sent away.
    pub(crate) fn flood_reason(&self) -> String {
        format!(
            "more than {MAX_PINGS_PER_WINDOW} pings in {:?}; a peer's keepalive interval must be \
             at least {:?}",
            self.window,
            self.window / MAX_PINGS_PER_WINDOW
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WINDOW: Duration = Duration::from_secs(30);

    #[test]
    fn a_peer_within_its_budget_is_never_cut_off() {
        let start = Instant::now();
        let mut budget = PingBudget::new(WINDOW);
        // One ping every 3 s, for ten minutes: ten per window at most.
        for n in 0..200 {
            assert!(budget.allow(start + Duration::from_secs(3) * n), "ping {n}");
        }
    }

    #[test]
    fn the_ping_past_the_budget_of_one_window_is_refused() {
        let start = Instant::now();
        let mut budget = PingBudget::new(WINDOW);
        for n in 0..MAX_PINGS_PER_WINDOW {
            assert!(budget.allow(start + Duration::from_millis(u64::from(n))));
        }
        assert!(!budget.allow(start + Duration::from_secs(29)));
        assert!(
            budget.flood_reason().contains("at least 3s"),
            "{}",
            budget.flood_reason()
        );
    }

    #[test]
    fn a_new_window_opens_with_the_first_ping_after_the_last_one_ended() {
        let start = Instant::now();
        let mut budget = PingBudget::new(WINDOW);
        for _ in 0..MAX_PINGS_PER_WINDOW {
            assert!(budget.allow(start));
        }
        let later = start + WINDOW;
        for _ in 0..MAX_PINGS_PER_WINDOW {
            assert!(budget.allow(later), "a fresh window");
        }
        assert!(!budget.allow(later + Duration::from_secs(1)));
    }
}
