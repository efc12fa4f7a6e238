//! When things happen in a run: the warmup, the measured window, and in an open loop the
//! instant each call is due. Pure arithmetic over instants, so tests need no clock.

use std::time::{Duration, Instant};

use crate::LoadConfig;

/// The instants a run is split at: `start` .. warmup .. `measure_from` .. measured .. `end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Phases {
    pub(crate) start: Instant,
    pub(crate) measure_from: Instant,
    pub(crate) end: Instant,
}

impl Phases {
    pub(crate) fn new(start: Instant, config: &LoadConfig) -> Phases {
        let measure_from = start + config.warmup;
        Phases {
            start,
            measure_from,
            end: measure_from + config.duration,
        }
    }

    /// Whether a call begun (or due) at `at` is recorded.
    pub(crate) fn is_measured(&self, at: Instant) -> bool {
        at >= self.measure_from
    }

    /// The whole run, warmup included.
    pub(crate) fn total(&self) -> Duration {
        self.end - self.start
    }
}

/// The open-loop timetable: call `n` of the whole run is due `n / rate` seconds after the
/// start, and connection `c` of `conns` takes calls `c`, `c + conns`, `c + 2 × conns`, ...
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Schedule {
    start: Instant,
    rate: f64,
    conns: usize,
}

impl Schedule {
    pub(crate) fn new(start: Instant, rate: f64, conns: usize) -> Schedule {
        Schedule { start, rate, conns }
    }

    /// When call `k` of connection `conn` is due.
    pub(crate) fn due(&self, conn: usize, k: u64) -> Instant {
        let n = k * self.conns as u64 + conn as u64;
        self.start + Duration::from_secs_f64(n as f64 / self.rate)
    }

    /// The time between two calls of one connection.
    pub(crate) fn interval(&self) -> Duration {
        Duration::from_secs_f64(self.conns as f64 / self.rate)
    }

    /// How many calls, over all connections, are due in `[from, to)`.
    pub(crate) fn due_between(&self, from: Instant, to: Instant) -> u64 {
        let calls_before = |at: Instant| {
            let offset = at.saturating_duration_since(self.start).as_secs_f64();
            (offset * self.rate).ceil() as u64
        };
        calls_before(to).saturating_sub(calls_before(from))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_warmup_comes_before_the_measured_window() {
        let start = Instant::now();
        let config = LoadConfig::default()
            .warmup(Duration::from_secs(1))
            .duration(Duration::from_secs(5));
        let phases = Phases::new(start, &config);
        assert_eq!(phases.measure_from, start + Duration::from_secs(1));
        assert_eq!(phases.end, start + Duration::from_secs(6));
        assert_eq!(phases.total(), Duration::from_secs(6));
        assert!(!phases.is_measured(start));
        assert!(phases.is_measured(phases.measure_from));
    }

    #[test]
    fn connections_take_turns_on_one_even_timetable() {
        let start = Instant::now();
        let schedule = Schedule::new(start, 100.0, 4);
        let ms = Duration::from_millis;
        assert_eq!(schedule.due(0, 0), start);
        assert_eq!(schedule.due(1, 0), start + ms(10));
        assert_eq!(schedule.due(3, 0), start + ms(30));
        assert_eq!(schedule.due(0, 1), start + ms(40));
        assert_eq!(schedule.due(2, 5), start + ms(220));
        assert_eq!(schedule.interval(), ms(40));
    }

    #[test]
    fn the_calls_due_in_a_window_are_rate_times_its_length() {
        let start = Instant::now();
        let schedule = Schedule::new(start, 200.0, 3);
        let at = |ms| start + Duration::from_millis(ms);
        assert_eq!(schedule.due_between(at(0), at(1000)), 200);
        assert_eq!(schedule.due_between(at(1000), at(2000)), 200);
        assert_eq!(schedule.due_between(at(0), at(2)), 1);
        assert_eq!(schedule.due_between(at(0), at(0)), 0);
        assert_eq!(schedule.due_between(at(500), at(100)), 0);
    }
}
