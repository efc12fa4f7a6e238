//! The task that owns a client connection: it writes calls, matches answers to callers, and
//! fails every waiting caller with a clear reason when the connection ends.

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
};

use bytes::{Buf, BytesMut};
use tokio::{
    io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt},
    sync::{mpsc, oneshot},
};

use ferry_wire::{Frame, FrameDecoder, GoAway, Request, WireError, HEADER_LEN};

use super::{connection::Command, failure::Failure};
use crate::{Address, CallError, Reply};

type Answer = oneshot::Sender<Result<Reply, Failure>>;

pub(crate) struct Driver {
    commands: mpsc::UnboundedReceiver<Command>,
    commands_open: bool,
    decoder: FrameDecoder,
    server_max_frame_len: u32,
    going_away: Arc<AtomicBool>,
    address: Address,
    pending: HashMap<u32, Answer>,
    out: BytesMut,
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
            pending: HashMap::new(),
            out: BytesMut::with_capacity(8 * 1024),
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
        for (_, answer) in self.pending.drain() {
            let _ = answer.send(Err(Failure::Lost(lost.clone())));
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
        loop {
            if let Err(reason) = self.on_input(input) {
                return reason;
            }
            if self.out.is_empty() && self.pending.is_empty() {
                if !self.commands_open {
                    return "the client was dropped".to_owned();
                }
                if self.going_away.load(Ordering::Acquire) {
                    return "the server sent goaway".to_owned();
                }
            }
            tokio::select! {
                read = read.read_buf(input) => match read {
                    Ok(0) => return "the server closed it".to_owned(),
                    Ok(_) => {}
                    Err(err) => return err.to_string(),
                },
                command = self.commands.recv(), if self.commands_open => match command {
                    Some(command) => self.on_commands(command).await,
                    None => self.commands_open = false,
                },
                written = write.write(&self.out), if !self.out.is_empty() => match written {
                    Ok(n) => self.out.advance(n),
                    Err(err) => return err.to_string(),
                },
            }
        }
    }

    /// Handles one command and every other one queued, so that many calls share a write.
    async fn on_commands(&mut self, first: Command) {
        self.on_command(first);
        self.on_queued();
        // The first call of a burst wakes this task at once; yielding lets the callers woken
        // with it queue their calls too, so the burst leaves in one write instead of one each.
        tokio::task::yield_now().await;
        self.on_queued();
    }

    fn on_queued(&mut self) {
        while let Ok(command) = self.commands.try_recv() {
            self.on_command(command);
        }
    }

    fn on_command(&mut self, command: Command) {
        match command {
            Command::Call { request, reply } => self.send_call(request, reply),
            Command::Cancel(call_id) => {
                if self.pending.remove(&call_id).is_some() {
                    Frame::Cancel { call_id }.encode(&mut self.out);
                }
            }
        }
    }

    fn send_call(&mut self, request: Request, reply: Answer) {
        if reply.is_closed() {
            return;
        }
        let start = self.out.len();
        request.encode(&mut self.out);
        let body_len = self.out.len() - start - HEADER_LEN;
        if body_len > self.server_max_frame_len as usize {
            self.out.truncate(start);
            let message = format!(
                "request of {body_len} bytes is over {}'s {}-byte frame limit",
                self.address, self.server_max_frame_len
            );
            let _ = reply.send(Err(Failure::Error(CallError::TooLarge(message))));
            return;
        }
        self.pending.insert(request.call_id, reply);
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
            Frame::Ping { payload } => Frame::Pong { payload }.encode(&mut self.out),
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
            let _ = waiting.send(answer);
        }
    }
}
