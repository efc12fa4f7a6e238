//! What a server knows about itself beyond its counters: when it started, the per-method
//! figures of its router in the order pages list them, their last minutes, and the calls kept
//! for `/rpcz`. A task of the server takes a reading once a second.

use std::{
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex, MutexGuard,
    },
    time::{Duration, Instant, SystemTime},
};

use tokio_util::sync::CancellationToken;

use super::{
    history::History,
    method::MethodMetrics,
    recent::{Answered, RecentCall, RecentCalls},
};

/// How often the history takes a point.
pub const TICK: Duration = Duration::from_secs(1);

/// A server's figures over time and its recent calls.
#[derive(Debug)]
pub struct Telemetry {
    enabled: bool,
    started: Instant,
    started_unix: f64,
    methods: Vec<Arc<MethodMetrics>>,
    history: Mutex<History>,
    recent: RecentCalls,
    /// Set by the first server to take readings, so servers sharing this take them once.
    ticking: AtomicBool,
}

impl Telemetry {
    /// The telemetry of a server whose router has `methods`; with `enabled` false calls are
    /// neither counted nor kept.
    pub(crate) fn new(methods: Vec<Arc<MethodMetrics>>, enabled: bool) -> Telemetry {
        let started_unix = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs_f64();
        Telemetry {
            enabled,
            started: Instant::now(),
            started_unix,
            history: Mutex::new(History::new(methods.len())),
            methods,
            recent: RecentCalls::default(),
            ticking: AtomicBool::new(false),
        }
    }

    /// Whether calls are counted.
    #[inline]
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// How long the server has run.
    pub fn uptime(&self) -> Duration {
        self.started.elapsed()
    }

    /// When the server started, in seconds since the Unix epoch.
    pub fn started_unix(&self) -> f64 {
        self.started_unix
    }

    /// Every method's figures, by service then method name, `_other` last.
    pub fn methods(&self) -> &[Arc<MethodMetrics>] {
        &self.methods
    }

    /// The calls kept for `/rpcz`.
    pub fn recent(&self) -> &RecentCalls {
        &self.recent
    }

    /// Keeps `call` among the recent (and the slowest, if it is one) for `/rpcz`.
    pub(crate) fn keep(&self, call: Answered<'_>) {
        self.recent.push(RecentCall::answered(call));
    }

    /// The history, locked: the reader sees the methods and the totals of one tick.
    pub(crate) fn history(&self) -> MutexGuard<'_, History> {
        self.history
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    /// Takes a point every [`TICK`] until `shutdown`, and sets how many calls `/rpcz` keeps
    /// from the rate it saw. Of the servers sharing this telemetry, one takes the readings at a
    /// time; when it stops, another running one takes over at its next tick.
    pub(crate) async fn run(self: Arc<Telemetry>, shutdown: CancellationToken) {
        let mut ticks = tokio::time::interval(TICK);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut last = None;
        loop {
            tokio::select! {
                () = shutdown.cancelled() => break,
                now = ticks.tick() => {
                    match last {
                        Some(then) => self.tick(now.duration_since(then).as_secs_f64().max(1e-3)),
                        None if self.ticking.swap(true, Ordering::Relaxed) => continue,
                        None => {}
                    }
                    last = Some(now);
                }
            }
        }
        if last.is_some() {
            self.ticking.store(false, Ordering::Relaxed);
        }
    }

    fn tick(&self, seconds: f64) {
        let t = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs_f64();
        let rate = self.history().tick(&self.methods, t, seconds);
        self.recent.adapt(rate as u64);
    }
}
