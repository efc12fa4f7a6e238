//! One multiplexed connection: the handle callers share and the handshake that opens it.

use std::sync::{
    atomic::{AtomicBool, AtomicU32, Ordering},
    Arc,
};

use bytes::{Bytes, BytesMut};
use tokio::{
    io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt},
    net::{TcpStream, UnixStream},
    sync::{mpsc, oneshot},
    time::Instant,
};

use ferry_wire::{ByteStr, Frame, FrameDecoder, Metadata, Preface, Request, VERSION};

use super::{driver::Driver, failure::Failure, pending::Answer, ClientConfig};
use crate::{Address, CallError, Reply};

/// What callers ask of the driver.
pub(crate) enum Command {
    /// Write `request`, whose deadline the driver sets from `deadline` when it writes it, and
    /// answer on `reply`, with [`Failure::Expired`] once `deadline` passes.
    Call {
        request: Request,
        deadline: Option<Instant>,
        reply: Answer,
    },
    Cancel(u32),
}

/// The callers' side of a connection; the driver task owns the socket.
pub(crate) struct Connection {
    commands: mpsc::UnboundedSender<Command>,
    next_call_id: AtomicU32,
    going_away: Arc<AtomicBool>,
}

/// Sends a cancel for a call whose future is dropped before its answer arrived.
struct CancelOnDrop<'a> {
    commands: &'a mpsc::UnboundedSender<Command>,
    call_id: u32,
    armed: bool,
}

impl Drop for CancelOnDrop<'_> {
    fn drop(&mut self) {
        if self.armed {
            let _ = self.commands.send(Command::Cancel(self.call_id));
        }
    }
}

impl Connection {
    /// Whether new calls may use this connection.
    pub(crate) fn is_usable(&self) -> bool {
        !self.commands.is_closed() && !self.going_away.load(Ordering::Acquire)
    }

    /// Sends one call and waits for its answer; dropping the future cancels the call.
    pub(crate) async fn call(
        &self,
        method: ByteStr,
        deadline: Option<Instant>,
        metadata: Metadata,
        body: Bytes,
    ) -> Result<Reply, Failure> {
        let call_id = self.next_call_id.fetch_add(1, Ordering::Relaxed);
        let request = Request {
            call_id,
            method,
            deadline: None,
            metadata,
            body,
        };
        let (reply, answer) = oneshot::channel();
        let not_run =
            || Failure::NotRun("the connection closed before the call was sent".to_owned());
        self.commands
            .send(Command::Call {
                request,
                deadline,
                reply,
            })
            .map_err(|_| not_run())?;
        let mut guard = CancelOnDrop {
            commands: &self.commands,
            call_id,
            armed: true,
        };
        let answer = answer.await;
        guard.armed = false;
        answer.unwrap_or_else(|_| {
            Err(Failure::Lost(
                "the connection closed while the call was in flight".to_owned(),
            ))
        })
    }
}

/// Connects, exchanges prefaces and starts the driver task.
pub(crate) async fn connect(
    address: &Address,
    config: &ClientConfig,
) -> Result<Connection, CallError> {
    let opening = async {
        match address {
            Address::Tcp(host_port) => {
                let stream = TcpStream::connect(host_port.as_str()).await?;
                stream.set_nodelay(true)?;
                let (read, write) = stream.into_split();
                start(read, write, address, config).await
            }
            Address::Unix(path) => {
                let (read, write) = UnixStream::connect(path).await?.into_split();
                start(read, write, address, config).await
            }
        }
    };
    match tokio::time::timeout(config.connect_timeout, opening).await {
        Ok(Ok(connection)) => Ok(connection),
        Ok(Err(CallError::Io(err))) => Err(CallError::Unavailable(format!(
            "cannot connect to {address}: {err}"
        ))),
        Ok(Err(err)) => Err(err),
        Err(_) => Err(CallError::Unavailable(format!(
            "cannot connect to {address}: no ferry preface within {:?}",
            config.connect_timeout
        ))),
    }
}

async fn start<R, W>(
    mut read: R,
    mut write: W,
    address: &Address,
    config: &ClientConfig,
) -> Result<Connection, CallError>
where
    R: AsyncRead + Unpin + Send + 'static,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let mut buf = BytesMut::with_capacity(8 * 1024);
    Preface {
        version: VERSION,
        codec: config.codec.wire_id(),
        max_frame_len: config.max_frame_len,
    }
    .encode(&mut buf);
    write.write_all(&buf).await?;
    buf.clear();
    let server = read_preface(&mut read, &mut buf, address).await?;
    if server.version != VERSION || server.codec != config.codec.wire_id() {
        return Err(refusal(&mut read, &mut buf, address, config.max_frame_len).await);
    }
    let (commands, receiver) = mpsc::unbounded_channel();
    let going_away = Arc::new(AtomicBool::new(false));
    let decoder = FrameDecoder::new(config.max_frame_len);
    let driver = Driver::new(
        receiver,
        decoder,
        server.max_frame_len,
        going_away.clone(),
        address.clone(),
    );
    tokio::spawn(driver.run(read, write, buf));
    Ok(Connection {
        commands,
        next_call_id: AtomicU32::new(1),
        going_away,
    })
}

async fn read_preface<R: AsyncRead + Unpin>(
    read: &mut R,
    buf: &mut BytesMut,
    address: &Address,
) -> Result<Preface, CallError> {
    loop {
        match Preface::decode(buf) {
            Ok(Some(preface)) => return Ok(preface),
            Ok(None) => {}
            Err(_) => {
                return Err(CallError::Protocol(format!(
                    "{address} does not speak the ferry protocol"
                )))
            }
        }
        if read.read_buf(buf).await? == 0 {
            return Err(CallError::Unavailable(format!(
                "{address} closed the connection during the preface"
            )));
        }
    }
}

/// The server refused our version or codec: its goaway frame says what it speaks.
async fn refusal<R: AsyncRead + Unpin>(
    read: &mut R,
    buf: &mut BytesMut,
    address: &Address,
    max: u32,
) -> CallError {
    let mut decoder = FrameDecoder::new(max);
    loop {
        if let Ok(Some(Frame::GoAway(goaway))) = decoder.decode(buf) {
            return CallError::Protocol(format!(
                "{address} refused the connection: {}",
                goaway.message
            ));
        }
        if !matches!(read.read_buf(buf).await, Ok(n) if n > 0) {
            return CallError::Protocol(format!("{address} refused our protocol version or codec"));
        }
    }
}
