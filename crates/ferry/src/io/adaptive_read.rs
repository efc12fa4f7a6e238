//! How much room a connection's read buffer gets before each read: little while the connection
//! is quiet, so ten thousand idle connections cost little memory, and twice as much after each
//! read that filled all it was given, so a busy one reads in large gulps. The room shrinks only
//! after a run of reads that used little of it: shrinking at the first short read made a busy
//! connection alternate between a full read that grew the room and the short read of the rest
//! that shrank it again, so every burst took two reads and went out in two writes.

use std::{
    io,
    pin::Pin,
    task::{Context, Poll},
};

use bytes::BytesMut;
use tokio::io::AsyncRead;

/// The room a quiet connection reads into.
const MIN_ROOM: usize = 512;
/// The most room a busy connection reads into at once. A whole burst of large answers in one
/// read: 16 KiB echo with 16 in flight made 1.4× the calls per second of a 64 KiB room
/// (`bench/ab.py`, PERFORMANCE.md).
const MAX_ROOM: usize = 256 * 1024;
/// The most a connection reads ahead of what it has handled: past this it handles what it has
/// before reading more, however much more is waiting.
const MAX_READ_AHEAD: usize = MAX_ROOM;
/// Consecutive reads under a quarter of the room before it is halved.
const SHORT_READS_TO_SHRINK: u8 = 8;

/// The read size a connection has learnt from its last reads.
#[derive(Debug)]
pub(crate) struct ReadRoom {
    next: usize,
    given: usize,
    short_reads: u8,
}

impl Default for ReadRoom {
    fn default() -> ReadRoom {
        ReadRoom {
            next: MIN_ROOM,
            given: 0,
            short_reads: 0,
        }
    }
}

impl ReadRoom {
    /// Makes room in `input` for the next read. An empty buffer much larger than the room, left
    /// so by a large frame or by busier times, is let go. One merely as large as a busy
    /// connection's room is kept: freeing and allocating it again at every frame boundary
    /// cost fresh, zeroed pages from the kernel at every read.
    pub(crate) fn make(&mut self, input: &mut BytesMut) {
        if input.is_empty() && input.capacity() > 2 * self.next {
            *input = BytesMut::new();
        }
        input.reserve(self.next);
        self.given = input.capacity() - input.len();
    }

    /// Reads what has arrived into `input`, all of it: a read that fills the room is followed
    /// by another (up to [`MAX_READ_AHEAD`] buffered), so a burst is handled, and answered, as
    /// one. `Ready(Ok(n))`: `n` bytes came, `0` once the peer has closed; `Pending`: none came.
    pub(crate) fn poll_read_all<R: AsyncRead + Unpin>(
        &mut self,
        read: &mut R,
        cx: &mut Context<'_>,
        input: &mut BytesMut,
    ) -> Poll<io::Result<usize>> {
        let mut total = 0;
        loop {
            self.make(input);
            match tokio_util::io::poll_read_buf(Pin::new(&mut *read), cx, input) {
                Poll::Pending if total == 0 => return Poll::Pending,
                // The end of the stream after some bytes is seen at the next read.
                Poll::Pending | Poll::Ready(Ok(0)) => return Poll::Ready(Ok(total)),
                Poll::Ready(Ok(n)) => {
                    total += n;
                    if !self.record(n) || input.len() >= MAX_READ_AHEAD {
                        return Poll::Ready(Ok(total));
                    }
                }
                Poll::Ready(Err(err)) => return Poll::Ready(Err(err)),
            }
        }
    }

    /// Learns from a read of `n` bytes into the room last made; true if the read filled it,
    /// so more bytes may be waiting.
    fn record(&mut self, n: usize) -> bool {
        if n >= self.given {
            self.next = (self.next * 2).min(MAX_ROOM);
            self.short_reads = 0;
            return true;
        }
        if n >= self.next / 4 {
            self.short_reads = 0;
        } else if self.short_reads + 1 < SHORT_READS_TO_SHRINK {
            self.short_reads += 1;
        } else {
            self.next = (self.next / 2).max(MIN_ROOM);
            self.short_reads = 0;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quiet_connection_keeps_a_small_buffer() {
        let mut room = ReadRoom::default();
        let mut input = BytesMut::new();
        room.make(&mut input);
        assert!(input.capacity() < 4 * MIN_ROOM, "{}", input.capacity());
    }

    #[test]
    fn full_reads_grow_the_room_up_to_the_maximum_and_short_ones_shrink_it() {
        let mut room = ReadRoom::default();
        let mut input = BytesMut::new();
        for _ in 0..20 {
            room.make(&mut input);
            room.record(room.given);
            input.clear();
        }
        assert_eq!(room.next, MAX_ROOM);
        for _ in 0..20 * usize::from(SHORT_READS_TO_SHRINK) {
            room.make(&mut input);
            room.record(1);
        }
        assert_eq!(room.next, MIN_ROOM);
    }

    #[test]
    fn one_short_read_after_a_full_one_keeps_the_room() {
        let mut room = ReadRoom::default();
        let mut input = BytesMut::new();
        room.make(&mut input);
        assert!(room.record(room.given), "a full read says more may wait");
        let grown = room.next;
        input.clear();
        room.make(&mut input);
        assert!(!room.record(1));
        assert_eq!(room.next, grown, "the rest of a burst shrank the room");
    }

    #[test]
    fn an_emptied_large_buffer_is_let_go() {
        let mut room = ReadRoom::default();
        let mut input = BytesMut::with_capacity(4 * MAX_ROOM);
        room.make(&mut input);
        assert!(input.capacity() < MAX_ROOM, "{}", input.capacity());
    }

    #[test]
    fn a_busy_connection_keeps_its_buffer_between_reads() {
        let mut room = ReadRoom::default();
        let mut input = BytesMut::new();
        for _ in 0..20 {
            // A read that ends inside a frame leaves its start in the buffer.
            input.clear();
            input.extend_from_slice(b"a partial frame");
            room.make(&mut input);
            room.record(room.given);
        }
        input.clear();
        let buffer = input.as_ptr();
        room.make(&mut input);
        assert_eq!(input.as_ptr(), buffer, "the buffer was reallocated");
    }
}
