//! The client's connection under sustained load: many large calls in flight on one connection,
//! and a server that stops reading. Reading answers must never wait for writing requests, nor
//! the other way round; a call's deadline must fire whatever the socket does; and a connection
//! that can do nothing must cost no CPU.
//!
//! Each client runs alone on one thread, as under `#[tokio::test]` or a small tool's
//! `current_thread` runtime: there a driver that never yields stops its own socket, its timers
//! and every other task of the thread. Each server runs on a runtime of its own, as it would in
//! another process.

mod common;

use std::{
    future::Future,
    process::Command,
    sync::{mpsc, Mutex, MutexGuard, PoisonError},
    thread,
    time::Duration,
};

use common::{raw::accept_one, TestServer};
use ferry::{
    ByteStr, Bytes, CallOptions, Client, NoError, Router, ServerConfig, ShutdownHandle, Status,
};
use tokio::time::Instant;

/// How long the load tests keep their calls in flight, over each transport.
const PERIOD: Duration = Duration::from_secs(3);

#[test]
fn sixty_four_calls_of_64_kib_kept_in_flight_are_all_answered() {
    keep_loaded("64x64k", 64, 64 * 1024);
}

#[test]
fn eight_calls_of_1_mib_kept_in_flight_are_all_answered() {
    keep_loaded("8x1m", 8, 1024 * 1024);
}

#[test]
fn calls_to_a_server_that_stops_reading_expire_at_their_deadline_and_the_client_idles() {
    const TIMEOUT: Duration = Duration::from_secs(1);
    let _alone = one_at_a_time();
    guarded(
        "a server that stops reading",
        Duration::from_secs(20),
        async {
            let (address, accepted) = accept_one().await;
            let client = Client::connect(address).await.unwrap();
            // The peer answered the preface; from now on it reads nothing.
            let _peer = accepted.await.unwrap();
            let client = client.with_timeout(Some(TIMEOUT));
            let method = ByteStr::from_static("test.echo");
            // Far more than the socket buffers of both ends hold.
            let body = Bytes::from(vec![7; 1024 * 1024]);
            let (cpu_before, wall_before) = (cpu_time(), Instant::now());
            let calls = (0..32u32).map(|n| {
                let (client, method, body) = (&client, &method, &body);
                async move {
                    // One after another, so most calls are queued while the socket is full.
                    tokio::time::sleep(Duration::from_millis(20) * n).await;
                    let started = Instant::now();
                    let result = client.call_raw(method, body, &CallOptions::new()).await;
                    (result, started.elapsed())
                }
            });
            let outcomes = futures_util::future::join_all(calls).await;
            let (cpu, wall) = (cpu_time() - cpu_before, wall_before.elapsed());
            for (n, (result, took)) in outcomes.into_iter().enumerate() {
                match result {
                    Err(err) => {
                        assert_eq!(err.status(), Status::DeadlineExceeded, "call {n}: {err}")
                    }
                    Ok(reply) => panic!("call {n} was answered {:?}", reply.status),
                }
                assert!(took >= TIMEOUT, "call {n} failed after {took:?}");
            }
            assert!(
                cpu < wall / 4,
                "the client used {cpu:?} of CPU while its calls waited {wall:?}"
            );
        },
    );
}

/// Where the load tests run. TCP is where the stall was reported, but there the kernel grows
/// its buffers to hold megabytes, so a client's writes fill them only now and then. A Unix
/// socket's buffers stay small: the writes of the same load block all the time.
#[derive(Debug, Clone, Copy)]
enum Transport {
    Tcp,
    Unix,
}

impl Transport {
    /// The address a server of `test` listens on.
    fn listen(self, test: &str) -> String {
        match self {
            Transport::Tcp => "127.0.0.1:0".to_owned(),
            Transport::Unix => {
                let name = format!("ferry-client-flow-{test}-{}.sock", std::process::id());
                format!("unix:{}", std::env::temp_dir().join(name).display())
            }
        }
    }
}

/// Over each transport, keeps `inflight` echo calls of `payload` bytes going on one
/// connection for [`PERIOD`]; every call must get its own bytes back.
fn keep_loaded(test: &str, inflight: usize, payload: usize) {
    let _alone = one_at_a_time();
    for transport in [Transport::Tcp, Transport::Unix] {
        let server = EchoServer::start(&transport.listen(test));
        let address = server.address.clone();
        let limit = PERIOD + Duration::from_secs(15);
        let what = format!("{inflight} calls of {payload} bytes over {transport:?}");
        let answered = guarded(&what, limit, keep_in_flight(address, inflight, payload));
        assert!(answered > inflight, "{what}: only {answered} answered");
        server.stop();
    }
}

/// Keeps `inflight` callers calling `test.echo` with `payload` bytes on one connection for
/// [`PERIOD`]; how many calls were answered.
async fn keep_in_flight(address: String, inflight: usize, payload: usize) -> usize {
    let client = Client::connect(address).await.unwrap();
    let until = Instant::now() + PERIOD;
    let callers: Vec<_> = (0..inflight)
        .map(|caller| tokio::spawn(echo_until(client.clone(), caller, payload, until)))
        .collect();
    let mut answered = 0;
    for caller in callers {
        answered += caller.await.expect("a caller failed");
    }
    answered
}

/// Calls `test.echo` with `payload` bytes, one call after another, until `until`; how many
/// calls it made. The arguments are encoded once, as a load generator does, so the client
/// queues calls as fast as answers come.
async fn echo_until(client: Client, caller: usize, payload: usize, until: Instant) -> usize {
    let method = ByteStr::from_static("test.echo");
    let data = distinct(caller, payload);
    let args = client.codec().encode(&(&data,)).unwrap();
    let mut calls = 0;
    while Instant::now() < until {
        let reply = client
            .call_raw(&method, &args, &CallOptions::new())
            .await
            .unwrap_or_else(|err| panic!("caller {caller}, call {calls}: {err}"));
        let echoed = ferry::client::decode_reply::<Bytes, NoError>(client.codec(), reply)
            .unwrap_or_else(|err| panic!("caller {caller}, call {calls}: {err}"));
        assert!(
            echoed == data,
            "caller {caller}, call {calls}: other bytes came back"
        );
        calls += 1;
    }
    calls
}

/// `len` bytes that no other caller sends, so an answer handed to the wrong call shows.
fn distinct(caller: usize, len: usize) -> Bytes {
    let tag = (caller as u64).to_le_bytes();
    let mut data = vec![tag[0].wrapping_mul(37); len];
    data[..tag.len()].copy_from_slice(&tag);
    let end = len - tag.len();
    data[end..].copy_from_slice(&tag);
    Bytes::from(data)
}

/// A server of `test.echo` on a runtime and threads of its own.
struct EchoServer {
    address: String,
    shutdown: ShutdownHandle,
    thread: thread::JoinHandle<()>,
}

impl EchoServer {
    fn start(listen: &str) -> EchoServer {
        let (started, start) = mpsc::channel();
        let listen = listen.to_owned();
        let thread = thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let router =
                    Router::new().function("test.echo", ["data"], |data: Bytes| async { data });
                let server = TestServer::start_on(&listen, router, ServerConfig::default()).await;
                let address = server.address.to_string();
                started.send((address, server.shutdown.clone())).unwrap();
                server.task.await.expect("task").expect("run");
            });
        });
        let (address, shutdown) = start.recv().expect("the server started");
        EchoServer {
            address,
            shutdown,
            thread,
        }
    }

    fn stop(self) {
        self.shutdown.shutdown();
        self.thread.join().expect("the server stopped cleanly");
    }
}

/// One test at a time: one measures the CPU time of the whole process, and the others would
/// use CPU meanwhile.
fn one_at_a_time() -> MutexGuard<'static, ()> {
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Runs `test` on a `current_thread` runtime of its own and fails, saying `what` hung, if it
/// has not ended within `limit`. The guard waits on another thread: a task stuck inside one
/// poll holds up every timer of its runtime, a guard timer among them.
fn guarded<T, F>(what: &str, limit: Duration, test: F) -> T
where
    T: Send + 'static,
    F: Future<Output = T> + Send + 'static,
{
    let (ended, end) = mpsc::channel();
    thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let run = std::panic::AssertUnwindSafe(|| runtime.block_on(test));
        let _ = ended.send(std::panic::catch_unwind(run));
    });
    match end.recv_timeout(limit) {
        Ok(Ok(output)) => output,
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Err(_) => panic!("{what}: hung, no end within {limit:?}"),
    }
}

/// The CPU time this process has used, user and system, as /proc counts it (the workspace
/// forbids the unsafe code that asking libc would take).
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("/proc/self/stat");
    // The command name, in parentheses, may hold spaces: fields are counted after it, from the
    // state (field 3), so utime (14) and stime (15) are the 12th and 13th.
    let after_name = &stat[stat.rfind(')').expect("a command name") + 2..];
    let fields: Vec<&str> = after_name.split(' ').collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    Duration::from_secs_f64(ticks as f64 / clock_ticks_per_second() as f64)
}

fn clock_ticks_per_second() -> u64 {
    let output = Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .expect("getconf");
    let text = String::from_utf8_lossy(&output.stdout);
    text.trim().parse().expect("CLK_TCK is a number")
}
