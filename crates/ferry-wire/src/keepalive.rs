//! Keepalive, sans-IO: when to ping a quiet peer and when to give it up for dead. The driver
//! passes the time in; nothing here reads a clock.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use ferry_wire::keepalive::{Due, Keepalive};
//!
//! let start = Instant::now();
//! let mut keepalive = Keepalive::new(Duration::from_secs(30), Duration::from_secs(20), start);
//! assert!(matches!(keepalive.poll(start, true), Due::Wait(_)));
//! let Due::Ping(payload) = keepalive.poll(start + Duration::from_secs(30), true) else { panic!() };
//! assert!(matches!(keepalive.poll(start + Duration::from_secs(50), true), Due::Dead));
//! # let _ = payload;
//! ```

use std::time::{Duration, Instant};

/// What a connection's keepalive asks of its driver now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum Due {
    /// Nothing until this time (`None`: until something changes).
    Wait(Option<Instant>),
    /// Send a ping with this payload.
    Ping(u64),
    /// The peer sent nothing for a whole interval and then a whole timeout after a ping.
    Dead,
}

/// One connection's keepalive: a ping after `interval` without a byte from the peer, and the
/// peer dead after `timeout` more.
#[derive(Debug, Clone)]
pub struct Keepalive {
    interval: Duration,
    timeout: Duration,
    heard_at: Instant,
    /// When the unanswered ping went out.
    pinged_at: Option<Instant>,
    pings: u64,
}

impl Keepalive {
    /// A keepalive that last heard from the peer at `now`.
    pub fn new(interval: Duration, timeout: Duration, now: Instant) -> Keepalive {
        Keepalive {
            interval,
            timeout,
            heard_at: now,
            pinged_at: None,
            pings: 0,
        }
    }

    /// Bytes came from the peer at `now`: it lives.
    pub fn heard(&mut self, now: Instant) {
        self.heard_at = now;
        self.pinged_at = None;
    }

    /// What is due at `now`. Only a connection `watching` (with streams open) is pinged; one
    /// that is not forgets its ping.
    pub fn poll(&mut self, now: Instant, watching: bool) -> Due {
        if !watching {
            self.unwatch();
            return Due::Wait(None);
        }
        if let Some(pinged_at) = self.pinged_at {
            let dead_at = pinged_at + self.timeout;
            return if now >= dead_at {
                Due::Dead
            } else {
                Due::Wait(Some(dead_at))
            };
        }
        let ping_at = self.heard_at + self.interval;
        if now < ping_at {
            return Due::Wait(Some(ping_at));
        }
        self.pinged_at = Some(now);
        self.pings += 1;
        Due::Ping(self.pings)
    }

    /// The connection has nothing to watch: an unanswered ping no longer counts.
    pub fn unwatch(&mut self) {
        self.pinged_at = None;
    }

    /// How long the peer has to answer a ping.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INTERVAL: Duration = Duration::from_secs(30);
    const TIMEOUT: Duration = Duration::from_secs(20);

    #[test]
    fn a_peer_that_answers_is_pinged_again_only_after_a_quiet_interval() {
        let start = Instant::now();
        let mut keepalive = Keepalive::new(INTERVAL, TIMEOUT, start);
        assert_eq!(
            keepalive.poll(start, true),
            Due::Wait(Some(start + INTERVAL))
        );
        let first = start + INTERVAL;
        assert_eq!(keepalive.poll(first, true), Due::Ping(1));
        assert_eq!(
            keepalive.poll(first, true),
            Due::Wait(Some(first + TIMEOUT))
        );
        keepalive.heard(first + Duration::from_secs(1));
        let next = first + Duration::from_secs(1) + INTERVAL;
        assert_eq!(keepalive.poll(first + TIMEOUT, true), Due::Wait(Some(next)));
        assert_eq!(keepalive.poll(next, true), Due::Ping(2));
    }

    #[test]
    fn a_peer_silent_after_a_ping_is_dead_once_the_timeout_passes() {
        let start = Instant::now();
        let mut keepalive = Keepalive::new(INTERVAL, TIMEOUT, start);
        assert!(matches!(
            keepalive.poll(start + INTERVAL, true),
            Due::Ping(_)
        ));
        let almost = start + INTERVAL + TIMEOUT - Duration::from_millis(1);
        assert!(matches!(keepalive.poll(almost, true), Due::Wait(Some(_))));
        assert_eq!(keepalive.poll(start + INTERVAL + TIMEOUT, true), Due::Dead);
    }

    #[test]
    fn a_connection_without_streams_is_not_pinged() {
        let start = Instant::now();
        let mut keepalive = Keepalive::new(INTERVAL, TIMEOUT, start);
        assert_eq!(
            keepalive.poll(start + INTERVAL * 10, false),
            Due::Wait(None)
        );
        assert!(matches!(
            keepalive.poll(start + INTERVAL * 10, true),
            Due::Ping(_)
        ));
        assert_eq!(
            keepalive.poll(start + INTERVAL * 20, false),
            Due::Wait(None)
        );
        assert!(
            matches!(keepalive.poll(start + INTERVAL * 20, true), Due::Ping(_)),
            "the ping was forgotten"
        );
    }
}
