//! Client settings.

use std::{fmt, sync::Arc, time::Duration};

use ferry_wire::{compress::Compression, DEFAULT_MAX_FRAME_LEN};

use crate::{io::Liveness, layer::ClientLayer, stream::StreamLimits, Codec};

/// How a [`Client`](crate::Client) connects and what it assumes by default.
#[derive(Clone)]
#[non_exhaustive]
#[must_use]
pub struct ClientConfig {
    /// The body codec offered in the preface.
    pub codec: Codec,
    /// The deadline of a call that sets none itself; `None` waits as long as the server takes.
    pub default_timeout: Option<Duration>,
    /// How long connecting and the preface exchange may take.
    pub connect_timeout: Duration,
    /// A connection on which the server sent nothing for this long is pinged (`None`: never),
    /// so that a server gone without a word fails the calls waiting on it `unavailable`
    /// rather than leaving them to their deadlines. Servers take at most 10 pings per their
    /// own interval (30 s by default): keep this at 3 s or more.
    pub keepalive: Option<Duration>,
    /// How long a pinged server has to answer before the connection is given up.
    pub keepalive_timeout: Duration,
    /// The largest response body accepted.
    pub max_frame_len: u32,
    /// The layers every call passes through, in order.
    pub layers: Vec<Arc<dyn ClientLayer>>,
    /// The window and largest item of the streams servers send this client.
    pub streams: StreamLimits,
    /// How `tls://` addresses are spoken to (see [`ClientTls`](crate::tls::ClientTls)); a
    /// `tls://` address without it fails to connect, saying so.
    pub tls: Option<Arc<rustls::ClientConfig>>,
    /// Whether the preface offers zstd (default off). On, and when the server accepts it too,
    /// request bodies over the threshold are compressed, and so are the server's answers over
    /// its own threshold.
    pub compression: Compression,
}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("codec", &self.codec)
            .field("default_timeout", &self.default_timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("keepalive", &self.keepalive)
            .field("keepalive_timeout", &self.keepalive_timeout)
            .field("max_frame_len", &self.max_frame_len)
            .field("layers", &self.layers.len())
            .field("streams", &self.streams)
            .field("tls", &self.tls.is_some())
            .field("compression", &self.compression)
            .finish()
    }
}

impl Default for ClientConfig {
    fn default() -> ClientConfig {
        ClientConfig {
            codec: Codec::MsgPack,
            default_timeout: Some(Duration::from_secs(30)),
            connect_timeout: Duration::from_secs(5),
            keepalive: Some(Duration::from_secs(30)),
            keepalive_timeout: Duration::from_secs(20),
            max_frame_len: DEFAULT_MAX_FRAME_LEN,
            layers: Vec::new(),
            streams: StreamLimits::default(),
            tls: None,
            compression: Compression::Off,
        }
    }
}

impl ClientConfig {
    /// Speaks TLS to `tls://` addresses with `config`.
    pub fn tls(mut self, config: Arc<rustls::ClientConfig>) -> ClientConfig {
        self.tls = Some(config);
        self
    }

    /// Sets the codec.
    pub fn codec(mut self, codec: Codec) -> ClientConfig {
        self.codec = codec;
        self
    }

    /// Sets whether bodies are compressed ([`Compression::zstd`] to offer it).
    pub fn compression(mut self, compression: Compression) -> ClientConfig {
        self.compression = compression;
        self
    }

    /// Sets the default per-call deadline.
    pub fn default_timeout(mut self, timeout: Option<Duration>) -> ClientConfig {
        self.default_timeout = timeout;
        self
    }

    /// Sets the connect timeout.
    pub fn connect_timeout(mut self, timeout: Duration) -> ClientConfig {
        self.connect_timeout = timeout;
        self
    }

    /// Sets how long a quiet connection waits before it pings the server (`None`: never).
    pub fn keepalive(mut self, interval: Option<Duration>) -> ClientConfig {
        self.keepalive = interval;
        self
    }

    /// Sets how long a pinged server has to answer.
    pub fn keepalive_timeout(mut self, timeout: Duration) -> ClientConfig {
        self.keepalive_timeout = timeout;
        self
    }

    /// The keepalive of one connection of this client.
    pub(crate) fn liveness(&self) -> Liveness {
        Liveness::new(self.keepalive, self.keepalive_timeout)
    }

    /// Sets the largest response body accepted.
    pub fn max_frame_len(mut self, max: u32) -> ClientConfig {
        self.max_frame_len = max;
        self
    }

    /// Sets the window and largest item of incoming streams.
    pub fn streams(mut self, limits: StreamLimits) -> ClientConfig {
        self.streams = limits;
        self
    }

    /// Adds a layer every call of the client passes through, after those added before it.
    pub fn layer(mut self, layer: impl ClientLayer) -> ClientConfig {
        self.layers.push(Arc::new(layer));
        self
    }
}
