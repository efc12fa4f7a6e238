//! One server of a service as a registry lists it, and the value etcd holds for it.

use std::{
    sync::Arc,
    time::{Duration, SystemTime},
};

use serde::{Deserialize, Serialize};

/// The instances of a service known now, in a stable order (sorted by address).
pub type Instances = Arc<[Instance]>;

/// One server of a service: where to reach it and what it says about itself. In etcd this is
/// the JSON value of `/ferry/v1/services/{service}/{address}`:
///
/// ```json
/// {"address":"10.0.0.5:7070","weight":1,"version":"0.1.0","started_at":"2026-12-02T01:50:00Z"}
/// ```
///
/// Fields a newer server adds are ignored, and a missing `weight`, `version` or `started_at`
/// reads as 1, "" and unknown, so other tools may write the value too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Instance {
    /// Where callers connect: `HOST:PORT` or `unix:PATH`.
    pub address: String,
    /// Its share of calls relative to the others (1 by default); balancers may weigh by it.
    #[serde(default = "default_weight")]
    pub weight: u32,
    /// The version of the server software.
    #[serde(default)]
    pub version: String,
    /// When the server started, RFC 3339 in UTC (`2026-12-02T01:50:00Z`); empty when unknown.
    #[serde(default)]
    pub started_at: String,
}

fn default_weight() -> u32 {
    1
}

impl Instance {
    /// An instance at `address` with weight 1 and nothing else known, as a static list names
    /// one.
    pub fn new(address: impl Into<String>) -> Instance {
        Instance {
            address: address.into(),
            weight: 1,
            version: String::new(),
            started_at: String::new(),
        }
    }

    /// This instance, saying it runs `version` and started at `started_at`.
    #[must_use]
    pub fn described(mut self, version: &str, started_at: SystemTime) -> Instance {
        self.version = version.to_owned();
        self.started_at = humantime::format_rfc3339_seconds(started_at).to_string();
        self
    }

    /// This instance with `weight`.
    #[must_use]
    pub fn weight(mut self, weight: u32) -> Instance {
        self.weight = weight;
        self
    }

    /// How long it has been up at `now`, when its start is known.
    pub fn age(&self, now: SystemTime) -> Option<Duration> {
        let started = humantime::parse_rfc3339(&self.started_at).ok()?;
        Some(now.duration_since(started).unwrap_or_default())
    }
}
