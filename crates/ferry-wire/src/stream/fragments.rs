//! Cutting an item into frame bodies.

use bytes::Bytes;

/// The frame bodies of one item, each at most `max` bytes, with whether more follow. An empty
/// item is one empty frame.
///
/// ```
/// use bytes::Bytes;
/// use ferry_wire::stream::Fragments;
///
/// let parts: Vec<(Bytes, bool)> = Fragments::new(Bytes::from_static(b"abcde"), 2).collect();
/// assert_eq!(parts, [("ab".into(), true), ("cd".into(), true), ("e".into(), false)]);
/// ```
#[derive(Debug, Clone)]
pub struct Fragments {
    rest: Option<Bytes>,
    max: usize,
}

impl Fragments {
    /// The fragments of `item`, `max` bytes each (at least 1).
    pub fn new(item: Bytes, max: usize) -> Fragments {
        Fragments {
            rest: Some(item),
            max: max.max(1),
        }
    }
}

impl Iterator for Fragments {
    type Item = (Bytes, bool);

    fn next(&mut self) -> Option<(Bytes, bool)> {
        let mut rest = self.rest.take()?;
        if rest.len() <= self.max {
            return Some((rest, false));
        }
        let part = rest.split_to(self.max);
        self.rest = Some(rest);
        Some((part, true))
    }
}
