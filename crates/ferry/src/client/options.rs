//! What one untyped call asks for beyond its method and arguments.

use std::time::Duration;

use bytes::Bytes;
use ferry_wire::{ByteStr, Metadata};

/// How to make one call: whether it may be re-sent, its deadline, its metadata. The default is
/// not idempotent, the client's timeout, no metadata of its own.
///
/// ```
/// use std::time::Duration;
/// use ferry::CallOptions;
///
/// let options = CallOptions::new()
///     .idempotent()
///     .timeout(Some(Duration::from_secs(2)))
///     .metadata("user", "alice");
/// assert!(options.is_idempotent());
/// ```
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct CallOptions {
    pub(crate) idempotent: bool,
    pub(crate) timeout: Option<Option<Duration>>,
    pub(crate) metadata: Metadata,
    pub(crate) idle_timeout: Option<Duration>,
    pub(crate) hash_key: Option<Bytes>,
}

impl CallOptions {
    /// The defaults.
    pub fn new() -> CallOptions {
        CallOptions::default()
    }

    /// The call may be re-sent after a failure that the server cannot have run it through.
    pub fn idempotent(mut self) -> CallOptions {
        self.idempotent = true;
        self
    }

    /// Sets whether the call may be re-sent.
    pub fn with_idempotent(mut self, idempotent: bool) -> CallOptions {
        self.idempotent = idempotent;
        self
    }

    /// The call's deadline, instead of the client's (`None`: no deadline).
    pub fn timeout(mut self, timeout: Option<Duration>) -> CallOptions {
        self.timeout = Some(timeout);
        self
    }

    /// For a call whose server streams back: the longest wait for the next item, after which
    /// the stream fails `deadline_exceeded` and the call is cancelled. The call's deadline
    /// still covers the whole stream.
    pub fn idle_timeout(mut self, idle: Duration) -> CallOptions {
        self.idle_timeout = Some(idle);
        self
    }

    /// A metadata pair the call carries, after the client's own.
    pub fn metadata(mut self, key: &str, value: &str) -> CallOptions {
        self.metadata
            .push((ByteStr::from(key), ByteStr::from(value)));
        self
    }

    /// The key a consistent-hash balancer places this call by: calls with the same key reach
    /// the same server while it lives. Ignored by a client of one server.
    pub fn hash_key(mut self, key: impl AsRef<[u8]>) -> CallOptions {
        self.hash_key = Some(Bytes::copy_from_slice(key.as_ref()));
        self
    }

    /// Whether the call may be re-sent.
    #[must_use]
    pub fn is_idempotent(&self) -> bool {
        self.idempotent
    }
}
