//! How `ferry serve` spreads its work over threads: one work-stealing runtime, or one event loop
//! and one listener per thread on a shared port.

use std::{
    future::Future,
    sync::{mpsc, Arc},
    thread::JoinHandle,
};

use anyhow::{anyhow, Context as _};
use ferry::{Address, Server, ServerConfig, ShutdownHandle};
use ferry_discovery::etcd::Registration;
use tokio::{
    runtime::Runtime,
    signal::unix::{signal, Signal, SignalKind},
};

use crate::failure::Failure;

/// A server model: which runtimes serve, and how connections find them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Model {
    /// One tokio runtime whose N workers steal tasks from each other; with one thread, a single
    /// event loop.
    MultiThread,
    /// N threads, each with its own single-threaded runtime and its own listener on the port
    /// (SO_REUSEPORT): the kernel spreads connections among them, and a connection and its
    /// calls stay on one thread.
    ThreadPerCore,
}

/// Binds one server to an address with the given limits (reuse_port set when servers share it).
pub(crate) trait Bind:
    Fn(Address, ServerConfig) -> Self::Bound + Send + Sync + 'static
{
    /// The binding in progress.
    type Bound: Future<Output = Result<Server, Failure>>;
}

impl<B, F> Bind for B
where
    B: Fn(Address, ServerConfig) -> F + Send + Sync + 'static,
    F: Future<Output = Result<Server, Failure>>,
{
    type Bound = F;
}

/// What a server does once every thread listens: says so, and registers where callers find it.
/// The registration it returns is revoked first when a signal comes, before the servers drain,
/// so callers stop choosing this server before it says goaway.
pub(crate) trait Announce: FnOnce(&Address) -> Self::Registering {
    /// The registration in progress.
    type Registering: Future<Output = Result<Option<Registration>, Failure>>;
}

impl<A, F> Announce for A
where
    A: FnOnce(&Address) -> F,
    F: Future<Output = Result<Option<Registration>, Failure>>,
{
    type Registering = F;
}

/// Binds with `bind` (once, or once per thread), calls `announce` with the address once every
/// server listens, serves until SIGINT or SIGTERM, then revokes the registration and drains
/// every server.
pub(crate) fn serve(
    model: Model,
    threads: usize,
    listen: Address,
    bind: impl Bind,
    announce: impl Announce,
) -> Result<(), Failure> {
    match model {
        Model::MultiThread => multi_thread(threads, listen, bind, announce),
        Model::ThreadPerCore => thread_per_core(threads, listen, Arc::new(bind), announce),
    }
}

fn multi_thread(
    threads: usize,
    listen: Address,
    bind: impl Bind,
    announce: impl Announce,
) -> Result<(), Failure> {
    let runtime = if threads == 1 {
        single_threaded()?
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .enable_all()
            .build()
            .context("cannot start the tokio runtime")?
    };
    runtime.block_on(async {
        let server = bind(listen, ServerConfig::default()).await?;
        let signals = Signals::install()?;
        let handles = vec![server.shutdown_handle()];
        let registration = match announce(&server.local_address()).await {
            Ok(registration) => registration,
            Err(failure) => return stop(handles, server, failure).await,
        };
        serve_until_signal(server, signals, handles, registration).await
    })
}

fn thread_per_core<B: Bind>(
    threads: usize,
    listen: Address,
    bind: Arc<B>,
    announce: impl Announce,
) -> Result<(), Failure> {
    if threads > 1 && matches!(listen, Address::Unix(_)) {
        return Err(anyhow!(
            "--model thread-per-core with {threads} threads needs a TCP address: a Unix socket \
             has one listener (use --threads 1 or --model multi-thread)"
        )
        .into());
    }
    let config = ServerConfig::default().reuse_port(threads > 1);
    let mut others = Vec::new();
    let outcome = single_threaded()?.block_on(async {
        let first = bind(listen, config.clone()).await?;
        // With port 0 the first server picked the port; the others share it.
        let address = first.local_address();
        let mut handles = vec![first.shutdown_handle()];
        for index in 1..threads {
            match start_other(index, &bind, &address, &config) {
                Ok((handle, thread)) => {
                    handles.push(handle);
                    others.push(thread);
                }
                Err(failure) => {
                    handles.iter().for_each(ShutdownHandle::shutdown);
                    return Err(failure);
                }
            }
        }
        let signals = Signals::install()?;
        let registration = match announce(&address).await {
            Ok(registration) => registration,
            Err(failure) => return stop(handles, first, failure).await,
        };
        serve_until_signal(first, signals, handles, registration).await
    });
    let joined: Vec<_> = others.into_iter().map(join).collect();
    // Every thread is joined before the first failure is told.
    outcome.and(joined.into_iter().collect())
}

/// Starts thread `index` with its own runtime and server on `address`, once it is listening.
fn start_other<B: Bind>(
    index: usize,
    bind: &Arc<B>,
    address: &Address,
    config: &ServerConfig,
) -> Result<(ShutdownHandle, JoinHandle<Result<(), Failure>>), Failure> {
    let (bound, listening) = mpsc::sync_channel(1);
    let (bind, address, config) = (bind.clone(), address.clone(), config.clone());
    let thread = std::thread::Builder::new()
        .name(format!("ferry-serve-{index}"))
        .spawn(move || {
            single_threaded()?.block_on(async {
                let server = match bind(address, config).await {
                    Ok(server) => server,
                    Err(failure) => {
                        let _ = bound.send(None);
                        return Err(failure);
                    }
                };
                let _ = bound.send(Some(server.shutdown_handle()));
                server.run().await.context("the server failed")?;
                Ok(())
            })
        })
        .context("cannot start a serving thread")?;
    match listening.recv() {
        Ok(Some(handle)) => Ok((handle, thread)),
        // The thread could not bind (its failure says why) or died.
        _ => Err(join(thread)
            .err()
            .unwrap_or_else(|| anyhow!("a serving thread stopped before it listened").into())),
    }
}

fn join(thread: JoinHandle<Result<(), Failure>>) -> Result<(), Failure> {
    thread
        .join()
        .unwrap_or_else(|_| Err(anyhow!("a serving thread panicked").into()))
}

fn single_threaded() -> Result<Runtime, Failure> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the tokio runtime")?;
    Ok(runtime)
}

/// Serves `server` until a signal, then revokes `registration`, waits for watchers to see it,
/// shuts down every server in `all` and lets `server` drain. A server that stops on its own
/// revokes its registration too.
async fn serve_until_signal(
    server: Server,
    mut signals: Signals,
    all: Vec<ShutdownHandle>,
    registration: Option<Registration>,
) -> Result<(), Failure> {
    let mut serving = tokio::spawn(server.run());
    let joined = tokio::select! {
        joined = &mut serving => {
            leave(registration).await;
            joined
        }
        () = signals.recv() => {
            if leave(registration).await {
                tokio::time::sleep(WATCHERS_GRACE).await;
            }
            tracing::info!("signal received: draining");
            all.iter().for_each(ShutdownHandle::shutdown);
            serving.await
        }
    };
    joined
        .context("the server task failed")?
        .context("the server failed")?;
    Ok(())
}

/// How long a server that left etcd waits before it drains: callers watching see the keys go
/// within milliseconds on one network, and stop choosing it before it says goaway.
const WATCHERS_GRACE: std::time::Duration = std::time::Duration::from_millis(250);

/// Revokes `registration`, if any, so the server's keys go at once; true if there was one.
async fn leave(registration: Option<Registration>) -> bool {
    let Some(registration) = registration else {
        return false;
    };
    tracing::info!("leaving the registry");
    registration.revoke().await;
    true
}

/// Shuts down every server in `all` after the announcement failed, and lets `server` drain.
async fn stop(all: Vec<ShutdownHandle>, server: Server, failure: Failure) -> Result<(), Failure> {
    all.iter().for_each(ShutdownHandle::shutdown);
    let _ = server.run().await;
    Err(failure)
}

/// SIGINT and SIGTERM, listened for before the listening line is printed: a signal sent as soon
/// as it appears drains the servers instead of killing the process.
struct Signals {
    interrupt: Signal,
    terminate: Signal,
}

impl Signals {
    fn install() -> Result<Signals, Failure> {
        let install = |kind| signal(kind).context("cannot listen for signals");
        Ok(Signals {
            interrupt: install(SignalKind::interrupt())?,
            terminate: install(SignalKind::terminate())?,
        })
    }

    async fn recv(&mut self) {
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
    }
}
