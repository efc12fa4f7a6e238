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
    recent::{RecentCall, RecentCalls},
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

    pub(crate) fn keep(&self, call: RecentCall) {
        self.recent.push(call);
    }

    pub(crate) fn history(&self) -> MutexGuard<'_, History> {
        self.history
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    /// Takes a point every [`TICK`] until `shutdown`, and sets how many calls `/rpcz` keeps
    /// from the rate it saw.
    pub(crate) async fn run(self: Arc<Telemetry>, shutdown: CancellationToken) {
        if self.ticking.swap(true, Ordering::Relaxed) {
            return;
        }
        let mut ticks = tokio::time::interval(TICK);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticks.tick().await;
        let mut last = tokio::time::Instant::now();
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                now = ticks.tick() => {
                    let seconds = now.duration_since(last).as_secs_f64().max(1e-3);
                    last = now;
                    self.tick(seconds);
                }
            }
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
