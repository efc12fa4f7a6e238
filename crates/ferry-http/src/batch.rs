//! The cap on the calls one request may carry: a JSON-RPC batch, an XML-RPC
//! `system.multicall`. Past it the request is refused whole, before any of its calls runs.

use std::fmt;

/// A batch longer than the cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TooLong {
    /// How many calls the batch holds.
    pub(crate) len: usize,
    /// The most it may hold.
    pub(crate) max: usize,
}

impl TooLong {
    /// `Some` when a batch of `len` calls is over `max`.
    pub(crate) fn check(len: usize, max: usize) -> Option<TooLong> {
        (len > max).then_some(TooLong { len, max })
    }
}

impl fmt::Display for TooLong {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "a batch holds at most {} calls; this one holds {}: send it in parts",
            self.max, self.len
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_names_the_limit_and_the_length() {
        assert_eq!(TooLong::check(1000, 1000), None);
        let over = TooLong::check(200_000, 1000).expect("over");
        assert_eq!(
            over.to_string(),
            "a batch holds at most 1000 calls; this one holds 200000: send it in parts"
        );
    }
}
