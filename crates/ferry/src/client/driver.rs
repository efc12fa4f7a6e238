//! The task that owns a client connection: it writes calls, matches answers to callers, and
//! fails every waiting caller with a clear reason when the connection ends.

use std::sync::{
    atomic::{AtomicBool, Ordering},
    Arc,
};

use bytes::BytesMut;
use tokio::{
    io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt},
    sync::mpsc,
    time::{sleep_until, Instant},
};

use ferry_wire::{Frame, FrameDecoder, GoAway, Request, WireError};

use super::{
    connection::Command,
    failure::Failure,
    pending::{earliest_deadline, Answer, Pending, Waiting},
};
use crate::{
    read_room::ReadRoom, write_batch::WRITE_BATCH_LIMIT, write_queue::WriteQueue, Address,
    CallError, Reply,
};

pub(crate) struct Driver {
    commands: mpsc::UnboundedReceiver<Command>,
    commands_open: bool,
    decoder: FrameDecoder,
    server_max_frame_len: u32,
    going_away: Arc<AtomicBool>,
    address: Address,
    pending: Pending,
    /// The earliest deadline of a waiting call, or an earlier one since answered.
    next_expiry: Option<Instant>,
    out: WriteQueue,
}

impl Driver {
    pub(crate) fn new(
        commands: mpsc::UnboundedReceiver<Command>,
        decoder: FrameDecoder,
        server_max_frame_len: u32,
        going_away: Arc<AtomicBool>,
        address: Address,
    ) -> Driver {
        Driver {
            commands,
            commands_open: true,
            decoder,
            server_max_frame_len,
            going_away,
            address,
            pending: Pending::default(),
            next_expiry: None,
            out: WriteQueue::default(),
        }
    }

    pub(crate) async fn run<R, W>(mut self, mut read: R, mut write: W, mut input: BytesMut)
    where
        R: AsyncRead + Unpin,
        W: AsyncWrite + Unpin,
    {
        let reason = self.drive(&mut read, &mut write, &mut input).await;
        self.going_away.store(true, Ordering::Release);
        let _ = write.shutdown().await;
        let lost = format!("connection to {} lost: {reason}", self.address);
        for (_, waiting) in self.pending.drain() {
            let _ = waiting.answer.send(Err(Failure::Lost(lost.clone())));
        }
        self.commands.close();
        while let Ok(command) = self.commands.try_recv() {
            if let Command::Call { reply, .. } = command {
                let _ = reply.send(Err(Failure::NotRun(lost.clone())));
            }
        }
    }

    /// Runs until the connection ends, returning why.
    async fn drive<R, W>(&mut self, read: &mut R, write: &mut W, input: &mut BytesMut) -> String
    where
        R: AsyncRead + Unpin,
        W: AsyncWrite + Unpin,
    {
        let mut room = ReadRoom::default();
        // One timer for every waiting call: armed at the earliest deadline, so a call costs
        // no timer of its own.
        let expiry = sleep_until(Instant::now());
        tokio::pin!(expiry);
        let mut armed = None;
        loop {
            if let Err(reason) = self.on_input(input) {
                return reason;
            }
            if armed != self.next_expiry {
                if let Some(at) = self.next_expiry {
                    expiry.as_mut().reset(at);
                }
                armed = self.next_expiry;
            }
            if self.out.is_empty() && self.pending.is_empty() {
                if !self.commands_open {
                    return "the client was dropped".to_owned();
                }
                if self.going_away.load(Ordering::Acquire) {
                    return "the server sent goaway".to_owned();
                }
            }
            room.make(input);
            tokio::select! {
                read = read.read_buf(input) => match read {
                    Ok(0) => return "the server closed it".to_owned(),
                    Ok(n) => {
                        room.record(n);
                    }
                    Err(err) => return err.to_string(),
                },
                // A full write buffer is written before more calls are taken.
                command = self.commands.recv(), if self.commands_open && self.out.len() < WRITE_BATCH_LIMIT => match command {
                    Some(command) => self.on_commands(command).await,
                    None => self.commands_open = false,
                },
                written = write.write_buf(&mut self.out), if !self.out.is_empty() => {
                    if let Err(err) = written {
                        return err.to_string();
                    }
                }
                () = &mut expiry, if armed.is_some() => self.expire(Instant::now()),
            }
        }
    }

    /// Handles one command and every other one queued, so that many calls share a write.
    async fn on_commands(&mut self, first: Command) {
        let now = Instant::now();
        self.on_command(first, now);
        self.on_queued(now);
        // The first call of a burst wakes this task at once; yielding lets the callers woken
        // with it queue their calls too, so the burst leaves in one write instead of one each.
        tokio::task::yield_now().await;
        self.on_queued(Instant::now());
    }

    fn on_queued(&mut self, now: Instant) {
        while self.out.len() < WRITE_BATCH_LIMIT {
            let Ok(command) = self.commands.try_recv() else {
                return;
            };
            self.on_command(command, now);
        }
    }

    fn on_command(&mut self, command: Command, now: Instant) {
        match command {
            Command::Call {
                request,
                deadline,
                reply,
            } => self.send_call(request, deadline, reply, now),
            Command::Cancel(call_id) => {
                if self.pending.remove(&call_id).is_some() {
                    self.out
                        .push_encoded(|dst| Frame::Cancel { call_id }.encode(dst));
                }
            }
        }
    }

    /// Writes a call, telling the server the time it has left.
    fn send_call(
        &mut self,
        mut request: Request,
        deadline: Option<Instant>,
        reply: Answer,
        now: Instant,
    ) {
        if reply.is_closed() {
            return;
        }
        if let Some(deadline) = deadline {
            let left = deadline.saturating_duration_since(now);
            if left.is_zero() {
                let _ = reply.send(Err(Failure::Expired));
                return;
            }
            request.deadline = Some(left);
        }
        let body_len = request.body_len();
        if body_len > self.server_max_frame_len as usize {
            let message = format!(
                "request of {body_len} bytes is over {}'s {}-byte frame limit",
                self.address, self.server_max_frame_len
            );
            let _ = reply.send(Err(Failure::Error(CallError::TooLarge(message))));
            return;
        }
        if let Some(deadline) = deadline {
            self.next_expiry = Some(self.next_expiry.map_or(deadline, |at| at.min(deadline)));
        }
        self.out.push_encoded(|dst| request.encode_head(dst));
        self.out.push_body(&request.body);
        let waiting = Waiting {
            answer: reply,
            deadline,
        };
        self.pending.insert(request.call_id, waiting);
    }

    /// Fails every call whose deadline has passed and tells the server to stop working on it.
    fn expire(&mut self, now: Instant) {
        let expired: Vec<u32> = self
            .pending
            .iter()
            .filter(|(_, waiting)| waiting.deadline.is_some_and(|at| at <= now))
            .map(|(call_id, _)| *call_id)
            .collect();
        for call_id in expired {
            self.answer(call_id, Err(Failure::Expired));
            self.out
                .push_encoded(|dst| Frame::Cancel { call_id }.encode(dst));
        }
        self.next_expiry = earliest_deadline(&self.pending);
    }

    fn on_input(&mut self, input: &mut BytesMut) -> Result<(), String> {
        loop {
            match self.decoder.decode(input) {
                Ok(Some(frame)) => self.on_frame(frame),
                Ok(None) => return Ok(()),
                Err(WireError::FrameTooLarge {
                    call_id, len, max, ..
                }) => {
                    let message =
                        format!("response of {len} bytes is over this client's {max}-byte limit");
                    self.answer(call_id, Err(Failure::Error(CallError::TooLarge(message))));
                }
                Err(err) => return Err(format!("protocol error from the server: {err}")),
            }
        }
    }

    fn on_frame(&mut self, frame: Frame) {
        match frame {
            Frame::Response(response) => {
                let reply = Reply {
                    status: response.status,
                    body: response.body,
                };
                self.answer(response.call_id, Ok(reply));
            }
            Frame::Ping { payload } => self
                .out
                .push_encoded(|dst| Frame::Pong { payload }.encode(dst)),
            Frame::GoAway(goaway) => self.on_goaway(goaway),
            _ => {}
        }
    }

    fn on_goaway(&mut self, goaway: GoAway) {
        self.going_away.store(true, Ordering::Release);
        let not_run: Vec<u32> = self
            .pending
            .keys()
            .copied()
            .filter(|id| *id > goaway.last_call_id)
            .collect();
        for call_id in not_run {
            let message = format!(
                "{} is going away ({}); the call was not run",
                self.address, goaway.message
            );
            self.answer(call_id, Err(Failure::NotRun(message)));
        }
    }

    fn answer(&mut self, call_id: u32, answer: Result<Reply, Failure>) {
        if let Some(waiting) = self.pending.remove(&call_id) {
            let _ = waiting.answer.send(answer);
        }
    }
}
