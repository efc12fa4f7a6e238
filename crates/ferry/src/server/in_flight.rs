//! The calls a connection is running: each call that does not finish in its first poll becomes
//! a task, so a slow call never holds up a fast one, and each can be cut off by a cancel frame,
//! its deadline or the end of a drain.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, MutexGuard},
};

use tokio::{
    sync::{mpsc, Notify},
    task::AbortHandle,
};

use ferry_wire::{ByteStr, Response, Status};

use super::{
    dispatcher::{run_guarded, Deadline},
    writer::Outgoing,
};
use crate::{BoxFuture, Codec, Reply};

/// The running calls of one connection. Its lock is per connection, never shared across them.
#[derive(Default)]
pub(crate) struct InFlight {
    calls: Mutex<HashMap<u32, AbortHandle>>,
    /// Signalled when the table becomes empty: the idle timer starts then, and drains end.
    emptied: Notify,
}

/// What answering a call takes besides its handler.
pub(crate) struct Task {
    pub(crate) call_id: u32,
    pub(crate) method: ByteStr,
    pub(crate) deadline: Option<Deadline>,
    pub(crate) codec: Codec,
    pub(crate) peer_max_frame_len: u32,
}

impl Task {
    /// The response frame carrying `reply`, or a `too_large` error if the client cannot take it.
    pub(crate) fn answer(&self, reply: Reply) -> Outgoing {
        let reply = self.fit_for_peer(reply);
        Outgoing::Response(Response {
            call_id: self.call_id,
            status: reply.status,
            body: reply.body,
        })
    }

    fn fit_for_peer(&self, reply: Reply) -> Reply {
        // One status byte precedes the body in a response frame.
        let frame_len = reply.body.len() + 1;
        if frame_len <= self.peer_max_frame_len as usize {
            return reply;
        }
        let message = format!(
            "the result of {} is {frame_len} bytes, over the client's {}-byte frame limit",
            self.method, self.peer_max_frame_len
        );
        Reply::error(self.codec, Status::TooLarge, &message)
    }
}

impl InFlight {
    fn calls(&self) -> MutexGuard<'_, HashMap<u32, AbortHandle>> {
        self.calls
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    pub(crate) fn len(&self) -> usize {
        self.calls().len()
    }

    /// Whether call `call_id` may start, with at most `max` calls running; otherwise the status
    /// and one-line reason to answer it with. One lock for both checks: this runs on every call.
    pub(crate) fn admit(&self, call_id: u32, max: usize) -> Result<(), (Status, String)> {
        let calls = self.calls();
        if calls.len() >= max {
            let message = format!(
                "{} calls already running on this connection, the server's limit; retry when some finish",
                calls.len()
            );
            return Err((Status::Overloaded, message));
        }
        if calls.contains_key(&call_id) {
            return Err((
                Status::Protocol,
                format!("call id {call_id} is already in flight"),
            ));
        }
        Ok(())
    }

    /// Runs the rest of a call in a task of its own, so it holds up no other; its answer goes to
    /// `answers` when it finishes.
    pub(crate) fn spawn(
        self: &Arc<Self>,
        task: Task,
        handler: BoxFuture<Reply>,
        answers: mpsc::Sender<Outgoing>,
    ) {
        let this = self.clone();
        // The table stays locked until the handle is in it, so a call that finishes at once
        // still finds its own entry to remove.
        let mut calls = self.calls();
        let call_id = task.call_id;
        let running = tokio::spawn(async move {
            let reply = run_guarded(handler, &task.method, task.deadline, task.codec).await;
            this.remove(task.call_id);
            let _ = answers.send(task.answer(reply)).await;
        });
        calls.insert(call_id, running.abort_handle());
    }

    /// Takes a call out of the table. Only the last call out wakes the reader: waking it per
    /// call would double the wake-ups under load.
    fn remove(&self, call_id: u32) -> Option<AbortHandle> {
        let mut calls = self.calls();
        let handle = calls.remove(&call_id);
        if handle.is_some() && calls.is_empty() {
            self.emptied.notify_one();
        }
        handle
    }

    /// Drops a call's handler future, if the call is running.
    pub(crate) fn cancel(&self, call_id: u32) {
        if let Some(handle) = self.remove(call_id) {
            handle.abort();
        }
    }

    /// Drops every running handler and returns their call ids.
    pub(crate) fn cancel_all(&self) -> Vec<u32> {
        let mut calls = self.calls();
        calls
            .drain()
            .map(|(call_id, handle)| {
                handle.abort();
                call_id
            })
            .collect()
    }

    /// Resolves after the table became empty (at once, if it did since the last wait).
    pub(crate) async fn emptied(&self) {
        self.emptied.notified().await;
    }
}
