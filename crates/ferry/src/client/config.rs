//! Client settings.

use std::time::Duration;

use ferry_wire::DEFAULT_MAX_FRAME_LEN;

use crate::Codec;

/// How a [`Client`](crate::Client) connects and what it assumes by default.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ClientConfig {
    /// The body codec offered in the preface.
    pub codec: Codec,
    /// The deadline of a call that sets none itself; `None` waits as long as the server takes.
    pub default_timeout: Option<Duration>,
    /// How long connecting and the preface exchange may take.
    pub connect_timeout: Duration,
    /// The largest response body accepted.
    pub max_frame_len: u32,
}

impl Default for ClientConfig {
    fn default() -> ClientConfig {
        ClientConfig {
            codec: Codec::MsgPack,
            default_timeout: Some(Duration::from_secs(30)),
            connect_timeout: Duration::from_secs(5),
            max_frame_len: DEFAULT_MAX_FRAME_LEN,
        }
    }
}

impl ClientConfig {
    /// Sets the codec.
    pub fn codec(mut self, codec: Codec) -> ClientConfig {
        self.codec = codec;
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

    /// Sets the largest response body accepted.
    pub fn max_frame_len(mut self, max: u32) -> ClientConfig {
        self.max_frame_len = max;
        self
    }
}
