//! The raw echo client: one connection shared by any number of calls. One task writes (every
//! queued request in one write), one reads; a call id pairs each answer with its waiting call.

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex,
    },
};

use bytes::{Bytes, BytesMut};
use ferry_load::{BoxFuture, Target};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{
        tcp::{OwnedReadHalf, OwnedWriteHalf},
        TcpStream,
    },
    sync::{mpsc, oneshot},
};

use crate::frame::{self, Frame};

/// Calls waiting for their answer, by call id.
type Pending = Arc<Mutex<HashMap<u64, oneshot::Sender<Bytes>>>>;

/// Loads a raw echo server at an address.
#[derive(Debug, Clone)]
pub struct RawTarget {
    address: SocketAddr,
}

impl RawTarget {
    /// A target for the server at `address`.
    pub fn new(address: SocketAddr) -> RawTarget {
        RawTarget { address }
    }
}

/// One connection: a handle to its writer task and the table its reader task answers.
#[derive(Debug, Clone)]
pub struct RawConn {
    requests: mpsc::UnboundedSender<Frame>,
    pending: Pending,
    next_id: Arc<AtomicU64>,
}

impl Target for RawTarget {
    type Conn = RawConn;

    fn connect(&self) -> BoxFuture<'static, Result<RawConn, String>> {
        let address = self.address;
        Box::pin(async move {
            let socket = bench_common::connect(address).await?;
            Ok(RawConn::start(socket))
        })
    }

    fn call(conn: &RawConn, payload: &Bytes) -> BoxFuture<'static, Result<(), String>> {
        let payload = payload.clone();
        let conn = conn.clone();
        Box::pin(async move { conn.echo(payload).await })
    }
}

impl RawConn {
    fn start(socket: TcpStream) -> RawConn {
        let (reader, writer) = socket.into_split();
        let (requests, queue) = mpsc::unbounded_channel();
        let pending = Pending::default();
        tokio::spawn(write_loop(writer, queue, pending.clone()));
        tokio::spawn(read_loop(reader, pending.clone()));
        RawConn {
            requests,
            pending,
            next_id: Arc::new(AtomicU64::new(0)),
        }
    }

    async fn echo(&self, payload: Bytes) -> Result<(), String> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (answer, answered) = oneshot::channel();
        self.lock_pending().insert(id, answer);
        let sent = payload.len();
        if self.requests.send(Frame { id, payload }).is_err() {
            self.lock_pending().remove(&id);
            return Err("unavailable".to_owned());
        }
        let echoed = answered.await.map_err(|_| "unavailable".to_owned())?;
        bench_common::check_echo(sent, echoed.len())
    }

    fn lock_pending(&self) -> std::sync::MutexGuard<'_, HashMap<u64, oneshot::Sender<Bytes>>> {
        self.pending
            .lock()
            .expect("no call panics holding the table")
    }
}

/// Writes every request queued so far in one write, until the connection or the queue closes;
/// then fails the calls still waiting, as no answer can come.
async fn write_loop(
    mut writer: OwnedWriteHalf,
    mut queue: mpsc::UnboundedReceiver<Frame>,
    pending: Pending,
) {
    let mut out = BytesMut::with_capacity(64 * 1024);
    while let Some(first) = queue.recv().await {
        frame::encode(first.id, &first.payload, &mut out);
        // Woken by the first call of a batch, this task would run right after it (tokio's LIFO
        // slot) and write one frame at a time; yielding lets the other calls queue first.
        tokio::task::yield_now().await;
        while let Ok(next) = queue.try_recv() {
            frame::encode(next.id, &next.payload, &mut out);
        }
        if writer.write_all(&out).await.is_err() {
            break;
        }
        out.clear();
    }
    // Closed first, so a call queued after the table is emptied fails to send.
    drop(queue);
    fail_all(&pending);
}

/// Hands each answer to its call until the connection ends; then fails the calls still waiting.
async fn read_loop(mut reader: OwnedReadHalf, pending: Pending) {
    let mut input = BytesMut::with_capacity(64 * 1024);
    while matches!(reader.read_buf(&mut input).await, Ok(n) if n > 0) {
        if deliver_all(&mut input, &pending).is_err() {
            break;
        }
    }
    fail_all(&pending);
}

/// Hands every whole answer in `input` to its call.
fn deliver_all(input: &mut BytesMut, pending: &Pending) -> Result<(), frame::TooLarge> {
    while let Some(answer) = frame::decode(input)? {
        let waiting = pending.lock().expect("no call panics").remove(&answer.id);
        if let Some(call) = waiting {
            let _ = call.send(answer.payload);
        }
    }
    Ok(())
}

/// Drops every waiting call's answer slot, which fails the call.
fn fail_all(pending: &Pending) {
    pending.lock().expect("no call panics").clear();
}
