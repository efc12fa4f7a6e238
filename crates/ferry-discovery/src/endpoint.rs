//! One instance as the balanced client sees it: its connection and the figures balancers read.

use std::{
    hash::Hasher,
    sync::{
        atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering},
        Arc, Mutex, MutexGuard,
    },
    time::Duration,
};

use arc_swap::ArcSwap;
use tokio::time::Instant;

use crate::{ewma::PeakEwma, health::Health, Instance};

/// An instance the balanced client may send calls to. Balancers read its figures, which are
/// atomics or a short lock, never the connection.
#[derive(Debug)]
pub struct Endpoint {
    instance: Instance,
    hash: u64,
    in_flight: AtomicU32,
    answered: AtomicU64,
    /// Calls whose first attempt it took: re-sends are not counted, so they earn the retry
    /// budget nothing.
    calls: AtomicU64,
    latency: Mutex<PeakEwma>,
    health: Mutex<Health>,
    /// Whether `health` counts failures a success must clear: read on every answer, so the
    /// lock is taken only when there is something to clear.
    failing: AtomicBool,
    /// A handle holding the live connection, replaced when the connection is found again.
    client: ArcSwap<ferry::Client>,
}

impl Endpoint {
    /// An endpoint for `instance`, calling it through `client`.
    pub(crate) fn new(instance: Instance, client: ferry::Client, now: Instant) -> Endpoint {
        Endpoint {
            hash: hash_key(instance.address.as_bytes()),
            instance,
            in_flight: AtomicU32::new(0),
            answered: AtomicU64::new(0),
            calls: AtomicU64::new(0),
            latency: Mutex::new(PeakEwma::new(now)),
            health: Mutex::new(Health::new()),
            failing: AtomicBool::new(false),
            client: ArcSwap::from_pointee(client),
        }
    }

    /// The instance.
    pub fn instance(&self) -> &Instance {
        &self.instance
    }

    /// Its address.
    pub fn address(&self) -> &str {
        &self.instance.address
    }

    /// A hash of its address, the same in every process: what consistent hashing places.
    pub fn hash(&self) -> u64 {
        self.hash
    }

    /// Calls sent to it and not yet answered.
    pub fn in_flight(&self) -> u32 {
        self.in_flight.load(Ordering::Relaxed)
    }

    /// Calls it answered (with any status) since the client started.
    pub fn answered(&self) -> u64 {
        self.answered.load(Ordering::Relaxed)
    }

    /// Calls whose first attempt it took (answered or not), re-sends left out.
    pub(crate) fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    /// It takes the first attempt of a call.
    pub(crate) fn took_call(&self) {
        self.calls.fetch_add(1, Ordering::Relaxed);
    }

    /// The peak-EWMA latency estimate.
    pub fn latency(&self) -> Duration {
        self.lock_latency().estimate()
    }

    /// What it has done so far.
    pub(crate) fn figures(&self) -> EndpointFigures {
        let health = self.health();
        EndpointFigures {
            address: self.address().to_owned(),
            answered: self.answered(),
            in_flight: self.in_flight(),
            ejected_until: health.ejected_until(),
            ejections: health.ejections(),
        }
    }

    pub(crate) fn started(&self) {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
    }

    /// A call sent to it ended; `answered` when the server replied.
    pub(crate) fn ended(&self, answered: bool) {
        self.in_flight.fetch_sub(1, Ordering::Relaxed);
        if answered {
            self.answered.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub(crate) fn observe_latency(&self, rtt: Duration, now: Instant) {
        self.lock_latency().observe(rtt, now);
    }

    fn lock_latency(&self) -> MutexGuard<'_, PeakEwma> {
        lock(&self.latency)
    }

    /// Its ejection state, to record an outcome or a probe in.
    pub(crate) fn health(&self) -> MutexGuard<'_, Health> {
        lock(&self.health)
    }

    /// A failure was counted: the next success must clear it.
    pub(crate) fn mark_failing(&self) {
        self.failing.store(true, Ordering::Relaxed);
    }

    /// An answer came: clears the failures counted before it.
    pub(crate) fn succeeded(&self) {
        if self.failing.swap(false, Ordering::Relaxed) {
            self.health().success();
        }
    }

    /// The handle its calls go through.
    pub(crate) fn client(&self) -> arc_swap::Guard<Arc<ferry::Client>> {
        self.client.load()
    }

    /// Keeps `client`, which holds a live connection, for the calls that follow.
    pub(crate) fn keep_client(&self, client: ferry::Client) {
        self.client.store(Arc::new(client));
    }
}

/// One endpoint's figures, as [`Balanced::figures`](crate::Balanced::figures) reports them.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct EndpointFigures {
    /// The instance's address.
    pub address: String,
    /// Calls it answered (with any status).
    pub answered: u64,
    /// Calls sent to it and not yet answered.
    pub in_flight: u32,
    /// When its ejection ends (or ended, while it awaits its probe); `None` while it takes
    /// calls.
    pub ejected_until: Option<Instant>,
    /// How many times it has been ejected (forgotten after 300 s back in service).
    pub ejections: u32,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poison| poison.into_inner())
}

/// FNV-1a of a call's key or an address: stable across processes and Rust versions, unlike
/// `DefaultHasher`, so every client places a key alike.
pub(crate) fn hash_key(key: &[u8]) -> u64 {
    let mut hasher = Fnv(0xcbf2_9ce4_8422_2325);
    hasher.write(key);
    hasher.finish()
}

struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = (self.0 ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}
