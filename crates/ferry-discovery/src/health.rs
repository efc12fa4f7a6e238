//! Ejection: when an endpoint stops taking calls after failures, and how it comes back.
//! Sans-IO: every method that needs the time takes `now`.

use std::time::Duration;

use tokio::time::Instant;

/// `Failure::Trouble` in a row that eject an endpoint.
pub(crate) const EJECT_AFTER: u32 = 5;

/// How long the first ejection lasts; each further one lasts this much longer.
pub(crate) const EJECTION: Duration = Duration::from_secs(30);

/// The longest ejection, and how long an endpoint must have been back for its ejections to
/// be forgotten.
pub(crate) const MAX_EJECTION: Duration = Duration::from_secs(300);

/// How a call to an endpoint failed, as far as ejection cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    /// The connection was refused, reset or lost, or the server is leaving: nothing is
    /// serving there, so every call sent would fail too, and the endpoint is ejected at once.
    Connection,
    /// The server is in trouble (answered `unavailable`, `overloaded` or `internal`, or not
    /// in time); one may be bad luck, [`EJECT_AFTER`] in a row are not.
    Trouble,
}

/// The ejection state of one endpoint: usable, ejected until some time, or past that and
/// awaiting a probe, since an endpoint that was failing must show it answers again before it
/// takes calls.
#[derive(Debug, Clone, Default)]
pub(crate) struct Health {
    /// Failures since the last success.
    consecutive: u32,
    /// Ejections so far, which set how long the next lasts.
    ejections: u32,
    /// When the current ejection ends or ended; `None` while usable.
    ejected_until: Option<Instant>,
    /// When the last ejection that was probed back ended, to tell when to forget ejections.
    last_ended: Option<Instant>,
}

impl Health {
    /// A usable endpoint, never ejected.
    pub(crate) fn new() -> Health {
        Health::default()
    }

    /// A call succeeded.
    pub(crate) fn success(&mut self) {
        self.consecutive = 0;
    }

    /// A call failed at `now`. `Some(until)` when this failure ejected the endpoint; failures
    /// of calls sent before an ejection, arriving during it, change nothing.
    pub(crate) fn failure(&mut self, kind: Failure, now: Instant) -> Option<Instant> {
        if self.ejected_until.is_some() {
            return None;
        }
        self.consecutive = self.consecutive.saturating_add(1);
        if kind == Failure::Trouble && self.consecutive < EJECT_AFTER {
            return None;
        }
        if self.back_long_enough(now) {
            self.ejections = 0;
        }
        Some(self.eject(now))
    }

    /// Whether it may take calls: neither ejected nor awaiting its probe. It needs no time,
    /// since an ejection running out does not make the endpoint usable; only a probe does.
    pub(crate) fn usable(&self) -> bool {
        self.ejected_until.is_none()
    }

    /// Whether its ejection is over at `now` and it awaits a probe.
    pub(crate) fn probe_due(&self, now: Instant) -> bool {
        self.ejected_until.is_some_and(|until| now >= until)
    }

    /// The probe answered: usable again, with no failures held against it.
    pub(crate) fn probe_passed(&mut self) {
        if let Some(until) = self.ejected_until.take() {
            self.last_ended = Some(until);
        }
        self.consecutive = 0;
    }

    /// The probe failed at `now`: ejected again, for longer, until the returned time. A probe
    /// that fails late still counts on, since the endpoint was never back in between.
    pub(crate) fn probe_failed(&mut self, now: Instant) -> Instant {
        self.eject(now)
    }

    /// When the current ejection ends (or ended, while a probe is awaited); `None` while usable.
    pub(crate) fn ejected_until(&self) -> Option<Instant> {
        self.ejected_until
    }

    /// How many times it has been ejected since its ejections were last forgotten.
    pub(crate) fn ejections(&self) -> u32 {
        self.ejections
    }

    /// Whether the last ejection ended more than [`MAX_EJECTION`] before `now`: an endpoint
    /// that has served that long since is treated as new, rather than punished for old trouble.
    fn back_long_enough(&self, now: Instant) -> bool {
        self.last_ended
            .is_some_and(|ended| now.saturating_duration_since(ended) > MAX_EJECTION)
    }

    fn eject(&mut self, now: Instant) -> Instant {
        self.ejections = self.ejections.saturating_add(1);
        let until = now + EJECTION.saturating_mul(self.ejections).min(MAX_EJECTION);
        self.ejected_until = Some(until);
        until
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: Duration = Duration::from_secs(1);

    /// Ejected by a refused connection at `now`, then probed back at the ejection's end.
    fn eject_and_recover(health: &mut Health, now: Instant) -> Instant {
        let until = health.failure(Failure::Connection, now).unwrap();
        health.probe_passed();
        until
    }

    #[test]
    fn a_refused_connection_ejects_at_once() {
        let (mut health, now) = (Health::new(), Instant::now());
        assert!(health.usable());
        assert_eq!(
            health.failure(Failure::Connection, now),
            Some(now + EJECTION)
        );
        assert!(!health.usable());
        assert_eq!(health.ejected_until(), Some(now + EJECTION));
        assert_eq!(health.ejections(), 1);
    }

    #[test]
    fn other_failures_eject_on_the_fifth_in_a_row() {
        let (mut health, now) = (Health::new(), Instant::now());
        for _ in 1..EJECT_AFTER {
            assert_eq!(health.failure(Failure::Trouble, now), None);
            assert!(health.usable());
        }
        assert_eq!(health.failure(Failure::Trouble, now), Some(now + EJECTION));
        assert!(!health.usable());
    }

    #[test]
    fn a_success_starts_the_count_again() {
        let (mut health, now) = (Health::new(), Instant::now());
        (1..EJECT_AFTER).for_each(|_| assert_eq!(health.failure(Failure::Trouble, now), None));
        health.success();
        (1..EJECT_AFTER).for_each(|_| assert_eq!(health.failure(Failure::Trouble, now), None));
        assert!(health.usable());
        assert!(health.failure(Failure::Trouble, now).is_some());
    }

    #[test]
    fn failures_while_ejected_change_nothing() {
        let (mut health, now) = (Health::new(), Instant::now());
        let until = health.failure(Failure::Connection, now).unwrap();
        assert_eq!(health.failure(Failure::Connection, now + SECOND), None);
        assert_eq!(health.failure(Failure::Trouble, until + SECOND), None);
        assert_eq!(health.ejected_until(), Some(until));
        assert_eq!(health.ejections(), 1);
    }

    #[test]
    fn an_ended_ejection_awaits_a_probe_before_calls() {
        let (mut health, now) = (Health::new(), Instant::now());
        let until = health.failure(Failure::Connection, now).unwrap();
        assert!(!health.probe_due(until - SECOND));
        assert!(health.probe_due(until));
        assert!(!health.usable());
        health.probe_passed();
        assert!(health.usable());
        assert!(!health.probe_due(until));
        assert_eq!(health.ejected_until(), None);
    }

    #[test]
    fn a_passed_probe_holds_no_earlier_failures_against_the_endpoint() {
        let (mut health, now) = (Health::new(), Instant::now());
        for _ in 0..EJECT_AFTER {
            health.failure(Failure::Trouble, now);
        }
        health.probe_passed();
        (1..EJECT_AFTER).for_each(|_| assert_eq!(health.failure(Failure::Trouble, now), None));
        assert!(health.usable());
    }

    #[test]
    fn each_ejection_lasts_thirty_seconds_longer_up_to_five_minutes() {
        let (mut health, mut now) = (Health::new(), Instant::now());
        let mut lengths = Vec::new();
        for _ in 0..12 {
            let until = eject_and_recover(&mut health, now);
            lengths.push((until - now).as_secs());
            now = until + SECOND;
        }
        assert_eq!(
            lengths,
            [30, 60, 90, 120, 150, 180, 210, 240, 270, 300, 300, 300]
        );
        assert_eq!(health.ejections(), 12);
    }

    #[test]
    fn a_failed_probe_ejects_again_for_longer_however_late_it_came() {
        let (mut health, now) = (Health::new(), Instant::now());
        let until = health.failure(Failure::Connection, now).unwrap();
        let late = until + MAX_EJECTION + SECOND;
        assert_eq!(health.probe_failed(late), late + 2 * EJECTION);
        assert_eq!(health.ejections(), 2);
        assert!(!health.usable());
        assert!(!health.probe_due(late));
    }

    #[test]
    fn ejections_are_forgotten_five_minutes_after_the_last_ended() {
        let (mut health, now) = (Health::new(), Instant::now());
        let ended = eject_and_recover(&mut health, now);
        let soon = ended + MAX_EJECTION;
        assert_eq!(eject_and_recover(&mut health, soon), soon + 2 * EJECTION);
        let late = soon + 2 * EJECTION + MAX_EJECTION + SECOND;
        assert_eq!(eject_and_recover(&mut health, late), late + EJECTION);
        assert_eq!(health.ejections(), 1);
    }
}
