//! A fixed number of call slots polled by one task, each with a waker of its own that is made
//! once and serves every call the slot makes.
//!
//! This is what `FuturesUnordered` does for a set that grows and shrinks, minus the node it
//! allocates, links and frees for every future: at 8 connections × 16 calls that bookkeeping
//! was 13% of the load engine's CPU per call, charged to whatever target it measured.

use std::{
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    task::{Context, Poll, Wake, Waker},
};

use futures_util::task::AtomicWaker;

use crate::BoxFuture;

/// Which slots' futures were woken: bit `i % 64` of word `i / 64` for slot `i`, so a wake is
/// one atomic operation and a slot woken twice is polled once.
struct Woken {
    words: Vec<AtomicU64>,
    /// The task polling the slots.
    task: AtomicWaker,
}

/// The waker of one slot.
struct SlotWaker {
    index: usize,
    woken: Arc<Woken>,
}

impl Wake for SlotWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let bit = 1 << (self.index % 64);
        let word = &self.woken.words[self.index / 64];
        if word.fetch_or(bit, Ordering::AcqRel) & bit == 0 {
            self.woken.task.wake();
        }
    }
}

/// A fixed number of slots, each running at most one future at a time.
pub(crate) struct Slots<T> {
    futures: Vec<Option<BoxFuture<'static, T>>>,
    wakers: Vec<Waker>,
    woken: Arc<Woken>,
    /// Slots to poll before looking at the woken list again.
    to_poll: Vec<usize>,
    running: usize,
    /// Polls since this task last returned `Pending`.
    polls: usize,
    /// Times [`Slots::poll_next`] returned `Pending`.
    suspensions: u64,
}

impl<T> Slots<T> {
    pub(crate) fn new(count: usize) -> Slots<T> {
        let woken = Arc::new(Woken {
            words: (0..count.div_ceil(64)).map(|_| AtomicU64::new(0)).collect(),
            task: AtomicWaker::new(),
        });
        let wakers = (0..count)
            .map(|index| {
                let woken = woken.clone();
                Waker::from(Arc::new(SlotWaker { index, woken }))
            })
            .collect();
        Slots {
            futures: (0..count).map(|_| None).collect(),
            wakers,
            woken,
            to_poll: Vec::with_capacity(count),
            running: 0,
            polls: 0,
            suspensions: 0,
        }
    }

    /// Futures not finished yet.
    pub(crate) fn running(&self) -> usize {
        self.running
    }

    /// How many times the task waited: futures finished between two waits were found together.
    pub(crate) fn suspensions(&self) -> u64 {
        self.suspensions
    }

    /// The number of slots.
    pub(crate) fn capacity(&self) -> usize {
        self.futures.len()
    }

    /// A slot with no future, if any.
    pub(crate) fn free_slot(&self) -> Option<usize> {
        self.futures.iter().position(Option::is_none)
    }

    /// Runs `future` in slot `index`, which must be free; it is first polled by the next
    /// [`Slots::poll_next`].
    pub(crate) fn start(&mut self, index: usize, future: BoxFuture<'static, T>) {
        debug_assert!(self.futures[index].is_none(), "slot {index} is busy");
        self.futures[index] = Some(future);
        self.running += 1;
        self.to_poll.push(index);
    }

    /// The next future to finish, with its slot; `None` once no slot runs one.
    pub(crate) fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<(usize, T)>> {
        loop {
            let Some(index) = self.to_poll.pop() else {
                if self.running == 0 {
                    return Poll::Ready(None);
                }
                if self.take_woken() {
                    continue;
                }
                self.woken.task.register(cx.waker());
                // A wake between the look above and the registration would be lost otherwise.
                if self.take_woken() {
                    continue;
                }
                self.polls = 0;
                self.suspensions += 1;
                return Poll::Pending;
            };
            // A slot polled over and over, because its future keeps waking itself, must not
            // keep the other tasks of this thread (the target's own among them) from running.
            if self.polls > 2 * self.futures.len() {
                self.to_poll.push(index);
                self.polls = 0;
                self.suspensions += 1;
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            if let Some(output) = self.poll_slot(index) {
                return Poll::Ready(Some((index, output)));
            }
        }
    }

    fn poll_slot(&mut self, index: usize) -> Option<T> {
        let future = self.futures[index].as_mut()?;
        self.polls += 1;
        match future
            .as_mut()
            .poll(&mut Context::from_waker(&self.wakers[index]))
        {
            Poll::Pending => None,
            Poll::Ready(output) => {
                self.futures[index] = None;
                self.running -= 1;
                Some(output)
            }
        }
    }

    /// Moves the woken slots to `to_poll`, clearing their bits first so a wake during their
    /// poll marks them again; true if there were any.
    fn take_woken(&mut self) -> bool {
        for (number, word) in self.woken.words.iter().enumerate() {
            let mut bits = word.swap(0, Ordering::AcqRel);
            while bits != 0 {
                self.to_poll
                    .push(number * 64 + bits.trailing_zeros() as usize);
                bits &= bits - 1;
            }
        }
        !self.to_poll.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use std::future::poll_fn;

    use super::*;

    #[tokio::test]
    async fn every_future_finishes_once_in_its_own_slot() {
        // More slots than one word of the woken mask holds.
        let count = 130;
        let mut slots = Slots::new(count);
        for index in 0..count {
            slots.start(
                index,
                Box::pin(async move {
                    tokio::task::yield_now().await;
                    index * 10
                }),
            );
        }
        let mut finished = Vec::new();
        while let Some(done) = poll_fn(|cx| slots.poll_next(cx)).await {
            finished.push(done);
        }
        finished.sort_unstable();
        let expected: Vec<(usize, usize)> = (0..count).map(|index| (index, index * 10)).collect();
        assert_eq!(finished, expected);
        assert_eq!(slots.running(), 0);
        assert_eq!(slots.free_slot(), Some(0));
    }

    #[tokio::test]
    async fn a_slot_woken_by_another_task_is_polled_again() {
        let mut slots = Slots::new(2);
        let (send, receive) = tokio::sync::oneshot::channel();
        slots.start(0, Box::pin(async move { receive.await.unwrap() }));
        slots.start(1, Box::pin(async { 7 }));
        assert_eq!(poll_fn(|cx| slots.poll_next(cx)).await, Some((1, 7)));
        tokio::spawn(async move { send.send(5).unwrap() });
        assert_eq!(poll_fn(|cx| slots.poll_next(cx)).await, Some((0, 5)));
        assert_eq!(poll_fn(|cx| slots.poll_next(cx)).await, None);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_future_that_keeps_waking_itself_lets_other_tasks_run() {
        let mut slots = Slots::new(1);
        let other = tokio::spawn(async { 1 });
        let spinning = poll_fn(move |cx| {
            if other.is_finished() {
                Poll::Ready(())
            } else {
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        });
        slots.start(0, Box::pin(spinning));
        assert_eq!(poll_fn(|cx| slots.poll_next(cx)).await, Some((0, ())));
    }
}
