//! One outstanding-call slot: the loop that calls, records and calls again.

use std::{
    sync::atomic::{AtomicU64, Ordering},
    time::Instant,
};

use ferry::Bytes;

use super::{
    phases::{Phases, Schedule},
    recorder::Recorder,
    Target,
};

/// What the slots of one connection share: its place in the open-loop timetable and a count
/// of answered calls for the progress bar.
#[derive(Debug)]
pub(crate) struct Lane {
    index: usize,
    next_call: AtomicU64,
    answered: AtomicU64,
}

impl Lane {
    pub(crate) fn new(index: usize) -> Lane {
        Lane {
            index,
            next_call: AtomicU64::new(0),
            answered: AtomicU64::new(0),
        }
    }

    /// Calls answered on this connection so far, warmup included.
    pub(crate) fn answered(&self) -> u64 {
        self.answered.load(Ordering::Relaxed)
    }

    fn count_answer(&self) {
        self.answered.fetch_add(1, Ordering::Relaxed);
    }

    /// Claims the next call of this connection's timetable.
    fn claim(&self) -> u64 {
        self.next_call.fetch_add(1, Ordering::Relaxed)
    }
}

/// What every slot is handed.
pub(crate) struct Slot<T: Target> {
    pub(crate) conn: T::Conn,
    pub(crate) payload: Bytes,
    pub(crate) phases: Phases,
    pub(crate) lane: std::sync::Arc<Lane>,
}

impl<T: Target> Slot<T> {
    /// Closed loop: one call after another until the time is up; the last is awaited.
    pub(crate) async fn closed_loop(self) -> Recorder {
        let mut record = Recorder::new();
        let mut now = Instant::now();
        while now < self.phases.end {
            let started = now;
            let outcome = T::call(&self.conn, self.payload.clone()).await;
            now = Instant::now();
            self.lane.count_answer();
            if self.phases.is_measured(started) {
                record.record(now - started, outcome);
            }
        }
        record
    }

    /// Open loop: takes the connection's next due call whenever this slot is free, timing a
    /// late one from when it was due and an early one from when the slot woke for it.
    pub(crate) async fn open_loop(self, schedule: Schedule) -> Recorder {
        let mut record = Recorder::new();
        loop {
            let due = schedule.due(self.lane.index, self.lane.claim());
            let claimed_at = Instant::now();
            if due >= self.phases.end || claimed_at >= self.phases.end {
                return record;
            }
            let started = if due > claimed_at {
                tokio::time::sleep_until(due.into()).await;
                Instant::now()
            } else {
                due
            };
            let outcome = T::call(&self.conn, self.payload.clone()).await;
            let answered_at = Instant::now();
            self.lane.count_answer();
            if self.phases.is_measured(due) {
                record.record(answered_at - started, outcome);
            }
        }
    }
}
