//! A server out of file descriptors survives: its accept loop neither spins nor stops, it
//! warns at most once a second, and it serves again once descriptors free up. The test lowers
//! its own process's `RLIMIT_NOFILE`, so it is a test binary of its own.

mod common;

use std::{
    io::{self, Write},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use common::{add, raw::RawConn, router, Drops, TestServer};
use ferry::{Client, ServerConfig};
use ferry_wire::{Preface, CODEC_MSGPACK, VERSION};
use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
use tokio::net::TcpStream;

/// The warnings logged, each with when it was written.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<(Instant, String)>>>);

impl Write for Log {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let line = String::from_utf8_lossy(bytes).into_owned();
        self.0.lock().unwrap().push((Instant::now(), line));
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Log {
    fn install() -> Log {
        let log = Log::default();
        let writer = log.clone();
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::WARN)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .init();
        log
    }

    /// The times of the warnings about descriptors so far.
    fn out_of_descriptors(&self) -> Vec<Instant> {
        let lines = self.0.lock().unwrap();
        let about = lines
            .iter()
            .filter(|(_, line)| line.contains("file descriptors"));
        about.map(|(at, _)| *at).collect()
    }

    /// Waits (bounded) until `n` warnings about descriptors were logged; their times.
    async fn wait_for(&self, n: usize) -> Vec<Instant> {
        for _ in 0..3000 {
            let times = self.out_of_descriptors();
            if times.len() >= n {
                return times;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("{:?}", self.0.lock().unwrap());
    }
}

/// Lowers this process's soft limit of open files to a few more than it has open.
fn leave_few_descriptors() {
    let open = std::fs::read_dir("/proc/self/fd").unwrap().count() as u64;
    let Rlimit { maximum, .. } = getrlimit(Resource::Nofile);
    let lowered = Rlimit {
        current: Some(open + 16),
        maximum,
    };
    setrlimit(Resource::Nofile, lowered).expect("lowering RLIMIT_NOFILE");
}

/// Opens `/dev/null` until the process may open nothing more.
fn take_every_descriptor() -> Vec<std::fs::File> {
    let mut files = Vec::new();
    loop {
        match std::fs::File::open("/dev/null") {
            Ok(file) => files.push(file),
            Err(err) if err.raw_os_error() == Some(rustix::io::Errno::MFILE.raw_os_error()) => {
                return files
            }
            Err(err) => panic!("opening /dev/null: {err}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_out_of_descriptors_waits_warns_once_a_second_and_serves_again() {
    let log = Log::install();
    let server = TestServer::start(router(&Drops::default()), ServerConfig::default()).await;
    let client = Client::connect(server.address.clone()).await.unwrap();
    assert_eq!(add(&client, 1, 1).await.unwrap(), 2);

    leave_few_descriptors();
    let mut files = take_every_descriptor();
    // One descriptor for one connection: the kernel completes it, and the server has none
    // left to accept it with.
    files.pop();
    let waiting = TcpStream::connect(server.tcp()).await.unwrap();
    let warned = log.wait_for(3).await;
    for pair in warned.windows(2) {
        let apart = pair[1] - pair[0];
        assert!(
            apart >= Duration::from_millis(990),
            "warned {apart:?} apart"
        );
    }
    assert!(!server.task.is_finished(), "the server is still running");

    drop(files);
    let mut waiting = RawConn::wrap(waiting);
    let preface = Preface {
        version: VERSION,
        codec: CODEC_MSGPACK,
        max_frame_len: 1 << 20,
    };
    let mut bytes = bytes::BytesMut::new();
    preface.encode(&mut bytes);
    waiting.send_bytes(&bytes).await;
    assert_eq!(
        waiting.preface().await.version,
        VERSION,
        "the waiting connection is served once descriptors free up"
    );
    assert_eq!(
        add(&client, 2, 2).await.unwrap(),
        4,
        "the open connection was served on"
    );
    let fresh = Client::connect(server.address.clone()).await.unwrap();
    assert_eq!(add(&fresh, 3, 3).await.unwrap(), 6);
    server.stop().await;
}
