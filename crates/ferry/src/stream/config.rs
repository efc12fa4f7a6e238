//! The limits a side puts on the streams it receives.

use ferry_wire::stream::DEFAULT_WINDOW;

/// How much of a stream one side holds before its sender must wait, and the largest item it
/// takes. The same for a server's incoming streams and a client's.
///
/// ```
/// let limits = ferry::stream::StreamLimits::default().window(4 << 20);
/// assert_eq!(limits.window, 4 << 20);
/// assert_eq!(limits.max_item_len, 16 << 20);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
#[must_use]
pub struct StreamLimits {
    /// Bytes of items (plus 16 per frame) a sender may be ahead of this side's consumer, per
    /// stream: the most one stream holds here (default 1 MiB; at least 64 KiB).
    pub window: u64,
    /// The largest item, in bytes, once its fragments are put together; a larger one ends its
    /// call `too_large` (default 16 MiB).
    pub max_item_len: usize,
}

impl Default for StreamLimits {
    fn default() -> StreamLimits {
        StreamLimits {
            window: DEFAULT_WINDOW,
            max_item_len: 16 * 1024 * 1024,
        }
    }
}

impl StreamLimits {
    /// Sets the window, in bytes.
    pub fn window(mut self, window: u64) -> StreamLimits {
        self.window = window;
        self
    }

    /// Sets the largest item, in bytes.
    pub fn max_item_len(mut self, max: usize) -> StreamLimits {
        self.max_item_len = max;
        self
    }
}
