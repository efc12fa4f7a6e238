//! A hand-driven native connection, for sending exactly the bytes a test wants.

use std::time::Duration;

use bytes::BytesMut;
use ferry_wire::{ByteStr, Frame, FrameDecoder, Preface, Request, CODEC_MSGPACK, VERSION};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

pub struct RawConn {
    pub stream: TcpStream,
    input: BytesMut,
    decoder: FrameDecoder,
}

impl RawConn {
    /// Connects and sends `preface` without waiting for the server's.
    pub async fn open(address: &str, preface: Preface) -> RawConn {
        let stream = TcpStream::connect(address).await.expect("connect");
        let mut conn = RawConn::wrap(stream);
        let mut out = BytesMut::new();
        preface.encode(&mut out);
        conn.send_bytes(&out).await;
        conn
    }

    /// Wraps a stream on which nothing was sent yet. Each write goes out at once, as ferry's own
    /// sockets do (`TCP_NODELAY`): Nagle would hold a second small frame until the first is
    /// acknowledged, and on a paused clock tokio takes that wait for idleness and moves time on.
    pub fn wrap(stream: TcpStream) -> RawConn {
        stream.set_nodelay(true).expect("TCP_NODELAY");
        RawConn {
            stream,
            input: BytesMut::new(),
            decoder: FrameDecoder::new(1 << 24),
        }
    }

    /// Connects with a valid MessagePack preface and reads the server's.
    pub async fn handshake(address: &str) -> RawConn {
        RawConn::handshake_on(TcpStream::connect(address).await.expect("connect")).await
    }

    /// Sends a valid MessagePack preface on `stream`, connected, and reads the server's.
    pub async fn handshake_on(stream: TcpStream) -> RawConn {
        let mut conn = RawConn::wrap(stream);
        let mut out = BytesMut::new();
        Preface {
            version: VERSION,
            codec: CODEC_MSGPACK,
            max_frame_len: 1 << 24,
        }
        .encode(&mut out);
        conn.send_bytes(&out).await;
        let theirs = conn.preface().await;
        assert_eq!(theirs.version, VERSION);
        conn
    }

    pub async fn preface(&mut self) -> Preface {
        loop {
            if let Some(preface) = Preface::decode(&mut self.input).expect("server preface") {
                return preface;
            }
            self.fill(Duration::from_secs(10)).await;
        }
    }

    pub async fn send(&mut self, frame: &Frame) {
        let mut out = BytesMut::new();
        frame.encode(&mut out);
        self.stream.write_all(&out).await.unwrap();
    }

    pub async fn send_bytes(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.unwrap();
    }

    /// The next frame, or `None` when the server closed the connection.
    pub async fn next_frame(&mut self) -> Option<Frame> {
        self.next_frame_within(Duration::from_secs(10)).await
    }

    /// The next frame, waiting up to `limit` for each read.
    pub async fn next_frame_within(&mut self, limit: Duration) -> Option<Frame> {
        loop {
            if let Some(frame) = self.decoder.decode(&mut self.input).expect("valid frame") {
                return Some(frame);
            }
            if !self.fill(limit).await {
                return None;
            }
        }
    }

    /// The next frame, read at most `chunk` bytes at a time with `pause` before each read: a
    /// peer on a slow link, which says nothing meanwhile.
    pub async fn next_frame_slowly(&mut self, chunk: usize, pause: Duration) -> Option<Frame> {
        let mut buf = vec![0; chunk];
        loop {
            if let Some(frame) = self.decoder.decode(&mut self.input).expect("valid frame") {
                return Some(frame);
            }
            tokio::time::sleep(pause).await;
            match self.stream.read(&mut buf).await {
                Ok(n) if n > 0 => self.input.extend_from_slice(&buf[..n]),
                _ => return None,
            }
        }
    }

    /// Reads until the other side closes; true when it did within the time limit.
    pub async fn closed_by_peer(&mut self) -> bool {
        let drain = async {
            let mut sink = [0u8; 4096];
            loop {
                match self.stream.read(&mut sink).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
            }
        };
        tokio::time::timeout(Duration::from_secs(10), drain)
            .await
            .is_ok()
    }

    async fn fill(&mut self, limit: Duration) -> bool {
        let read = tokio::time::timeout(limit, self.stream.read_buf(&mut self.input));
        matches!(read.await.expect("the server answers in time"), Ok(n) if n > 0)
    }
}

/// A peer posing as a server: accepts one connection, answers its preface and hands it over.
pub async fn accept_one() -> (String, tokio::task::JoinHandle<RawConn>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let accepted = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let mut conn = RawConn::wrap(stream);
        conn.preface().await;
        let mut out = bytes::BytesMut::new();
        Preface {
            version: VERSION,
            codec: CODEC_MSGPACK,
            max_frame_len: 1 << 24,
        }
        .encode(&mut out);
        conn.send_bytes(&out).await;
        conn
    });
    (address, accepted)
}

/// A request frame for `method` with MessagePack `args`.
pub fn request(call_id: u32, method: &'static str, args: &serde_json::Value) -> Frame {
    Frame::Request(Request {
        call_id,
        method: ByteStr::from_static(method),
        body: ferry::Codec::MsgPack.encode(args).unwrap(),
        ..Request::default()
    })
}
