//! One native-protocol connection on the server side: the preface exchange, then a reader loop
//! that dispatches requests into tasks while a writer task sends their answers.

use std::{
    future::poll_fn,
    sync::Arc,
    task::Poll,
    time::{Duration, Instant},
};

use bytes::BytesMut;
use tokio::{
    io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt},
    sync::mpsc,
    time::{sleep_until, timeout_at},
};

use ferry_wire::{
    ByteStr, Frame, FrameDecoder, GoAway, Kind, Preface, Request, Response, Status, WireError,
    PREFACE_LEN, VERSION,
};

use super::{
    dispatcher::{poll_guarded, unknown_method, Deadline},
    in_flight::{InFlight, Task},
    writer::{self, Outgoing},
    Shared,
};
use crate::{read_room::ReadRoom, server::stats::ServerStats, BoxFuture, Call, Codec, Reply};

/// How many frames of one read are handled before the reader yields to the writer.
///
/// One connection with 64 calls in flight, 64 B each: yielding every 16 frames made 1.64×
/// the calls per second of handling all 64 first, every 8 made 1.50× and every 32 made 1.13×
/// (the client and the server overlap instead of waiting on each other's whole batch).
const FRAMES_BEFORE_YIELD: usize = 16;

/// Serves one connection whose first bytes are already in `input`, until it ends.
pub(crate) async fn serve<R, W>(mut read: R, mut write: W, mut input: BytesMut, shared: Arc<Shared>)
where
    R: AsyncRead + Unpin + Send + 'static,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let preface = match handshake(&mut read, &mut input, &shared).await {
        Ok(preface) => preface,
        Err(()) => return ServerStats::count(&shared.stats.protocol_errors),
    };
    let Some(codec) = answer_preface(&mut write, &preface, &shared).await else {
        return;
    };
    if input.is_empty() {
        // The buffer the first bytes were sniffed in goes back; reads make room as data comes.
        input = BytesMut::new();
    }
    let (answers, queued) = mpsc::channel(shared.config.max_in_flight + 64);
    shared.tracker.spawn(writer::run(write, queued));
    let reader = Reader {
        decoder: FrameDecoder::new(shared.config.max_frame_len),
        shared,
        codec,
        answers,
        in_flight: Arc::new(InFlight::default()),
        peer_max_frame_len: preface.max_frame_len,
        last_call_id: 0,
        drain_deadline: None,
    };
    reader.run(read, input).await;
}

/// Sends this server's preface, and a goaway after it when the client's is refused; the codec
/// to speak if the connection goes on.
async fn answer_preface<W: AsyncWrite + Unpin>(
    write: &mut W,
    preface: &Preface,
    shared: &Shared,
) -> Option<Codec> {
    let mut out = BytesMut::with_capacity(PREFACE_LEN);
    let ours = Preface {
        version: VERSION,
        // A refused codec is not echoed back: the preface names one this server speaks.
        codec: Codec::from_wire(preface.codec)
            .unwrap_or_default()
            .wire_id(),
        max_frame_len: shared.config.max_frame_len,
    };
    ours.encode(&mut out);
    match accept(preface) {
        Ok(codec) => write.write_all(&out).await.ok().map(|()| codec),
        Err(message) => {
            ServerStats::count(&shared.stats.protocol_errors);
            goaway(0, Status::Protocol, message).encode(&mut out);
            let _ = write.write_all(&out).await;
            let _ = write.shutdown().await;
            None
        }
    }
}

async fn handshake<R: AsyncRead + Unpin>(
    read: &mut R,
    input: &mut BytesMut,
    shared: &Shared,
) -> Result<Preface, ()> {
    let deadline = tokio::time::Instant::now() + shared.config.handshake_timeout;
    loop {
        match Preface::decode(input) {
            Ok(Some(preface)) => return Ok(preface),
            Ok(None) => {}
            Err(_) => return Err(()),
        }
        match timeout_at(deadline, read.read_buf(input)).await {
            Ok(Ok(n)) if n > 0 => {}
            _ => return Err(()),
        }
    }
}

/// The codec to speak, or the one-line reason the preface is refused.
fn accept(preface: &Preface) -> Result<Codec, String> {
    if preface.version != VERSION {
        return Err(format!(
            "unsupported protocol version {}; this server speaks version {VERSION}",
            preface.version
        ));
    }
    Codec::from_wire(preface.codec).ok_or_else(|| {
        format!(
            "unsupported codec {}; this server speaks 1 (msgpack) and 2 (json)",
            preface.codec
        )
    })
}

fn goaway(last_call_id: u32, status: Status, message: String) -> Frame {
    Frame::GoAway(GoAway {
        last_call_id,
        status,
        message: ByteStr::from(message),
    })
}

/// Why the reader stopped reading.
enum End {
    /// The peer closed, vanished or went quiet; running calls may still finish.
    Quiet,
    /// The peer broke the protocol.
    Protocol(String),
}

struct Reader {
    shared: Arc<Shared>,
    codec: Codec,
    decoder: FrameDecoder,
    answers: mpsc::Sender<Outgoing>,
    in_flight: Arc<InFlight>,
    /// The largest frame body the client said it accepts.
    peer_max_frame_len: u32,
    last_call_id: u32,
    /// Set once the connection stops taking calls: when running calls must have finished.
    drain_deadline: Option<tokio::time::Instant>,
}

impl Reader {
    async fn run<R: AsyncRead + Unpin>(mut self, mut read: R, mut input: BytesMut) {
        if let End::Protocol(message) = self.read_loop(&mut read, &mut input).await {
            ServerStats::count(&self.shared.stats.protocol_errors);
            self.send(goaway(self.last_call_id, Status::Protocol, message))
                .await;
        }
        self.drain().await;
    }

    async fn read_loop<R: AsyncRead + Unpin>(&mut self, read: &mut R, input: &mut BytesMut) -> End {
        let idle_limit = self.shared.config.idle_timeout.unwrap_or(Duration::MAX / 4);
        let idle_deadline = || tokio::time::Instant::now() + idle_limit;
        let idle = sleep_until(idle_deadline());
        tokio::pin!(idle);
        let mut room = ReadRoom::default();
        loop {
            if let Err(message) = self.on_input(input).await {
                return End::Protocol(message);
            }
            if self.draining() && self.in_flight.len() == 0 {
                return End::Quiet;
            }
            let drain_deadline = self.drain_deadline.unwrap_or_else(idle_deadline);
            room.make(input);
            tokio::select! {
                read = read.read_buf(input) => match read {
                    Ok(n) if n > 0 => {
                        room.record(n);
                        idle.as_mut().reset(idle_deadline());
                    }
                    _ => return End::Quiet,
                },
                () = self.shared.shutdown.cancelled(), if !self.draining() => {
                    self.start_draining();
                    let message = "the server is shutting down".to_owned();
                    self.send(goaway(self.last_call_id, Status::Unavailable, message)).await;
                }
                () = sleep_until(drain_deadline), if self.draining() => return End::Quiet,
                () = self.in_flight.emptied() => idle.as_mut().reset(idle_deadline()),
                () = &mut idle, if self.in_flight.len() == 0 => {
                    let message = format!("closing a connection idle for {idle_limit:?}");
                    self.send(goaway(self.last_call_id, Status::Unavailable, message)).await;
                    return End::Quiet;
                }
            }
        }
    }

    fn draining(&self) -> bool {
        self.drain_deadline.is_some()
    }

    fn start_draining(&mut self) {
        let deadline = tokio::time::Instant::now() + self.shared.config.drain_timeout;
        self.drain_deadline.get_or_insert(deadline);
    }

    /// Waits for running calls (bounded by the drain timeout), then answers the rest `unavailable`.
    async fn drain(mut self) {
        self.start_draining();
        let deadline = self
            .drain_deadline
            .unwrap_or_else(tokio::time::Instant::now);
        while self.in_flight.len() > 0 {
            if timeout_at(deadline, self.in_flight.emptied())
                .await
                .is_err()
            {
                break;
            }
        }
        for call_id in self.in_flight.cancel_all() {
            let message = "the server shut down before the call finished";
            self.reply(call_id, Status::Unavailable, message).await;
        }
    }

    async fn on_input(&mut self, input: &mut BytesMut) -> Result<(), String> {
        let mut since_yield = 0;
        loop {
            match self.decoder.decode(input) {
                Ok(Some(frame)) => {
                    if since_yield == FRAMES_BEFORE_YIELD {
                        // Lets the writer send the answers made so far: the client starts on
                        // them while this task makes the rest, instead of both taking turns.
                        tokio::task::yield_now().await;
                        since_yield = 0;
                    }
                    since_yield += 1;
                    self.on_frame(frame).await?;
                }
                Ok(None) => return Ok(()),
                Err(WireError::FrameTooLarge {
                    kind,
                    call_id,
                    len,
                    max,
                }) if kind == Kind::Request as u8 => {
                    let message = format!(
                        "request of {len} bytes is over this server's {max}-byte frame limit"
                    );
                    self.reply(call_id, Status::TooLarge, &message).await;
                }
                Err(err) => return Err(err.to_string()),
            }
        }
    }

    async fn on_frame(&mut self, frame: Frame) -> Result<(), String> {
        match frame {
            Frame::Request(request) => self.on_request(request).await,
            Frame::Cancel { call_id } => {
                self.in_flight.cancel(call_id);
            }
            Frame::Ping { payload } => self.send(Frame::Pong { payload }).await,
            Frame::GoAway(_) => self.start_draining(),
            Frame::Pong { .. } | Frame::StreamCredit { .. } => {}
            other => {
                return Err(format!(
                    "a client may not send {} frames",
                    kind_name(&other)
                ))
            }
        }
        Ok(())
    }

    async fn on_request(&mut self, request: Request) {
        let call_id = request.call_id;
        if let Err((status, message)) = self.admit(&request) {
            return self.reply(call_id, status, &message).await;
        }
        let Some(handler) = self.shared.router.handler(&request.method) else {
            let message = unknown_method(&request.method);
            return self.reply(call_id, Status::UnknownMethod, &message).await;
        };
        self.last_call_id = self.last_call_id.max(call_id);
        ServerStats::count(&self.shared.stats.calls);
        let task = Task {
            call_id,
            method: request.method.clone(),
            deadline: request.deadline.map(Deadline::after),
            codec: self.codec,
            peer_max_frame_len: self.peer_max_frame_len,
        };
        let call = Call::new(self.codec, request.method, request.body)
            .with_metadata(request.metadata)
            .with_deadline(request.deadline.map(|left| Instant::now() + left));
        self.start(task, handler(call)).await;
    }

    /// Polls the handler once, here: most handlers finish in their first poll and are answered
    /// without a task (a spawn per call cost more than half the throughput of small calls).
    /// One that is not done moves to a task of its own, so it holds up no other call.
    async fn start(&self, task: Task, mut handler: BoxFuture<Reply>) {
        let first =
            poll_fn(|cx| Poll::Ready(poll_guarded(&mut handler, &task.method, task.codec, cx)));
        match first.await {
            Poll::Ready(reply) => {
                let _ = self.answers.send(task.answer(reply)).await;
            }
            Poll::Pending => self.in_flight.spawn(task, handler, self.answers.clone()),
        }
    }

    /// Refuses a request the connection cannot take now.
    fn admit(&self, request: &Request) -> Result<(), (Status, String)> {
        if self.draining() {
            let message =
                "the server is shutting down; the call was not run, retry on a new connection";
            return Err((Status::Unavailable, message.to_owned()));
        }
        self.in_flight
            .admit(request.call_id, self.shared.config.max_in_flight)?;
        if request.deadline == Some(Duration::ZERO) {
            return Err((
                Status::DeadlineExceeded,
                format!("{} arrived with no time left", request.method),
            ));
        }
        Ok(())
    }

    async fn reply(&self, call_id: u32, status: Status, message: &str) {
        let body = Reply::error(self.codec, status, message).body;
        self.send(Frame::Response(Response {
            call_id,
            status,
            body,
        }))
        .await;
    }

    async fn send(&self, frame: Frame) {
        let _ = self.answers.send(frame.into()).await;
    }
}

fn kind_name(frame: &Frame) -> &'static str {
    match frame {
        Frame::Response(_) => "response",
        Frame::StreamItem { .. } => "stream item",
        Frame::StreamEnd(_) => "stream end",
        _ => "these",
    }
}
