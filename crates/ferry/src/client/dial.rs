//! Opening a connection: dialing the address, the preface exchange, and starting the driver
//! task that owns the socket from then on.
//!
//! ```text
//!  dial ─▶ our preface ─▶ the server's preface ─┬─ accepted ─▶ Handle + Driver task
//!                                                 └─ refused ──▶ the goaway's reason
//! ```

use bytes::BytesMut;
use tokio::{
    io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt},
    net::{TcpStream, UnixStream},
};

use ferry_wire::{Frame, FrameDecoder, Preface, Status, VERSION};
use rustls_pki_types::ServerName;

use super::{connection::Handle, driver::Driver, ClientConfig};
use crate::{Address, CallError};

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
            Address::Tls(host_port) => {
                let stream = dial_tls(host_port, config).await?;
                let (read, write) = tokio::io::split(stream);
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

/// Connects to `host_port` and runs the TLS handshake, the server's certificate checked for
/// `HOST`.
async fn dial_tls(
    host_port: &str,
    config: &ClientConfig,
) -> Result<tokio_rustls::client::TlsStream<TcpStream>, CallError> {
    let Some(tls) = config.tls.clone() else {
        let message = format!(
            "tls://{host_port} needs the CA to trust: ClientConfig::tls (ferry: --ca FILE)"
        );
        return Err(CallError::new(Status::Unavailable, message));
    };
    let host = host_of(host_port);
    let name = ServerName::try_from(host.to_owned()).map_err(|err| {
        CallError::new(
            Status::Unavailable,
            format!("tls://{host_port}: {host} is no server name: {err}"),
        )
    })?;
    let stream = TcpStream::connect(host_port).await?;
    stream.set_nodelay(true)?;
    let connector = tokio_rustls::TlsConnector::from(tls);
    let handshake = connector.connect(name, stream).await;
    let failed = |err: std::io::Error| {
        std::io::Error::new(err.kind(), format!("TLS handshake failed: {err}"))
    };
    Ok(handshake.map_err(failed)?)
}

/// The host of `HOST:PORT`, without the brackets of an IPv6 address.
fn host_of(host_port: &str) -> &str {
    let host = host_port
        .rsplit_once(':')
        .map_or(host_port, |(host, _)| host);
    host.trim_start_matches('[').trim_end_matches(']')
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
    let offers_zstd = config.compression.is_on();
    Preface::new(config.codec.wire_id(), config.max_frame_len, offers_zstd).encode(&mut buf);
    write.write_all(&buf).await?;
    buf.clear();
    let server = read_preface(&mut read, &mut buf, address).await?;
    if server.version != VERSION || server.codec != config.codec.wire_id() {
        return Err(refusal(&mut read, &mut buf, address, config.max_frame_len).await);
    }
    // Both must accept it; a server that predates zstd never sets the bit.
    let zstd = (offers_zstd && server.accepts_zstd()).then_some(config.compression);
    let handle = Handle::open(server.frame_limit(), config.codec, zstd);
    let mut decoder = FrameDecoder::new(config.max_frame_len);
    if zstd.is_some() {
        decoder.accept_zstd();
    }
    let driver = Driver::new(
        handle.connection().clone(),
        decoder,
        address.clone(),
        config.codec,
        config.liveness(),
    );
    tokio::spawn(driver.run(read, write, buf));
    Ok(handle)
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
