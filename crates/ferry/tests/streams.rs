//! Streaming calls over the native protocol on real TCP: each shape typed end to end, typed
//! errors mid-stream, every way a stream can end, flow control holding memory to the window,
//! and a stream sharing its connection fairly.

mod common;

use std::{
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::Duration,
};

use ferry::{
    stream::StreamLimits, Bytes, CallError, CallOptions, Client, ClientConfig, Router,
    ServerConfig, Sink, Source, Status, StreamError,
};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::{
    net::{TcpListener, TcpStream},
    sync::mpsc,
    time::timeout,
};

use common::{Drops, TestServer};

/// The handler's own error when `count` is told to fail.
#[derive(
    Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema, thiserror::Error,
)]
#[error("counting failed at {at}")]
pub struct CountFailed {
    at: u64,
}

/// A service with every shape of streaming method.
#[ferry::service]
pub trait Streams {
    /// `0..n`, failing with `CountFailed` at `fail_at` if given.
    async fn count(
        &self,
        n: u64,
        fail_at: Option<u64>,
        out: Sink<u64>,
    ) -> Result<(), CallError<CountFailed>>;
    /// The sum of the caller's numbers.
    async fn sum(&self, numbers: Source<i64>) -> Result<i64, CallError>;
    /// Each line back in upper case, as it comes.
    async fn shout(&self, lines: Source<String>, out: Sink<String>) -> Result<(), CallError>;
    /// 64 KiB chunks for ever; counts the bytes its sends took.
    async fn flood(&self, out: Sink<Bytes>) -> Result<(), CallError>;
    /// Reads one item, then stops reading and waits `ms` before answering it.
    async fn first(&self, ms: u64, items: Source<Bytes>) -> Result<u64, CallError>;
    /// Reads one item, then holds the stream unread for ever.
    async fn hold(&self, items: Source<Bytes>) -> Result<(), CallError>;
    /// Reads every item and reports how the stream ended on `ends`.
    async fn drain(&self, items: Source<Bytes>) -> Result<u64, CallError>;
}

#[derive(Clone, Default)]
struct Impl {
    drops: Drops,
    /// Bytes `flood` has handed to its sink.
    flooded: Arc<AtomicU64>,
    /// How `drain` streams ended, as the handler saw them.
    ends: Option<mpsc::UnboundedSender<Result<u64, Status>>>,
}

const CHUNK: usize = 64 * 1024;

impl Streams for Impl {
    async fn count(
        &self,
        n: u64,
        fail_at: Option<u64>,
        mut out: Sink<u64>,
    ) -> Result<(), CallError<CountFailed>> {
        for i in 0..n {
            if Some(i) == fail_at {
                return Err(CallError::Application(CountFailed { at: i }));
            }
            out.send(i).await?;
        }
        Ok(())
    }

    async fn sum(&self, mut numbers: Source<i64>) -> Result<i64, CallError> {
        let mut total = 0;
        while let Some(number) = numbers.recv().await {
            total += number?;
        }
        Ok(total)
    }

    async fn shout(
        &self,
        mut lines: Source<String>,
        mut out: Sink<String>,
    ) -> Result<(), CallError> {
        while let Some(line) = lines.recv().await {
            out.send(line?.to_uppercase()).await?;
        }
        Ok(())
    }

    async fn flood(&self, mut out: Sink<Bytes>) -> Result<(), CallError> {
        // Never finished: the future ends only by being dropped (counted) or by a failed send.
        let _dropped = self.drops.guard();
        let chunk = Bytes::from(vec![1u8; CHUNK]);
        loop {
            out.send(chunk.clone()).await?;
            self.flooded.fetch_add(CHUNK as u64, Ordering::SeqCst);
        }
    }

    async fn first(&self, ms: u64, mut items: Source<Bytes>) -> Result<u64, CallError> {
        let first = items
            .recv()
            .await
            .transpose()?
            .map_or(0, |item| item.len() as u64);
        drop(items);
        tokio::time::sleep(Duration::from_millis(ms)).await;
        Ok(first)
    }

    async fn hold(&self, mut items: Source<Bytes>) -> Result<(), CallError> {
        let guard = self.drops.guard();
        let _ = items.recv().await;
        std::future::pending::<()>().await;
        guard.finish();
        Ok(())
    }

    async fn drain(&self, mut items: Source<Bytes>) -> Result<u64, CallError> {
        let mut total = 0;
        let outcome = loop {
            match items.recv().await {
                Some(Ok(item)) => total += item.len() as u64,
                Some(Err(err)) => break Err(err),
                None => break Ok(total),
            }
        };
        if let Some(ends) = &self.ends {
            let _ = ends.send(outcome.as_ref().map(|n| *n).map_err(StreamError::status));
        }
        Ok(outcome?)
    }
}

/// The first items of `stream` (at most 16: a flood is counted, not kept) up to the error it
/// must end with, how many there were, and that error.
async fn until_error<T, E>(stream: &mut ferry::ItemStream<T, E>) -> (Vec<T>, usize, CallError<E>)
where
    T: serde::de::DeserializeOwned + 'static,
    E: serde::de::DeserializeOwned,
{
    let (mut first, mut count) = (Vec::new(), 0);
    loop {
        match stream
            .recv()
            .await
            .expect("ends with an error, not cleanly")
        {
            Ok(item) => {
                count += 1;
                if first.len() < 16 {
                    first.push(item);
                }
            }
            Err(err) => return (first, count, err),
        }
    }
}

async fn start(service: Impl) -> (TestServer, StreamsClient) {
    let router = Router::new().service(StreamsServer::new(service));
    let server = TestServer::start(router, ServerConfig::default()).await;
    let client = StreamsClient::connect(server.address.clone())
        .await
        .expect("connect");
    (server, client)
}

/// A hang guard: the tests wait on real sockets, and a bug must fail them, not stall them.
async fn guard<F: std::future::Future>(future: F) -> F::Output {
    timeout(Duration::from_secs(20), future)
        .await
        .expect("hung")
}

#[tokio::test]
async fn a_server_stream_arrives_typed_and_in_order_then_ends() {
    let (server, client) = start(Impl::default()).await;
    let items: Vec<u64> = guard(async {
        let stream = client.count(1000, None).await.expect("opens");
        stream.map(|item| item.expect("an item")).collect().await
    })
    .await;
    assert_eq!(items, (0..1000).collect::<Vec<_>>());
    server.stop().await;
}

#[tokio::test]
async fn a_typed_error_ends_a_stream_after_the_items_before_it() {
    let (server, client) = start(Impl::default()).await;
    let mut stream = guard(client.count(10, Some(4))).await.expect("opens");
    let (seen, _, failure) = guard(until_error(&mut stream)).await;
    assert_eq!(seen, [0, 1, 2, 3]);
    assert!(
        matches!(failure, CallError::Application(CountFailed { at: 4 })),
        "{failure:?}"
    );
    assert!(guard(stream.recv()).await.is_none(), "items after the end");
    server.stop().await;
}

#[tokio::test]
async fn a_client_stream_is_summed_and_an_empty_one_is_zero() {
    let (server, client) = start(Impl::default()).await;
    let numbers = futures_util::stream::iter(1..=100);
    assert_eq!(guard(client.sum(numbers)).await.expect("sum"), 5050);
    let none = futures_util::stream::iter(Vec::<i64>::new());
    assert_eq!(guard(client.sum(none)).await.expect("sum"), 0);
    server.stop().await;
}

#[tokio::test]
async fn a_bidirectional_stream_answers_each_item_as_it_comes() {
    let (server, client) = start(Impl::default()).await;
    let (lines, rx) = mpsc::unbounded_channel::<String>();
    let rx = tokio_stream_of(rx);
    let mut answers = guard(client.shout(rx)).await.expect("opens");
    for line in ["one", "two", "three"] {
        lines.send(line.to_owned()).unwrap();
        // Each answer comes before the next line is sent: the stream is live both ways.
        let answer = guard(answers.recv()).await.expect("an answer").expect("ok");
        assert_eq!(answer, line.to_uppercase());
    }
    drop(lines);
    assert!(
        guard(answers.recv()).await.is_none(),
        "ends cleanly after the caller's end"
    );
    server.stop().await;
}

/// An unbounded channel as a `Stream`.
fn tokio_stream_of<T: Send + 'static>(
    mut rx: mpsc::UnboundedReceiver<T>,
) -> impl futures_util::Stream<Item = T> + Send + 'static {
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

#[tokio::test]
async fn items_larger_than_a_frame_arrive_whole() {
    let (server, client) = start(Impl::default()).await;
    let big = Bytes::from((0..1_000_000u32).map(|i| i as u8).collect::<Vec<_>>());
    let items = futures_util::stream::iter(vec![big.clone(), Bytes::new(), big.clone()]);
    let total: u64 = guard(
        client
            .client()
            .client_stream::<_, _, _, u64, ferry::NoError>(
                "streams.drain",
                &serde_json::json!({}),
                items,
                &CallOptions::new(),
            ),
    )
    .await
    .expect("drained");
    assert_eq!(total, 2_000_000);
    server.stop().await;
}

#[tokio::test]
async fn an_item_over_the_servers_limit_ends_the_stream_too_large() {
    let limits = StreamLimits::default().max_item_len(100_000);
    let router = Router::new().service(StreamsServer::new(Impl::default()));
    let server = TestServer::start(router, ServerConfig::default().streams(limits)).await;
    let client = StreamsClient::connect(server.address.clone())
        .await
        .unwrap();
    let items = futures_util::stream::iter(vec![Bytes::from(vec![0; 200_000])]);
    let failure = guard(
        client
            .client()
            .client_stream::<_, _, _, u64, ferry::NoError>(
                "streams.drain",
                &serde_json::json!({}),
                items,
                &CallOptions::new(),
            ),
    )
    .await
    .expect_err("over the limit");
    assert_eq!(failure.status(), Status::TooLarge, "{failure}");
    // The connection goes on.
    let items = futures_util::stream::iter(1..=3);
    assert_eq!(guard(client.sum(items)).await.unwrap(), 6);
    server.stop().await;
}

#[tokio::test]
async fn dropping_the_callers_stream_drops_the_handlers_future() {
    let service = Impl::default();
    let (server, client) = start(service.clone()).await;
    let mut stream = guard(client.flood()).await.expect("opens");
    guard(stream.recv()).await.expect("an item").expect("ok");
    drop(stream);
    assert_eq!(
        service.drops.wait_for(1).await,
        1,
        "the handler kept running"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_slow_consumer_holds_the_producer_to_the_window() {
    let service = Impl::default();
    let (server, client) = start(service.clone()).await;
    let mut stream = guard(client.flood()).await.expect("opens");
    guard(stream.recv()).await.expect("an item").expect("ok");
    // The consumer stops taking items. The producer can get ahead by the window (1 MiB,
    // counting 16 bytes a frame) and the chunk it is sending when it runs out, no further.
    let limit = 1024 * 1024 + 2 * CHUNK as u64;
    let mut last = 0;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        last = service.flooded.load(Ordering::SeqCst);
    }
    assert!(last > 0, "nothing was sent");
    assert!(
        last <= limit,
        "{last} bytes sent ahead of a consumer that stopped"
    );
    // Taking items lets it go on.
    for _ in 0..40 {
        guard(stream.recv()).await.expect("an item").expect("ok");
    }
    assert!(service.flooded.load(Ordering::SeqCst) > last);
    server.stop().await;
}

#[tokio::test]
async fn a_slow_handler_holds_the_caller_to_the_window() {
    let service = Impl::default();
    let (server, client) = start(service.clone()).await;
    let (mut sink, _answer) = guard(
        client
            .client()
            .open_client_stream::<_, Bytes, (), ferry::NoError>(
                "streams.hold",
                &serde_json::json!({}),
                &CallOptions::new(),
            ),
    )
    .await
    .expect("opens");
    let chunk = Bytes::from(vec![2u8; CHUNK]);
    let mut sent = 0u64;
    // The handler reads one item and no more: sends go through until the window is spent,
    // then wait. A send that waits a second is waiting for credit.
    while timeout(Duration::from_secs(1), sink.send(&chunk))
        .await
        .is_ok()
    {
        sent += CHUNK as u64;
        assert!(
            sent <= 4 * 1024 * 1024,
            "sent {sent} bytes to a handler that reads none"
        );
    }
    assert!(
        sent >= 1024 * 1024 - CHUNK as u64,
        "only {sent} bytes went before credit ran out"
    );
    assert!(
        sent <= 1024 * 1024 + 2 * CHUNK as u64,
        "{sent} bytes went ahead of the handler"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_handler_that_stops_reading_stops_the_caller_and_still_answers() {
    let (server, client) = start(Impl::default()).await;
    let (mut sink, answer) = guard(
        client
            .client()
            .open_client_stream::<_, Bytes, u64, ferry::NoError>(
                "streams.first",
                &serde_json::json!({"ms": 300}),
                &CallOptions::new(),
            ),
    )
    .await
    .expect("opens");
    let chunk = Bytes::from_static(b"item");
    let refused = guard(async {
        loop {
            if let Err(err) = sink.send(&chunk).await {
                break err;
            }
            tokio::task::yield_now().await;
        }
    })
    .await;
    assert_eq!(refused.status(), Status::Cancelled, "{refused}");
    assert!(refused.to_string().contains("stopped reading"), "{refused}");
    assert_eq!(guard(answer).await.expect("answered"), 4);
    server.stop().await;
}

#[tokio::test]
async fn a_caller_that_drops_its_stream_unfinished_ends_it_cancelled() {
    let (tx, mut ends) = mpsc::unbounded_channel();
    let service = Impl {
        ends: Some(tx),
        ..Impl::default()
    };
    let (server, client) = start(service).await;
    let (mut sink, answer) = guard(
        client
            .client()
            .open_client_stream::<_, Bytes, u64, ferry::NoError>(
                "streams.drain",
                &serde_json::json!({}),
                &CallOptions::new(),
            ),
    )
    .await
    .expect("opens");
    guard(sink.send(Bytes::from_static(b"abc"))).await.unwrap();
    drop(sink);
    assert_eq!(guard(ends.recv()).await, Some(Err(Status::Cancelled)));
    let failure = guard(answer)
        .await
        .expect_err("a cancelled stream is no clean end");
    assert_eq!(failure.status(), Status::Cancelled);
    server.stop().await;
}

#[tokio::test]
async fn the_deadline_covers_the_whole_stream() {
    let service = Impl::default();
    let (server, client) = start(service.clone()).await;
    let client = client.with_timeout(Some(Duration::from_millis(300)));
    let mut stream = guard(client.flood()).await.expect("opens");
    let (_, items, failure) = guard(until_error(&mut stream)).await;
    assert!(items > 0, "the stream never started");
    assert_eq!(failure.status(), Status::DeadlineExceeded, "{failure}");
    assert_eq!(
        service.drops.wait_for(1).await,
        1,
        "the handler outlived its deadline"
    );
    server.stop().await;
}

#[tokio::test]
async fn an_idle_timeout_bounds_the_gap_between_items() {
    let service = Impl::default();
    let (server, client) = start(service.clone()).await;
    let (_lines, rx) = mpsc::unbounded_channel::<String>();
    let options = CallOptions::new().idle_timeout(Duration::from_millis(200));
    let mut answers = guard(
        client
            .client()
            .bidi_stream::<_, _, _, String, ferry::NoError>(
                "streams.shout",
                &serde_json::json!({}),
                tokio_stream_of(rx),
                &options,
            ),
    )
    .await
    .expect("opens");
    let failure = guard(answers.recv())
        .await
        .expect("an error")
        .expect_err("no item came");
    assert_eq!(failure.status(), Status::DeadlineExceeded, "{failure}");
    assert!(failure.to_string().contains("idle"), "{failure}");
    server.stop().await;
}

#[tokio::test]
async fn a_fast_stream_does_not_starve_unary_calls_on_its_connection() {
    let service = Impl::default();
    let router = Router::new()
        .service(StreamsServer::new(service.clone()))
        .function(
            "test.add",
            ["a", "b"],
            |a: i64, b: i64| async move { a + b },
        );
    let server = TestServer::start(router, ServerConfig::default()).await;
    let client = Client::connect(server.address.clone()).await.unwrap();
    let streams = StreamsClient::new(client.clone());
    let mut flood = guard(streams.flood()).await.expect("opens");
    let reader = tokio::spawn(async move {
        let mut taken = 0u64;
        while let Some(Ok(_)) = flood.recv().await {
            taken += 1;
        }
        taken
    });
    let before = service.flooded.load(Ordering::SeqCst);
    for i in 0..200i64 {
        let sum: i64 = guard(client.call("test.add", &[i, 1], &CallOptions::new()))
            .await
            .expect("a unary call beside the stream");
        assert_eq!(sum, i + 1);
    }
    assert!(
        service.flooded.load(Ordering::SeqCst) > before,
        "the stream stood still while the unary calls ran"
    );
    reader.abort();
    server.stop().await;
}

/// A relay between a client and a server that the test can cut, as a network failure would.
async fn relay(to: String) -> (String, mpsc::UnboundedSender<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let (cut, mut cuts) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let (mut caller, _) = listener.accept().await.unwrap();
        let mut server = TcpStream::connect(to).await.unwrap();
        tokio::select! {
            _ = tokio::io::copy_bidirectional(&mut caller, &mut server) => {}
            _ = cuts.recv() => {}
        }
        // Both sockets drop here: each side sees its connection end mid-stream.
    });
    (address, cut)
}

#[tokio::test]
async fn a_connection_lost_mid_stream_is_an_error_on_both_sides() {
    let (tx, mut ends) = mpsc::unbounded_channel();
    let service = Impl {
        ends: Some(tx),
        ..Impl::default()
    };
    let router = Router::new().service(StreamsServer::new(service));
    let server = TestServer::start(router, ServerConfig::default()).await;
    let (address, cut) = relay(server.tcp()).await;
    let client = Client::connect(address.as_str()).await.unwrap();
    let (mut sink, answer) = guard(client.open_client_stream::<_, Bytes, u64, ferry::NoError>(
        "streams.drain",
        &serde_json::json!({}),
        &CallOptions::new(),
    ))
    .await
    .expect("opens");
    guard(sink.send(Bytes::from_static(b"some"))).await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    cut.send(()).unwrap();
    let seen_by_handler = guard(ends.recv()).await.expect("the handler ended");
    assert_eq!(
        seen_by_handler,
        Err(Status::Unavailable),
        "the handler saw a clean end"
    );
    let seen_by_caller = guard(answer).await.expect_err("the caller saw a clean end");
    assert_eq!(
        seen_by_caller.status(),
        Status::Unavailable,
        "{seen_by_caller}"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_server_stream_cut_mid_way_fails_the_callers_stream() {
    let service = Impl::default();
    let router = Router::new().service(StreamsServer::new(service.clone()));
    let server = TestServer::start(router, ServerConfig::default()).await;
    let (address, cut) = relay(server.tcp()).await;
    let config = ClientConfig::default().default_timeout(None);
    let client = StreamsClient::new(
        Client::connect_with(address.as_str(), config)
            .await
            .unwrap(),
    );
    let mut stream = guard(client.flood()).await.expect("opens");
    guard(stream.recv()).await.expect("an item").expect("ok");
    cut.send(()).unwrap();
    let (_, _, failure) = guard(until_error(&mut stream)).await;
    assert_eq!(failure.status(), Status::Unavailable, "{failure}");
    assert_eq!(
        service.drops.wait_for(1).await,
        1,
        "the handler outlived its connection"
    );
    server.stop().await;
}

#[tokio::test]
async fn the_descriptor_says_which_way_each_method_streams() {
    let described = StreamsClient::descriptor();
    let shape = |name: &str| {
        let method = described.methods.iter().find(|m| m.name == name).unwrap();
        (
            method.client_stream.is_some(),
            method.server_stream.is_some(),
        )
    };
    assert_eq!(shape("count"), (false, true));
    assert_eq!(shape("sum"), (true, false));
    assert_eq!(shape("shout"), (true, true));
    let count = described
        .methods
        .iter()
        .find(|m| m.name == "count")
        .unwrap();
    let params: Vec<&str> = count.params.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(params, ["n", "fail_at"], "the sink is not a parameter");
}

/// A peer that completes the preface and then says nothing, reads nothing and answers no ping:
/// a host that vanished without closing its connections.
mod silent {
    use bytes::BytesMut;
    use ferry_wire::{Frame, Preface, Request, PREFACE_LEN};
    use tokio::{
        io::{AsyncReadExt, AsyncWriteExt},
        net::{TcpListener, TcpStream},
    };

    fn preface() -> BytesMut {
        let mut bytes = BytesMut::new();
        Preface {
            version: ferry_wire::VERSION,
            codec: ferry_wire::CODEC_MSGPACK,
            max_frame_len: ferry_wire::DEFAULT_MAX_FRAME_LEN,
        }
        .encode(&mut bytes);
        bytes
    }

    /// A server that answers the preface and then nothing; its address.
    pub(super) async fn server() -> String {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap().to_string();
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut theirs = [0u8; PREFACE_LEN];
            socket.read_exact(&mut theirs).await.unwrap();
            socket.write_all(&preface()).await.unwrap();
            std::future::pending::<()>().await;
            drop(socket);
        });
        address
    }

    /// A client that calls `method` and then says nothing; the socket, held open.
    pub(super) async fn caller(address: &str, method: &str) -> TcpStream {
        let mut socket = TcpStream::connect(address).await.unwrap();
        let mut bytes = preface();
        let request = Request {
            call_id: 1,
            method: method.into(),
            // An empty MessagePack map: no arguments.
            body: bytes::Bytes::from_static(&[0x80]),
            ..Request::default()
        };
        Frame::Request(request).encode(&mut bytes);
        socket.write_all(&bytes).await.unwrap();
        socket
    }
}

#[tokio::test(start_paused = true)]
async fn a_caller_gives_up_a_server_that_stops_answering_pings() {
    let address = silent::server().await;
    let config = ClientConfig::default().default_timeout(None);
    let client = StreamsClient::new(
        Client::connect_with(address.as_str(), config)
            .await
            .unwrap(),
    );
    let started = tokio::time::Instant::now();
    let mut stream = client.flood().await.expect("opens");
    let failure = stream
        .recv()
        .await
        .expect("an error")
        .expect_err("no item came");
    assert_eq!(failure.status(), Status::Unavailable, "{failure}");
    assert!(failure.to_string().contains("ping"), "{failure}");
    // Pinged after 30 s of silence, given up 20 s later: not before.
    assert!(
        started.elapsed() >= Duration::from_secs(50),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(start_paused = true)]
async fn a_server_gives_up_a_caller_that_stops_answering_pings() {
    let service = Impl::default();
    let router = Router::new().service(StreamsServer::new(service.clone()));
    let server = TestServer::start(router, ServerConfig::default()).await;
    let _silent = silent::caller(&server.tcp(), "streams.flood").await;
    let started = tokio::time::Instant::now();
    while service.drops.count() == 0 && started.elapsed() < Duration::from_secs(120) {
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    assert_eq!(
        service.drops.count(),
        1,
        "the handler outlived a silent caller"
    );
    assert!(
        started.elapsed() >= Duration::from_secs(50),
        "{:?}",
        started.elapsed()
    );
    server.stop().await;
}
