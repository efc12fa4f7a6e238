//! The receiving end of a stream: reassembly and credit.

use bytes::{Bytes, BytesMut};

use super::{cost, INITIAL_CREDIT};

/// Why a receiver cannot take a stream's next frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StreamFault {
    /// The sender sent more than the credit it was granted: a protocol error.
    #[error("the peer sent {sent} bytes of stream items with {credit} bytes of credit")]
    Overrun {
        /// The cost of the frame that did not fit.
        sent: u64,
        /// The credit the sender had left.
        credit: u64,
    },
    /// An item grew past the receiver's largest item.
    #[error("a stream item of more than {max} bytes is over this side's limit")]
    ItemTooLarge {
        /// The limit.
        max: usize,
    },
}

/// What one item frame gave the receiver.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[must_use]
pub struct Received {
    /// A whole item, for the consumer's queue.
    pub item: Option<Bytes>,
    /// What that item cost, all its frames together: the consumer reports it taken.
    pub item_cost: u64,
    /// Credit to send back now.
    pub grant: Option<u32>,
}

/// One stream's receive side: puts fragments back together and decides when to grant credit.
///
/// Bytes the receiver holds count against the window from the frame that brings them until the
/// consumer reports them taken. One exception keeps an item larger than the window from
/// stalling its stream: while the consumer's queue is empty, the part of an item still being
/// put together does not count, so its sender can finish it. A stream thus holds at most the
/// window plus one item.
///
/// ```
/// use ferry_wire::stream::{cost, ReceiveWindow, INITIAL_CREDIT};
///
/// let (mut window, opening) = ReceiveWindow::open(1 << 20, 1 << 24);
/// assert_eq!(u64::from(opening), (1 << 20) - INITIAL_CREDIT);
/// let received = window.on_frame(bytes::Bytes::from_static(b"item"), false).unwrap();
/// assert_eq!(received.item.as_deref(), Some(&b"item"[..]));
/// assert_eq!(window.held(), cost(4));
/// ```
#[derive(Debug, Clone)]
pub struct ReceiveWindow {
    window: u64,
    max_item: usize,
    /// Credit the sender has and has not spent.
    credit: u64,
    /// The cost of whole items handed to the consumer and not reported taken.
    queued: u64,
    /// The item being put together, and its cost so far.
    partial: BytesMut,
    partial_cost: u64,
}

impl ReceiveWindow {
    /// A new stream's receive side with `window` bytes of credit (at least one fragment's
    /// worth) and items of at most `max_item` bytes; and the credit to grant at once, which
    /// with the [`INITIAL_CREDIT`] every sender starts with makes up the window.
    pub fn open(window: u64, max_item: usize) -> (ReceiveWindow, u32) {
        let window = window.clamp(INITIAL_CREDIT, u64::from(u32::MAX));
        let receiver = ReceiveWindow {
            window,
            max_item,
            credit: window,
            queued: 0,
            partial: BytesMut::new(),
            partial_cost: 0,
        };
        (receiver, to_grant(window - INITIAL_CREDIT))
    }

    /// Takes one item frame.
    pub fn on_frame(&mut self, body: Bytes, more: bool) -> Result<Received, StreamFault> {
        let frame_cost = cost(body.len());
        if frame_cost > self.credit {
            return Err(StreamFault::Overrun {
                sent: frame_cost,
                credit: self.credit,
            });
        }
        if self.partial.len() + body.len() > self.max_item {
            return Err(StreamFault::ItemTooLarge { max: self.max_item });
        }
        self.credit -= frame_cost;
        self.partial_cost += frame_cost;
        if more {
            self.partial.extend_from_slice(&body);
            return Ok(Received {
                grant: self.grant(),
                ..Received::default()
            });
        }
        let item_cost = std::mem::take(&mut self.partial_cost);
        self.queued += item_cost;
        let item = if self.partial.is_empty() {
            body
        } else {
            self.partial.extend_from_slice(&body);
            std::mem::take(&mut self.partial).freeze()
        };
        Ok(Received {
            item: Some(item),
            item_cost,
            grant: self.grant(),
        })
    }

    /// The consumer took items costing `taken`; the credit to grant back, if it is time.
    pub fn on_taken(&mut self, taken: u64) -> Option<u32> {
        let taken = taken.min(self.queued);
        self.queued -= taken;
        self.grant()
    }

    /// Grants what the window has room for, once that is worth a frame: a quarter of the
    /// window, or anything while the consumer waits on a part-built item.
    fn grant(&mut self) -> Option<u32> {
        let held = if self.queued > 0 {
            self.queued + self.partial_cost
        } else {
            0
        };
        let room = self.window.saturating_sub(self.credit + held);
        let starving = self.queued == 0 && self.partial_cost > 0;
        if room == 0 || (room < self.window / 4 && !starving) {
            return None;
        }
        self.credit += room;
        Some(to_grant(room))
    }

    /// The cost of what the receiver holds: whole items not taken and the part-built item.
    pub fn held(&self) -> u64 {
        self.queued + self.partial_cost
    }
}

fn to_grant(credit: u64) -> u32 {
    u32::try_from(credit).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stream::{Fragments, MAX_FRAGMENT_LEN};

    const WINDOW: u64 = 1 << 20;

    fn open() -> ReceiveWindow {
        ReceiveWindow::open(WINDOW, 16 << 20).0
    }

    fn item(len: usize) -> Bytes {
        Bytes::from(vec![7; len])
    }

    #[test]
    fn a_sender_that_spends_only_its_credit_is_never_refused_and_grants_follow_taking() {
        let mut window = open();
        let each = cost(1000);
        let fits = WINDOW / each;
        for _ in 0..fits {
            let received = window.on_frame(item(1000), false).unwrap();
            assert!(received.item.is_some());
            assert_eq!(received.grant, None, "granted with nothing taken");
        }
        assert!(matches!(
            window.on_frame(item(1000), false),
            Err(StreamFault::Overrun { .. })
        ));
        assert_eq!(window.held(), fits * each);
        assert_eq!(window.on_taken(each), None, "a grant too small for a frame");
        let grant = window
            .on_taken(fits * each / 2)
            .expect("half the window taken");
        assert!(u64::from(grant) >= WINDOW / 4);
        for _ in 0..u64::from(grant) / each {
            assert!(window.on_frame(item(1000), false).unwrap().item.is_some());
        }
    }

    #[test]
    fn fragments_are_put_back_together_in_order() {
        let mut window = open();
        let whole: Bytes = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let mut items = Vec::new();
        for (part, more) in Fragments::new(whole.clone(), MAX_FRAGMENT_LEN) {
            items.extend(window.on_frame(part, more).unwrap().item);
        }
        assert_eq!(items, [whole]);
    }

    #[test]
    fn an_item_larger_than_the_window_completes_while_the_consumer_waits_for_it() {
        let (mut window, _) = ReceiveWindow::open(256 * 1024, 16 << 20);
        let whole = item(1 << 20);
        let mut parts = Fragments::new(whole.clone(), MAX_FRAGMENT_LEN);
        let mut credit = 256 * 1024;
        let mut done = None;
        for (part, more) in parts.by_ref() {
            credit -= cost(part.len());
            let received = window.on_frame(part, more).unwrap();
            credit += received.grant.map_or(0, u64::from);
            done = received.item;
        }
        assert_eq!(done, Some(whole));
        assert!(credit <= 256 * 1024);
    }

    #[test]
    fn a_part_built_item_counts_while_whole_items_wait() {
        let (mut window, _) = ReceiveWindow::open(256 * 1024, 16 << 20);
        let received = window.on_frame(item(1000), false).unwrap();
        assert!(received.item.is_some());
        let mut granted = 0;
        let mut parts = Fragments::new(item(1 << 20), MAX_FRAGMENT_LEN);
        let mut spent = cost(1000);
        loop {
            let (part, more) = parts.next().unwrap();
            if spent + cost(part.len()) > 256 * 1024 + granted {
                break;
            }
            spent += cost(part.len());
            let received = window.on_frame(part, more).unwrap();
            granted += received.grant.map_or(0, u64::from);
        }
        assert_eq!(
            granted, 0,
            "credit granted beyond the window while an item waits"
        );
        assert!(window.held() <= 256 * 1024);
    }

    #[test]
    fn an_item_over_the_limit_is_refused_before_it_is_held() {
        let (mut window, _) = ReceiveWindow::open(WINDOW, 100_000);
        let mut parts = Fragments::new(item(200_000), MAX_FRAGMENT_LEN);
        let (first, more) = parts.next().unwrap();
        assert!(window.on_frame(first, more).unwrap().item.is_none());
        let (second, more) = parts.next().unwrap();
        assert_eq!(
            window.on_frame(second, more),
            Err(StreamFault::ItemTooLarge { max: 100_000 })
        );
    }

    #[test]
    fn empty_items_cost_credit_too() {
        let (mut window, _) = ReceiveWindow::open(INITIAL_CREDIT, 1024);
        let fits = INITIAL_CREDIT / cost(0);
        for _ in 0..fits {
            assert!(window.on_frame(Bytes::new(), false).unwrap().item.is_some());
        }
        assert!(window.on_frame(Bytes::new(), false).is_err());
    }
}
