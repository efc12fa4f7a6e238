//! One instance as the balanced client sees it: its connection and the figures balancers read.

use std::{
    hash::Hasher,
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
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
    /// Calls in flight (the low [`IN_FLIGHT_BITS`]) and calls answered (the rest), in one word:
    /// a call's end is one atomic add, not two.
    calls: AtomicU64,
    latency: Mutex<PeakEwma>,
    health: Mutex<Health>,
    /// Whether `health` counts failures a success must clear: read on every answer, so the
    /// lock is taken only when there is something to clear.
    failing: AtomicBool,
    /// Whether a registry lists it now: one that left is not probed, and holds no connection.
    listed: AtomicBool,
    /// A handle holding the live connection, replaced when the connection is found again.
    client: ArcSwap<ferry::Client>,
}

impl Endpoint {
    /// An endpoint for `instance`, calling it through `client`.
    pub(crate) fn new(instance: Instance, client: ferry::Client, now: Instant) -> Endpoint {
        Endpoint {
            hash: hash_key(instance.address.as_bytes()),
            instance,
            calls: AtomicU64::new(0),
            latency: Mutex::new(PeakEwma::new(now)),
            health: Mutex::new(Health::new()),
            failing: AtomicBool::new(false),
            listed: AtomicBool::new(true),
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
        (self.calls.load(Ordering::Relaxed) & IN_FLIGHT_MASK) as u32
    }

    /// Calls it answered (with any status) since the client started.
    pub fn answered(&self) -> u64 {
        self.calls.load(Ordering::Relaxed) >> IN_FLIGHT_BITS
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
        self.calls.fetch_add(1, Ordering::Relaxed);
    }

    /// A call sent to it ended; `answered` when the server replied.
    fn ended_call(&self, answered: bool) {
        // One in flight less and, when answered, one answered more: adding 2^BITS - 1 is both.
        let change = if answered { ANSWERED_ONE - 1 } else { u64::MAX };
        self.calls.fetch_add(change, Ordering::Relaxed);
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
        // A load first: the usual answer finds nothing to clear and writes nothing.
        if self.failing.load(Ordering::Relaxed) && self.failing.swap(false, Ordering::Relaxed) {
            self.health().success();
        }
    }

    /// Whether a registry lists it now.
    pub(crate) fn is_listed(&self) -> bool {
        self.listed.load(Ordering::Relaxed)
    }

    /// Records whether a registry lists it now.
    pub(crate) fn set_listed(&self, listed: bool) {
        self.listed.store(listed, Ordering::Relaxed);
    }

    /// The handle its calls go through, owned: what a service's usable snapshot takes for it,
    /// and what a stream or a probe connects.
    pub(crate) fn client(&self) -> Arc<ferry::Client> {
        self.client.load_full()
    }

    /// Keeps `client`, which holds a live connection, for the calls that follow.
    pub(crate) fn keep_client(&self, client: ferry::Client) {
        self.client.store(Arc::new(client));
    }
}

/// The client tells the endpoint each attempt it chose it for ended, however it ended (a call
/// dropped mid-attempt too), so calls in flight never drift up.
impl ferry::client::Server for Endpoint {
    fn ended(&self, ended: ferry::client::Ended) {
        self.ended_call(ended.answered());
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// Bits of [`Endpoint`]'s word that count calls in flight: up to about a million at once on
/// one endpoint; the other 44 count answered calls, 17 trillion of them.
const IN_FLIGHT_BITS: u32 = 20;
const IN_FLIGHT_MASK: u64 = (1 << IN_FLIGHT_BITS) - 1;
const ANSWERED_ONE: u64 = 1 << IN_FLIGHT_BITS;

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

/// The guard of `mutex`, also after a panic while it was held: every value these locks guard
/// stays whole between statements, so a poisoned one is still good.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
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
