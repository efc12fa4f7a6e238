//! The credit a sending end may spend, shared between its sink and the connection that
//! receives the peer's grants.

use std::{
    sync::Mutex,
    task::{Context, Poll, Waker},
};

use ferry_wire::stream::INITIAL_CREDIT;

use crate::CallError;

/// A stream's send credit. The sink spends it, the connection adds what the peer grants, and
/// closing it (the call ended, the peer stopped reading, the connection broke) fails the next
/// send with the reason.
#[derive(Debug)]
pub(crate) struct SendWindow {
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    credit: u64,
    waiting: Option<Waker>,
    closed: Option<CallError>,
}

impl SendWindow {
    /// A new stream's window: the credit every sender starts with.
    pub(crate) fn new() -> SendWindow {
        SendWindow {
            state: Mutex::new(State {
                credit: INITIAL_CREDIT,
                waiting: None,
                closed: None,
            }),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    /// Adds credit the peer granted.
    pub(crate) fn grant(&self, credit: u64) {
        let waiting = {
            let mut state = self.state();
            state.credit = state.credit.saturating_add(credit);
            state.waiting.take()
        };
        if let Some(waiting) = waiting {
            waiting.wake();
        }
    }

    /// No more sending: the next spend fails with `reason` (the first reason given stays).
    pub(crate) fn close(&self, reason: CallError) {
        let waiting = {
            let mut state = self.state();
            state.closed.get_or_insert(reason);
            state.waiting.take()
        };
        if let Some(waiting) = waiting {
            waiting.wake();
        }
    }

    /// Spends `cost`, once there is that much credit.
    pub(crate) fn poll_spend(
        &self,
        cx: &mut Context<'_>,
        cost: u64,
    ) -> Poll<Result<(), CallError>> {
        let mut state = self.state();
        if let Some(reason) = &state.closed {
            return Poll::Ready(Err(reason.clone()));
        }
        if state.credit >= cost {
            state.credit -= cost;
            return Poll::Ready(Ok(()));
        }
        match &mut state.waiting {
            Some(known) if known.will_wake(cx.waker()) => {}
            waiting => *waiting = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}
