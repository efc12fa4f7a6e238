//! The calls `/rpcz` shows: the most recent and the slowest, in rings of fixed size, so the
//! memory they take never grows with the traffic. Above [`KEEP_ALL_BELOW`] calls a second only
//! a sample is kept; whether a call is kept is decided when it arrives, before any work is
//! done for it, so a call not kept costs a countdown.

use std::{
    collections::VecDeque,
    sync::{
        atomic::{AtomicU64, Ordering},
        Mutex,
    },
    time::{Duration, SystemTime},
};

use ferry_wire::Status;
use serde::Serialize;

use crate::{trace::TraceId, Dialect, Peer};

/// Below this many calls a second, every call is kept.
pub const KEEP_ALL_BELOW: u64 = 1_000;

/// How many of the most recent kept calls are held.
pub const RECENT_LEN: usize = 256;

/// How many of the slowest kept calls are held.
pub const SLOWEST_LEN: usize = 32;

/// How long a call stays among the slowest: an old outlier gives way to newer calls.
pub const SLOWEST_FOR: Duration = Duration::from_secs(600);

/// One kept call, as `/rpcz.json` lists it.
#[derive(Debug, Clone, Serialize)]
pub struct RecentCall {
    /// When it was answered, in seconds since the Unix epoch.
    pub at_unix: f64,
    /// The full method name, as the caller sent it.
    pub method: String,
    /// The dialect it came in on.
    pub dialect: &'static str,
    /// Who called.
    pub peer: String,
    /// How it ended (`ok`, `invalid_args`, ...).
    pub status: &'static str,
    /// From its arrival to its answer, in seconds.
    pub duration_seconds: f64,
    /// The bytes of its arguments.
    pub bytes_in: usize,
    /// The bytes of its answer.
    pub bytes_out: usize,
    /// The W3C trace id it ran under, when it had one.
    pub trace_id: Option<String>,
}

/// The longest method name a kept call holds, in bytes: a caller may send a name as long as a
/// body, and 288 kept calls of megabytes each would not be bounded memory.
pub const MAX_KEPT_NAME: usize = 256;

/// A call as it was answered, for keeping.
#[derive(Debug)]
pub(crate) struct Answered<'a> {
    pub(crate) method: &'a str,
    pub(crate) dialect: Dialect,
    pub(crate) peer: &'a Peer,
    pub(crate) status: Status,
    pub(crate) elapsed: Duration,
    /// The bytes of its arguments and of its answer.
    pub(crate) bytes: (usize, usize),
    pub(crate) trace_id: Option<TraceId>,
}

impl RecentCall {
    /// The call `answered`, answered now.
    pub(crate) fn answered(answered: Answered<'_>) -> RecentCall {
        let at = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default();
        RecentCall {
            at_unix: at.as_secs_f64(),
            method: shortened(answered.method),
            dialect: answered.dialect.name(),
            peer: answered.peer.to_string(),
            status: answered.status.name(),
            duration_seconds: answered.elapsed.as_secs_f64(),
            bytes_in: answered.bytes.0,
            bytes_out: answered.bytes.1,
            trace_id: answered.trace_id.map(|id| id.to_string()),
        }
    }
}

/// `name`, cut to at most [`MAX_KEPT_NAME`] bytes on a character boundary, marked with `…`.
fn shortened(name: &str) -> String {
    if name.len() <= MAX_KEPT_NAME {
        return name.to_owned();
    }
    let mut end = MAX_KEPT_NAME - '…'.len_utf8();
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &name[..end])
}

/// The kept calls, and how many calls stand for each one kept.
#[derive(Debug)]
pub struct RecentCalls {
    rings: Mutex<Rings>,
    /// One call in this many is kept; 1 keeps all.
    stride: AtomicU64,
    /// Calls seen by [`RecentCalls::keep_shared`].
    seen: AtomicU64,
}

#[derive(Debug, Default)]
struct Rings {
    recent: VecDeque<RecentCall>,
    /// Sorted slowest first.
    slowest: Vec<RecentCall>,
    /// Calls kept since the stride was last set from the rate.
    kept_since_adapted: u64,
}

impl Default for RecentCalls {
    fn default() -> RecentCalls {
        RecentCalls {
            rings: Mutex::default(),
            stride: AtomicU64::new(1),
            seen: AtomicU64::new(0),
        }
    }
}

impl RecentCalls {
    /// One call in how many is kept now.
    pub fn stride(&self) -> u64 {
        self.stride.load(Ordering::Relaxed)
    }

    /// Sets the stride for `rate` calls a second: all below [`KEEP_ALL_BELOW`], about that
    /// many a second above.
    pub(crate) fn adapt(&self, rate: u64) {
        let stride = rate.div_ceil(KEEP_ALL_BELOW).max(1);
        self.stride.store(stride, Ordering::Relaxed);
        self.lock().kept_since_adapted = 0;
    }

    /// Whether to keep a call arriving on a path with no sampler of its own (HTTP, the
    /// length-prefixed dialect): one shared counter decides.
    pub(crate) fn keep_shared(&self) -> bool {
        let stride = self.stride();
        stride <= 1
            || self
                .seen
                .fetch_add(1, Ordering::Relaxed)
                .is_multiple_of(stride)
    }

    /// Holds `call` among the recent, and among the slowest if it is one.
    ///
    /// A burst between two readings of the rate (after a quiet spell, or at the start) would
    /// have every call kept for up to a second: each [`KEEP_ALL_BELOW`] calls kept in that time
    /// double the stride at once.
    pub(crate) fn push(&self, call: RecentCall) {
        let mut rings = self.lock();
        rings.kept_since_adapted += 1;
        if rings.kept_since_adapted >= KEEP_ALL_BELOW {
            rings.kept_since_adapted = 0;
            self.stride
                .store(self.stride().saturating_mul(2), Ordering::Relaxed);
        }
        let oldest_slow = call.at_unix - SLOWEST_FOR.as_secs_f64();
        rings.slowest.retain(|slow| slow.at_unix >= oldest_slow);
        let place = rings
            .slowest
            .partition_point(|slow| slow.duration_seconds >= call.duration_seconds);
        if place < SLOWEST_LEN {
            rings.slowest.insert(place, call.clone());
            rings.slowest.truncate(SLOWEST_LEN);
        }
        if rings.recent.len() == RECENT_LEN {
            rings.recent.pop_front();
        }
        rings.recent.push_back(call);
    }

    /// The kept calls: the most recent first, and the slowest first.
    pub fn calls(&self) -> (Vec<RecentCall>, Vec<RecentCall>) {
        let rings = self.lock();
        let recent = rings.recent.iter().rev().cloned().collect();
        (recent, rings.slowest.clone())
    }
}

impl RecentCalls {
    fn lock(&self) -> std::sync::MutexGuard<'_, Rings> {
        self.rings
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }
}

/// A connection's own sampler: one call in [`RecentCalls::stride`], counted down locally, so
/// a call not kept touches nothing shared but one read of the stride.
#[derive(Debug, Default)]
pub(crate) struct Countdown(u64);

impl Countdown {
    /// Whether to keep the call arriving now.
    #[inline]
    pub(crate) fn keep(&mut self, recent: &RecentCalls) -> bool {
        let stride = recent.stride();
        if stride <= 1 {
            return true;
        }
        if self.0 == 0 {
            self.0 = stride - 1;
            return true;
        }
        self.0 -= 1;
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(at: f64, seconds: f64) -> RecentCall {
        RecentCall {
            at_unix: at,
            method: "calc.add".into(),
            dialect: "native",
            peer: "127.0.0.1:1".into(),
            status: "ok",
            duration_seconds: seconds,
            bytes_in: 1,
            bytes_out: 1,
            trace_id: None,
        }
    }

    #[test]
    fn keeps_a_bounded_ring_of_the_most_recent() {
        let recent = RecentCalls::default();
        for i in 0..RECENT_LEN + 10 {
            recent.push(call(i as f64, 0.001));
        }
        let (calls, _) = recent.calls();
        assert_eq!(calls.len(), RECENT_LEN);
        assert_eq!(calls[0].at_unix, (RECENT_LEN + 9) as f64);
    }

    #[test]
    fn keeps_the_slowest_first_and_lets_old_ones_go() {
        let recent = RecentCalls::default();
        for i in 0..100 {
            recent.push(call(1_000.0, f64::from(i)));
        }
        let (_, slowest) = recent.calls();
        assert_eq!(slowest.len(), SLOWEST_LEN);
        assert_eq!(slowest[0].duration_seconds, 99.0);
        recent.push(call(1_000.0 + 601.0, 0.5));
        let (_, slowest) = recent.calls();
        assert_eq!(slowest.len(), 1);
    }

    #[test]
    fn a_burst_before_the_rate_is_read_doubles_the_stride() {
        let recent = RecentCalls::default();
        for _ in 0..KEEP_ALL_BELOW * 3 {
            recent.push(call(1.0, 0.001));
        }
        assert_eq!(recent.stride(), 8);
        recent.adapt(10);
        assert_eq!(recent.stride(), 1);
    }

    #[test]
    fn a_long_name_is_cut_on_a_character_boundary() {
        let name = "é".repeat(MAX_KEPT_NAME);
        let kept = shortened(&name);
        assert!(
            kept.len() <= MAX_KEPT_NAME && kept.ends_with('…'),
            "{}",
            kept.len()
        );
        assert_eq!(shortened("calc.add"), "calc.add");
    }

    #[test]
    fn keeps_every_call_below_the_rate_and_a_sample_above() {
        let recent = RecentCalls::default();
        recent.adapt(999);
        let mut countdown = Countdown::default();
        assert!((0..100).all(|_| countdown.keep(&recent)));
        recent.adapt(10_000);
        assert_eq!(recent.stride(), 10);
        let kept = (0..1_000).filter(|_| countdown.keep(&recent)).count();
        assert_eq!(kept, 100);
        let shared = (0..1_000).filter(|_| recent.keep_shared()).count();
        assert_eq!(shared, 100);
    }
}
