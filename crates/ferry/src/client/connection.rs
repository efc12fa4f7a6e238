//! One multiplexed connection: the handle callers share and the handshake that opens it.

use std::{
    future::Future,
    pin::Pin,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex, MutexGuard,
    },
    task::{Context, Poll},
};

use bytes::BytesMut;
use tokio::{
    io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt},
    net::{TcpStream, UnixStream},
};

use ferry_wire::{Frame, FrameDecoder, Preface, Status, VERSION};

use super::{
    driver::Driver,
    exchange::{Exchange, Outgoing},
    failure::Failure,
    ClientConfig,
};
use crate::{Address, CallError, Reply};

/// The callers' side of a connection; the driver task owns the socket.
pub(crate) struct Connection {
    exchange: Mutex<Exchange>,
    /// Whether new calls may use this connection; read without taking the lock.
    open: AtomicBool,
}

impl Connection {
    fn new(server_max_frame_len: u32) -> Connection {
        Connection {
            exchange: Mutex::new(Exchange::new(server_max_frame_len)),
            open: AtomicBool::new(true),
        }
    }

    /// Whether new calls may use this connection.
    pub(crate) fn is_usable(&self) -> bool {
        self.open.load(Ordering::Acquire)
    }

    pub(super) fn exchange(&self) -> MutexGuard<'_, Exchange> {
        self.exchange
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    /// Marks the connection closed to new calls.
    pub(super) fn stop_taking_calls(&self) {
        self.open.store(false, Ordering::Release);
    }

    /// Sends one call and waits for its answer; dropping the future cancels the call.
    pub(crate) fn call<'a>(&'a self, outgoing: Outgoing<'a>) -> Call<'a> {
        Call {
            connection: self,
            outgoing,
            state: CallState::Unsent,
        }
    }
}

/// The handle a client keeps on its connection: once every handle is gone and no call waits,
/// the driver closes the connection.
pub(crate) struct Handle(Arc<Connection>);

impl Handle {
    pub(crate) fn connection(&self) -> &Arc<Connection> {
        &self.0
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        if let Some(driver) = self.0.exchange().release() {
            driver.wake();
        }
    }
}

enum CallState {
    Unsent,
    Waiting(u32),
    Finished,
}

/// One call: queued at its first poll, answered when the driver delivers; dropped before its
/// answer, it sends a cancel.
pub(crate) struct Call<'a> {
    connection: &'a Connection,
    outgoing: Outgoing<'a>,
    state: CallState,
}

impl Future for Call<'_> {
    type Output = Result<Reply, Failure>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let answer = match this.state {
            CallState::Unsent => {
                let submitted = this.connection.exchange().submit(this.outgoing, cx.waker());
                match submitted {
                    Ok((call_id, driver)) => {
                        this.state = CallState::Waiting(call_id);
                        if let Some(driver) = driver {
                            driver.wake();
                        }
                        return Poll::Pending;
                    }
                    Err(failure) => Err(failure),
                }
            }
            CallState::Waiting(call_id) => {
                match this.connection.exchange().poll_answer(call_id, cx.waker()) {
                    Some(answer) => answer,
                    None => return Poll::Pending,
                }
            }
            CallState::Finished => panic!("a ferry call was polled after it finished"),
        };
        this.state = CallState::Finished;
        Poll::Ready(answer)
    }
}

impl Drop for Call<'_> {
    fn drop(&mut self) {
        if let CallState::Waiting(call_id) = self.state {
            if let Some(driver) = self.connection.exchange().abandon(call_id) {
                driver.wake();
            }
        }
    }
}

/// Connects, exchanges prefaces and starts the driver task.
pub(crate) async fn connect(address: &Address, config: &ClientConfig) -> Result<Handle, CallError> {
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
        Ok(Err(CallError::Status { io: Some(err), .. })) => {
            let message = format!("cannot connect to {address}: {err}");
            Err(CallError::Status {
                status: Status::Unavailable,
                message,
                io: Some(err),
            })
        }
        Ok(Err(err)) => Err(err),
        Err(_) => Err(CallError::new(
            Status::Unavailable,
            format!(
                "cannot connect to {address}: no ferry preface within {:?}",
                config.connect_timeout
            ),
        )),
    }
}

async fn start<R, W>(
    mut read: R,
    mut write: W,
    address: &Address,
    config: &ClientConfig,
) -> Result<Handle, CallError>
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
    let connection = Arc::new(Connection::new(server.max_frame_len));
    let decoder = FrameDecoder::new(config.max_frame_len);
    let driver = Driver::new(connection.clone(), decoder, address.clone());
    tokio::spawn(driver.run(read, write, buf));
    Ok(Handle(connection))
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
                return Err(CallError::new(
                    Status::Protocol,
                    format!("{address} does not speak the ferry protocol"),
                ))
            }
        }
        if read.read_buf(buf).await? == 0 {
            return Err(CallError::new(
                Status::Unavailable,
                format!("{address} closed the connection during the preface"),
            ));
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
            return CallError::new(
                Status::Protocol,
                format!("{address} refused the connection: {}", goaway.message),
            );
        }
        if !matches!(read.read_buf(buf).await, Ok(n) if n > 0) {
            return CallError::new(
                Status::Protocol,
                format!("{address} refused our protocol version or codec"),
            );
        }
    }
}
