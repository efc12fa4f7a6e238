//! Client-side figures for programs that export their own metrics: a [`ClientLayer`] that
//! counts every call a client makes by method and status, with its duration.
//!
//! ```
//! use std::sync::Arc;
//! use ferry::{metrics::ClientMetrics, ClientConfig};
//!
//! let metrics = Arc::new(ClientMetrics::default());
//! let config = ClientConfig::default().layer(metrics.clone());
//! // ... make calls with a client built from `config`, then:
//! let mut text = String::new();
//! metrics.render(&mut text); // rpc_client_call_duration_seconds, in the Prometheus text format
//! # let _ = config;
//! ```

use std::{
    collections::HashMap,
    sync::{Arc, OnceLock, RwLock},
    time::Duration,
};

use ferry_wire::Status;

use super::{histogram::Histogram, method::OTHER, prometheus, Snapshot};
use crate::layer::ClientLayer;

/// The name of the client-side call histogram.
pub const CLIENT_DURATION: &str = "rpc_client_call_duration_seconds";

/// How many method names a [`ClientMetrics`] tells apart; calls of any more share `_other`.
pub const MAX_CLIENT_METHODS: usize = 1_000;

type ByStatus = [OnceLock<Box<Histogram>>; Status::ALL.len()];

/// Every call of the clients it is installed on, by method and status.
#[derive(Debug, Default)]
pub struct ClientMetrics {
    methods: RwLock<HashMap<String, Arc<ByStatus>>>,
}

impl ClientMetrics {
    fn by_status(&self, method: &str) -> Arc<ByStatus> {
        let known = self.methods.read().unwrap_or_else(|p| p.into_inner());
        if let Some(found) = known.get(method) {
            return found.clone();
        }
        drop(known);
        let mut known = self.methods.write().unwrap_or_else(|p| p.into_inner());
        let name = if known.len() < MAX_CLIENT_METHODS {
            method
        } else {
            OTHER
        };
        let made = known.entry(name.to_owned()).or_default();
        made.clone()
    }

    /// Every method and status called so far, with its counts, sorted by method.
    pub fn snapshot(&self) -> Vec<(String, Status, Snapshot)> {
        let known = self.methods.read().unwrap_or_else(|p| p.into_inner());
        let mut all: Vec<_> = known
            .iter()
            .flat_map(|(method, by_status)| {
                Status::ALL
                    .iter()
                    .zip(by_status.iter())
                    .filter_map(move |(status, slot)| {
                        slot.get().map(|h| (method.clone(), *status, h.snapshot()))
                    })
            })
            .collect();
        all.sort_by(|a, b| (&a.0, a.1.as_u8()).cmp(&(&b.0, b.1.as_u8())));
        all
    }

    /// Writes the figures in the Prometheus text format, as `rpc_client_call_duration_seconds`
    /// with the labels `rpc_service`, `rpc_method` and `rpc_status`.
    pub fn render(&self, out: &mut String) {
        let help = "How long each call took, as its caller saw it, by method and status.";
        prometheus::header(out, CLIENT_DURATION, "histogram", help);
        for (full_name, status, snapshot) in self.snapshot() {
            let (service, method) = full_name.rsplit_once('.').unwrap_or((OTHER, &full_name));
            let labels = [
                ("rpc_service", service),
                ("rpc_method", method),
                ("rpc_status", status.name()),
            ];
            prometheus::histogram(out, CLIENT_DURATION, &labels, &snapshot);
        }
    }
}

impl ClientLayer for ClientMetrics {
    fn after(&self, method: &str, status: Status, elapsed: Duration) {
        let by_status = self.by_status(method);
        by_status[usize::from(status.as_u8())]
            .get_or_init(Box::default)
            .record(elapsed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_by_method_and_status_and_bounds_the_names() {
        let metrics = ClientMetrics::default();
        metrics.after("calc.add", Status::Ok, Duration::from_micros(40));
        metrics.after("calc.add", Status::Ok, Duration::from_micros(40));
        metrics.after("calc.div", Status::Application, Duration::from_micros(40));
        for i in 0..MAX_CLIENT_METHODS + 5 {
            metrics.after(
                &format!("noise.m{i}"),
                Status::UnknownMethod,
                Duration::ZERO,
            );
        }
        let all = metrics.snapshot();
        let add = all
            .iter()
            .find(|(m, s, _)| m == "calc.add" && *s == Status::Ok)
            .unwrap();
        assert_eq!(add.2.count(), 2);
        assert_eq!(
            metrics.methods.read().unwrap().len(),
            MAX_CLIENT_METHODS + 1
        );
        let mut text = String::new();
        metrics.render(&mut text);
        assert!(text.contains(r#"rpc_client_call_duration_seconds_count{rpc_service="calc",rpc_method="add",rpc_status="ok"} 2"#), "{}", &text[..400]);
    }
}
