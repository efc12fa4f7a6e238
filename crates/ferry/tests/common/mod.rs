//! A server on 127.0.0.1 for tests, with functions that let a test watch calls start and end.

#![allow(dead_code, unreachable_pub)]

use std::{
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::Duration,
};

use ferry::{Address, Router, Server, ServerConfig, ShutdownHandle};
use tokio::task::JoinHandle;

/// A running server; shut down and joined by `stop`.
pub struct TestServer {
    pub address: Address,
    pub shutdown: ShutdownHandle,
    pub stats: Arc<ferry::server::ServerStats>,
    pub task: JoinHandle<std::io::Result<()>>,
}

impl TestServer {
    pub async fn start(router: Router, config: ServerConfig) -> TestServer {
        TestServer::start_on("127.0.0.1:0", router, config).await
    }

    pub async fn start_on(address: &str, router: Router, config: ServerConfig) -> TestServer {
        let server = Server::bind_with(address, router, config)
            .await
            .expect("bind");
        TestServer {
            address: server.local_address(),
            shutdown: server.shutdown_handle(),
            stats: server.stats(),
            task: tokio::spawn(server.run()),
        }
    }

    pub async fn stop(self) {
        self.shutdown.shutdown();
        let result = tokio::time::timeout(Duration::from_secs(20), self.task).await;
        result.expect("server stops").expect("task").expect("run");
    }

    /// Waits (bounded) until the server has dispatched `n` calls in all.
    pub async fn wait_for_calls(&self, n: u64) {
        for _ in 0..1000 {
            if self.stats.calls() >= n {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("the server saw {} calls, not {n}", self.stats.calls());
    }

    pub fn tcp(&self) -> String {
        self.address.to_string()
    }
}

/// `test.add(a, b)` on `client`.
pub async fn add(client: &ferry::Client, a: i64, b: i64) -> Result<i64, ferry::CallError> {
    client
        .call_typed::<_, _, ferry::NoError>("test.add", &(a, b), &ferry::CallOptions::new())
        .await
}

/// Counts handler futures that were dropped before they finished.
#[derive(Clone, Default)]
pub struct Drops(pub Arc<AtomicUsize>);

pub struct DropGuard {
    drops: Drops,
    finished: bool,
}

impl Drops {
    pub fn guard(&self) -> DropGuard {
        DropGuard {
            drops: self.clone(),
            finished: false,
        }
    }

    pub fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }

    /// Waits (bounded) until `n` handlers were dropped unfinished.
    pub async fn wait_for(&self, n: usize) -> usize {
        for _ in 0..500 {
            if self.count() >= n {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        self.count()
    }
}

impl DropGuard {
    pub fn finish(mut self) {
        self.finished = true;
    }
}

impl Drop for DropGuard {
    fn drop(&mut self) {
        if !self.finished {
            self.drops.0.fetch_add(1, Ordering::SeqCst);
        }
    }
}

/// `test.add`, `test.sleep(ms)`, `test.hang()` (never finishes; counted in `drops` when dropped),
/// `test.panic()`, `test.greet(name, greeting = None)`, `test.checked_div(a, b)` (application error).
pub fn router(drops: &Drops) -> Router {
    let hang_drops = drops.clone();
    Router::new()
        .function(
            "test.add",
            ["a", "b"],
            |a: i64, b: i64| async move { a + b },
        )
        .function("test.sleep", ["ms"], |ms: u64| async move {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            ms
        })
        .function("test.hang", [], move || {
            let guard = hang_drops.guard();
            async move {
                std::future::pending::<()>().await;
                guard.finish();
            }
        })
        .function("test.panic", [], || async move {
            if true {
                panic!("boom");
            }
        })
        .function(
            "test.greet",
            ["name", "greeting"],
            |name: String, greeting: Option<String>| async move {
                format!("{}, {name}", greeting.unwrap_or_else(|| "hello".to_owned()))
            },
        )
        .try_function(
            "test.checked_div",
            ["a", "b"],
            |a: i64, b: i64| async move {
                a.checked_div(b)
                    .ok_or_else(|| "division by zero".to_owned())
            },
        )
}
pub mod raw;
