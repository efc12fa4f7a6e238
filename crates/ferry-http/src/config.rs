//! The limits and options of the HTTP dialect.

use std::{path::PathBuf, time::Duration};

/// How [`Http`](crate::Http) serves: its limits, the optional static root and file store.
///
/// ```
/// use std::time::Duration;
///
/// let config = ferry_http::HttpConfig::default()
///     .max_body_len(1024 * 1024)
///     .header_read_timeout(Duration::from_secs(5))
///     .www("./public");
/// assert_eq!(config.max_body_len, 1024 * 1024);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
#[must_use]
pub struct HttpConfig {
    /// The largest request body accepted, in bytes (default 16 MiB, the native protocol's
    /// default frame limit). A larger one is answered 413 without being read to its end.
    pub max_body_len: usize,
    /// The largest request head (request line and headers), in bytes (default 16 KiB, at
    /// least 8 KiB). A larger one is answered 431 and the connection closed.
    pub max_header_len: usize,
    /// How long a client may take to send a whole request head (default 10 s); the connection
    /// is closed when it runs out. The same clock closes a keep-alive connection left idle.
    pub header_read_timeout: Duration,
    /// How long a client may take to send a whole request body once its head has arrived
    /// (default 30 s); a body that takes longer is answered 408.
    pub body_read_timeout: Duration,
    /// The directory served to `GET` and `HEAD` requests no other route takes; `None` (the
    /// default) answers those with a JSON 404.
    pub www: Option<PathBuf>,
    /// The file store behind `GET`, `HEAD` and `PUT /files/PATH`; `None` (the default)
    /// leaves `/files/` to the other routes. A `PUT` body is bounded by the store's
    /// `max_file_size`, not by `max_body_len`.
    pub files: Option<ferry_files::Root>,
    /// Serves the pages (`/metrics`, `/status`, `/status.json`, `/rpcz`, `/rpcz.json`) on
    /// this port (default on). Turn it off to keep them off the port callers reach, and serve
    /// them elsewhere with [`serve_pages`](crate::serve_pages), or not at all.
    pub pages: bool,
    /// HTTP/2: the streams one connection may have open at once (default 256); more are
    /// refused with `REFUSED_STREAM`.
    pub max_concurrent_streams: u32,
    /// HTTP/2: streams a client may reset before the server has answered them (default 32),
    /// beyond which the connection is closed with `ENHANCE_YOUR_CALM`: the rapid-reset attack
    /// opens and cancels streams as fast as it can.
    pub max_pending_resets: usize,
    /// HTTP/2: how often an idle connection is pinged (default 30 s; `None`: never).
    pub http2_keepalive: Option<Duration>,
    /// HTTP/2: how long a ping may go unanswered before the connection is closed (20 s).
    pub http2_keepalive_timeout: Duration,
    /// The most calls one request may carry: the elements of a JSON-RPC batch, the entries of
    /// an XML-RPC `system.multicall` (default 1,000). A longer one is refused whole (-32600)
    /// and none of its calls runs.
    pub max_batch_len: usize,
}

/// 16 MiB.
const DEFAULT_MAX_BODY_LEN: usize = 16 * 1024 * 1024;

/// 1,000 calls.
const DEFAULT_MAX_BATCH_LEN: usize = 1000;

/// hyper's smallest read buffer, and so the smallest head limit it can enforce.
pub(crate) const MIN_HEADER_LEN: usize = 8 * 1024;

impl Default for HttpConfig {
    fn default() -> HttpConfig {
        HttpConfig {
            max_body_len: DEFAULT_MAX_BODY_LEN,
            max_header_len: 16 * 1024,
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(30),
            www: None,
            files: None,
            pages: true,
            max_concurrent_streams: 256,
            max_pending_resets: 32,
            http2_keepalive: Some(Duration::from_secs(30)),
            http2_keepalive_timeout: Duration::from_secs(20),
            max_batch_len: DEFAULT_MAX_BATCH_LEN,
        }
    }
}

impl HttpConfig {
    /// Serves the pages on this port, or not.
    pub fn pages(mut self, on: bool) -> HttpConfig {
        self.pages = on;
        self
    }

    /// Sets the HTTP/2 streams one connection may have open at once.
    pub fn max_concurrent_streams(mut self, max: u32) -> HttpConfig {
        self.max_concurrent_streams = max;
        self
    }

    /// Sets how often an idle HTTP/2 connection is pinged (`None`: never) and how long it may
    /// take to answer.
    pub fn http2_keepalive(
        mut self,
        every: Option<Duration>,
        answer_within: Duration,
    ) -> HttpConfig {
        self.http2_keepalive = every;
        self.http2_keepalive_timeout = answer_within;
        self
    }

    /// Sets the largest request body, in bytes.
    pub fn max_body_len(mut self, max: usize) -> HttpConfig {
        self.max_body_len = max;
        self
    }

    /// Sets the most calls one JSON-RPC batch or XML-RPC `system.multicall` may carry.
    pub fn max_batch_len(mut self, max: usize) -> HttpConfig {
        self.max_batch_len = max;
        self
    }

    /// Sets the largest request head, in bytes; values under 8 KiB count as 8 KiB.
    pub fn max_header_len(mut self, max: usize) -> HttpConfig {
        self.max_header_len = max;
        self
    }

    /// Sets how long a client may take to send a request head.
    pub fn header_read_timeout(mut self, timeout: Duration) -> HttpConfig {
        self.header_read_timeout = timeout;
        self
    }

    /// Sets how long a client may take to send a request body.
    pub fn body_read_timeout(mut self, timeout: Duration) -> HttpConfig {
        self.body_read_timeout = timeout;
        self
    }

    /// Serves static files from `root`.
    pub fn www(mut self, root: impl Into<PathBuf>) -> HttpConfig {
        self.www = Some(root.into());
        self
    }

    /// Serves and stores files under `/files/` in `root`.
    pub fn files(mut self, root: ferry_files::Root) -> HttpConfig {
        self.files = Some(root);
        self
    }
}
