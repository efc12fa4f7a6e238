//! The calls of one connection that did not finish in their first poll: each runs as a task of
//! its own, so a slow call never holds up a fast one, and each can be cut off by a cancel frame,
//! its deadline or the end of a drain. The connection's task owns the table, so no lock guards
//! it; finished calls hand their answers back through a channel.

use std::{
    collections::HashMap,
    sync::Arc,
    task::{Context, Poll},
};

use tokio::{sync::mpsc, task::AbortHandle};

use ferry_wire::{ByteStr, Response, Status};

use super::port::{Outbound, ServerPort};
use crate::{
    context::Peer,
    layer::Guard,
    metrics::{counted::Counted, recent::Answered, Telemetry},
    server::dispatcher::{run_guarded, Deadline},
    stream::Port,
    trace::TraceId,
    Codec, Dialect, Reply, ReplyFuture,
};

/// What answering a call takes besides its handler.
pub(super) struct Task {
    pub(super) call_id: u32,
    pub(super) method: ByteStr,
    pub(super) deadline: Option<Deadline>,
    pub(super) codec: Codec,
    pub(super) peer_max_frame_len: u32,
    /// The layers waiting for the outcome; dropped with the task, it reports `cancelled`.
    pub(super) guard: Option<Guard>,
}

/// A running call in its method's figures, counted by the connection when the call's answer
/// is queued (or when it is cut off, with the status it is answered with), before the answer
/// is written; kept for `/rpcz` too, when it was picked.
pub(super) struct Counting {
    pub(super) counted: Counted,
    pub(super) kept: Option<Keep>,
}

/// What keeping a running call for `/rpcz` takes: its name, the bytes of its arguments, its
/// trace, where to keep it, and who called.
pub(super) struct Keep {
    pub(super) method: ByteStr,
    pub(super) bytes_in: usize,
    pub(super) trace_id: Option<TraceId>,
    pub(super) telemetry: Arc<Telemetry>,
    pub(super) peer: Peer,
}

impl Counting {
    /// Counts the call as answered with `status` and `bytes_out` bytes.
    fn finish(self, status: Status, bytes_out: usize) {
        let elapsed = self.counted.finish(status);
        if let Some(keep) = self.kept {
            keep.telemetry.keep(Answered {
                method: keep.method.as_str(),
                dialect: Dialect::Native,
                peer: &keep.peer,
                status,
                elapsed,
                bytes: (keep.bytes_in, bytes_out),
                trace_id: keep.trace_id,
            });
        }
    }
}

impl Task {
    /// The response frame carrying `reply`.
    fn answer(&self, reply: Reply) -> Response {
        answer(
            self.call_id,
            reply,
            &self.method,
            self.codec,
            self.peer_max_frame_len,
        )
    }
}

/// The response to `call_id` carrying `reply`, or a `too_large` error if the client cannot
/// take it (only then is `method` turned into text).
pub(super) fn answer(
    call_id: u32,
    reply: Reply,
    method: &ByteStr,
    codec: Codec,
    peer_max_frame_len: u32,
) -> Response {
    // One status byte precedes the body in a response frame.
    let frame_len = reply.body.len() + 1;
    let reply = if frame_len <= peer_max_frame_len as usize {
        reply
    } else {
        let message = format!(
            "the result of {method} is {frame_len} bytes, over the client's {peer_max_frame_len}-byte frame limit"
        );
        Reply::error(codec, Status::TooLarge, &message)
    };
    Response {
        call_id,
        status: reply.status,
        body: reply.body,
    }
}

/// The running calls by call id, and the channel their answers and stream frames come back
/// on.
#[derive(Default)]
pub(super) struct Running {
    calls: HashMap<u32, (AbortHandle, Option<Counting>)>,
    /// Made by the first call that needs a task or a stream, so an idle connection holds no
    /// channel.
    answers: Option<(
        mpsc::UnboundedSender<Outbound>,
        mpsc::UnboundedReceiver<Outbound>,
    )>,
    /// The port of this connection's streams, made with their first.
    port: Option<Arc<ServerPort>>,
}

impl Running {
    pub(super) fn len(&self) -> usize {
        self.calls.len()
    }

    pub(super) fn is_empty(&self) -> bool {
        self.calls.is_empty()
    }

    pub(super) fn contains(&self, call_id: u32) -> bool {
        self.calls.contains_key(&call_id)
    }

    /// Runs the rest of a call in a task of its own; its answer comes out of
    /// [`Running::poll_answer`].
    pub(super) fn spawn(
        &mut self,
        mut task: Task,
        handler: ReplyFuture,
        counting: Option<Counting>,
    ) {
        let answers = self.sender().clone();
        let call_id = task.call_id;
        let running = tokio::spawn(async move {
            let reply = run_guarded(handler, &task.method, task.deadline, task.codec).await;
            let response = task.answer(reply);
            if let Some(guard) = task.guard.take() {
                guard.finish(response.status);
            }
            let _ = answers.send(Outbound::Answer(response));
        });
        self.calls
            .insert(call_id, (running.abort_handle(), counting));
    }

    fn sender(&mut self) -> &mpsc::UnboundedSender<Outbound> {
        &self.answers.get_or_insert_with(mpsc::unbounded_channel).0
    }

    /// Queues an answer behind the stream frames its handler made: a streaming call's answer
    /// must not overtake its items.
    pub(super) fn answer_in_turn(&mut self, response: Response) {
        let _ = self.sender().send(Outbound::Answer(response));
    }

    /// The port this connection's streams share.
    pub(super) fn port(&mut self) -> Arc<dyn Port> {
        if let Some(port) = &self.port {
            return port.clone();
        }
        let outbound = self.sender().clone();
        let port = Arc::new(ServerPort { outbound });
        self.port = Some(port.clone());
        port
    }

    /// What a handler handed the connection next; an answer takes its call out of the table.
    pub(super) fn poll_outbound(&mut self, cx: &mut Context<'_>) -> Poll<Outbound> {
        let Some((_, finished)) = &mut self.answers else {
            return Poll::Pending;
        };
        match finished.poll_recv(cx) {
            Poll::Ready(Some(outbound)) => {
                if let Outbound::Answer(response) = &outbound {
                    if let Some((_, Some(counting))) = self.calls.remove(&response.call_id) {
                        counting.finish(response.status, response.body.len());
                    }
                }
                Poll::Ready(outbound)
            }
            // The table holds a sender, so the channel never closes.
            Poll::Ready(None) | Poll::Pending => Poll::Pending,
        }
    }

    /// Drops a call's handler future, if the call is running: the caller cancelled it.
    pub(super) fn cancel(&mut self, call_id: u32) {
        if let Some((handle, counting)) = self.calls.remove(&call_id) {
            handle.abort();
            if let Some(counting) = counting {
                counting.finish(Status::Cancelled, 0);
            }
        }
    }

    /// Drops every running handler, counting each call as answered `status`, and returns their
    /// call ids for the answers.
    pub(super) fn cancel_all(&mut self, status: Status) -> Vec<u32> {
        self.calls
            .drain()
            .map(|(call_id, (handle, counting))| {
                handle.abort();
                if let Some(counting) = counting {
                    counting.finish(status, 0);
                }
                call_id
            })
            .collect()
    }
}
