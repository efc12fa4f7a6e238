//! One instance as the balanced client sees it: its connection and the figures balancers read.

use std::{
    hash::{Hash, Hasher},
    sync::{
        atomic::{AtomicU32, AtomicU64, Ordering},
        Mutex,
    },
    time::Duration,
};

use tokio::time::Instant;

use crate::{ewma::PeakEwma, Instance};

/// An instance the balanced client may send calls to. Balancers read its figures, which are
/// atomics or a short lock, never the connection.
#[derive(Debug)]
pub struct Endpoint {
    instance: Instance,
    hash: u64,
    in_flight: AtomicU32,
    answered: AtomicU64,
    latency: Mutex<PeakEwma>,
    pub(crate) client: ferry::Client,
}

impl Endpoint {
    /// An endpoint for `instance`, calling it through `client`.
    pub(crate) fn new(instance: Instance, client: ferry::Client, now: Instant) -> Endpoint {
        Endpoint {
            hash: hash_of(&instance.address),
            instance,
            in_flight: AtomicU32::new(0),
            answered: AtomicU64::new(0),
            latency: Mutex::new(PeakEwma::new(now)),
            client,
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

    /// The peak-EWMA latency estimate.
    pub fn latency(&self) -> Duration {
        self.lock_latency().estimate()
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

    fn lock_latency(&self) -> std::sync::MutexGuard<'_, PeakEwma> {
        self.latency
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }
}

/// FNV-1a of the address: stable across processes and Rust versions, unlike `DefaultHasher`.
fn hash_of(address: &str) -> u64 {
    let mut hasher = Fnv(0xcbf2_9ce4_8422_2325);
    address.hash(&mut hasher);
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
