//! How both halves reach etcd: the client's options, a bound on every call, and how a failure
//! is told.

use std::{fmt::Display, future::Future, sync::Arc, time::Duration};

use etcd_client::{Client, ConnectOptions};

use crate::DiscoveryError;

/// How long to wait for a TCP connection to an endpoint.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// How long to wait for a unary request's answer once connected.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(3);
/// HTTP/2 pings while a watch or a keepalive is open, so that an etcd which vanished without
/// closing its sockets (a host gone, a network cut) fails the stream rather than leaving it
/// waiting for ever.
const PING_INTERVAL: Duration = Duration::from_secs(5);
const PING_TIMEOUT: Duration = Duration::from_secs(3);

/// The endpoints of one etcd cluster, as given (`HOST:PORT`).
#[derive(Debug, Clone)]
pub(crate) struct Etcd {
    endpoints: Arc<[String]>,
}

impl Etcd {
    pub(crate) fn new(endpoints: Vec<String>) -> Etcd {
        Etcd {
            endpoints: endpoints.into(),
        }
    }

    /// A client for these endpoints. It connects on its first request, and again on the
    /// request after a connection broke.
    pub(crate) async fn connect(&self) -> Result<Client, DiscoveryError> {
        let options = ConnectOptions::new()
            .with_connect_timeout(CONNECT_TIMEOUT)
            .with_timeout(REQUEST_TIMEOUT)
            .with_keep_alive(PING_INTERVAL, PING_TIMEOUT);
        Client::connect(&*self.endpoints, Some(options))
            .await
            .map_err(|error| self.error(format_args!("connecting: {error}")))
    }

    /// Runs one call to etcd, `what` naming it in the error. The call is bounded here as a
    /// whole (connecting and answering), so no path through the client can hang a caller.
    pub(crate) async fn call<T>(
        &self,
        what: impl Display,
        call: impl Future<Output = Result<T, etcd_client::Error>>,
    ) -> Result<T, DiscoveryError> {
        match tokio::time::timeout(PATIENCE, call).await {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(error)) => Err(self.error(format_args!("{what}: {error}"))),
            Err(_) => Err(self.error(format_args!("{what}: no answer within {PATIENCE:?}"))),
        }
    }

    /// The error for a failure of `message` on these endpoints.
    pub(crate) fn error(&self, message: impl Display) -> DiscoveryError {
        DiscoveryError::Etcd {
            endpoints: self.endpoints.join(","),
            message: message.to_string(),
        }
    }
}

/// The longest one call may take: a connection and then an answer.
pub(crate) const PATIENCE: Duration = CONNECT_TIMEOUT.saturating_add(REQUEST_TIMEOUT);
