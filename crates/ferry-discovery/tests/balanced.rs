//! The balanced client end to end: real ferry servers on 127.0.0.1, listed by a static list.
//! Consistent hashing, re-sends by the idempotency rule within the retry budget, refusals,
//! ejection and probes, generated stubs over it, and a service with no instance.
//!
//! Each test server knows its index: `node.work` answers it (or `unavailable`, or `internal`,
//! as the test sets), and counts its runs, so a test can tell who answered and how many
//! times a call was sent.

use std::{
    sync::{
        atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use ferry::{CallError, CallOptions, Router, Server, ServerConfig, ShutdownHandle, Status};
use ferry_discovery::{
    Balanced, BalancedConfig, Balancer, Endpoint, EndpointFigures, Policy, StaticList,
};
use serde_json::json;
use tokio::{net::TcpListener, task::JoinHandle};

/// A server of the tests.
#[ferry::service]
pub trait Node {
    /// The index of the server that ran it, or the failure the server was set to answer.
    async fn work(&self) -> Result<u32, CallError>;
    /// The same, idempotent.
    #[ferry(idempotent)]
    async fn work_idempotent(&self) -> Result<u32, CallError>;
    /// Sleeps `ms`, then answers as `work` does.
    async fn nap(&self, ms: u64) -> Result<u32, CallError>;
    /// The same, idempotent.
    #[ferry(idempotent)]
    async fn nap_idempotent(&self, ms: u64) -> Result<u32, CallError>;
}

/// What `work` answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum Answer {
    Index = 0,
    Unavailable = 1,
    Internal = 2,
}

/// One server's index, what it answers and how many calls it ran.
#[derive(Debug)]
struct State {
    index: u32,
    answer: AtomicU8,
    /// Whether `nap` sleeps: a server that takes a re-sent nap answers at once.
    naps: AtomicBool,
    runs: AtomicU64,
}

impl State {
    fn new(index: u32) -> Arc<State> {
        Arc::new(State {
            index,
            answer: AtomicU8::new(Answer::Index as u8),
            naps: AtomicBool::new(true),
            runs: AtomicU64::new(0),
        })
    }

    fn answer(&self, answer: Answer) {
        self.answer.store(answer as u8, Ordering::SeqCst);
    }

    fn runs(&self) -> u64 {
        self.runs.load(Ordering::SeqCst)
    }

    fn reply(&self) -> Result<u32, CallError> {
        let index = self.index;
        match self.answer.load(Ordering::SeqCst) {
            0 => Ok(index),
            1 => Err(CallError::new(
                Status::Unavailable,
                format!("server {index} is unavailable"),
            )),
            _ => Err(CallError::new(
                Status::Internal,
                format!("server {index} failed"),
            )),
        }
    }
}

struct NodeImpl(Arc<State>);

impl Node for NodeImpl {
    async fn work(&self) -> Result<u32, CallError> {
        self.0.runs.fetch_add(1, Ordering::SeqCst);
        self.0.reply()
    }

    async fn work_idempotent(&self) -> Result<u32, CallError> {
        self.work().await
    }

    async fn nap(&self, ms: u64) -> Result<u32, CallError> {
        self.0.runs.fetch_add(1, Ordering::SeqCst);
        if self.0.naps.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(ms)).await;
        }
        self.0.reply()
    }

    async fn nap_idempotent(&self, ms: u64) -> Result<u32, CallError> {
        self.nap(ms).await
    }
}

fn router(state: &Arc<State>) -> Router {
    Router::new().service(NodeServer::new(NodeImpl(state.clone())))
}

/// A server running on this test's runtime.
struct TestServer {
    address: String,
    state: Arc<State>,
    shutdown: ShutdownHandle,
    task: JoinHandle<std::io::Result<()>>,
}

impl TestServer {
    async fn start(index: u32) -> TestServer {
        TestServer::start_on("127.0.0.1:0", index, ServerConfig::default()).await
    }

    async fn start_on(address: &str, index: u32, config: ServerConfig) -> TestServer {
        let state = State::new(index);
        let server = Server::bind_with(address, router(&state), config)
            .await
            .expect("bind");
        TestServer {
            address: server.local_address().to_string(),
            state,
            shutdown: server.shutdown_handle(),
            task: tokio::spawn(server.run()),
        }
    }

    /// Shuts down and waits until it stopped: its port is closed from then on.
    async fn stop(self) {
        self.shutdown.shutdown();
        let stopped = tokio::time::timeout(Duration::from_secs(20), self.task).await;
        stopped.expect("stops").expect("task").expect("run");
    }

    fn runs(&self) -> u64 {
        self.state.runs()
    }
}

async fn start_many(count: u32) -> Vec<TestServer> {
    let mut servers = Vec::new();
    for index in 0..count {
        servers.push(TestServer::start(index).await);
    }
    servers
}

/// A server on a runtime and thread of its own, which [`Killable::kill`] drops whole: its
/// listener and every connection close at once, with calls still running, as when its
/// process is killed.
struct Killable {
    address: String,
    state: Arc<State>,
    kill: tokio::sync::oneshot::Sender<()>,
    thread: std::thread::JoinHandle<()>,
}

impl Killable {
    fn start(index: u32) -> Killable {
        let state = State::new(index);
        let (bound, address) = std::sync::mpsc::channel();
        let (kill, killed) = tokio::sync::oneshot::channel::<()>();
        let served = state.clone();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let server = Server::bind("127.0.0.1:0", router(&served))
                    .await
                    .expect("bind");
                bound.send(server.local_address().to_string()).unwrap();
                tokio::spawn(server.run());
                let _ = killed.await;
            });
            // Dropping the runtime drops every task: the server's and its connections'.
            drop(runtime);
        });
        Killable {
            address: address.recv().expect("the server bound"),
            state,
            kill,
            thread,
        }
    }

    async fn kill(self) {
        let _ = self.kill.send(());
        tokio::task::spawn_blocking(move || self.thread.join().expect("server thread"))
            .await
            .unwrap();
    }
}

/// Picks the endpoint at the address it is set to, when usable; the first one otherwise. A
/// re-send goes to the next untried one, as for every balancer.
#[derive(Debug, Default)]
struct Prefer(Mutex<String>);

impl Prefer {
    fn new(address: &str) -> Arc<Prefer> {
        Arc::new(Prefer(Mutex::new(address.to_owned())))
    }
}

impl Balancer for Prefer {
    fn pick(&self, usable: &[Arc<Endpoint>], _key: Option<u64>) -> usize {
        let preferred = self.0.lock().unwrap();
        usable
            .iter()
            .position(|endpoint| endpoint.address() == *preferred)
            .unwrap_or(0)
    }
}

fn balanced_over(addresses: &[&str], config: BalancedConfig) -> Balanced {
    let name = addresses.join(",");
    let list = StaticList::of_addresses(addresses.iter().copied());
    Balanced::new(name, list, config)
}

fn balanced(servers: &[&TestServer], policy: Policy) -> Balanced {
    let addresses: Vec<&str> = servers.iter().map(|s| s.address.as_str()).collect();
    balanced_over(&addresses, BalancedConfig::default().policy(policy))
}

fn figures_of(balanced: &Balanced, address: &str) -> EndpointFigures {
    balanced
        .figures()
        .into_iter()
        .find(|figures| figures.address == address)
        .unwrap_or_else(|| panic!("no figures for {address}"))
}

fn status_of<T: std::fmt::Debug>(outcome: &Result<T, CallError>) -> Status {
    match outcome {
        Err(err) => err.status(),
        Ok(value) => panic!("expected a failure, got {value:?}"),
    }
}

/// Waits (bounded) until `state` ran `runs` calls.
async fn wait_for_runs(state: &State, runs: u64) {
    for _ in 0..500 {
        if state.runs() >= runs {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!(
        "server {} ran {} calls, not {runs}",
        state.index,
        state.runs()
    );
}

/// A listener that takes connections and closes them at once, counting them: on a port whose
/// server stopped, it shows whether the balanced client still tries that address.
async fn count_connections(address: &str) -> Arc<AtomicU64> {
    let listener = TcpListener::bind(address)
        .await
        .expect("bind the port again");
    let accepted = Arc::new(AtomicU64::new(0));
    let counted = accepted.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            drop(socket);
        }
    });
    accepted
}

/// 1. A key reaches the same server every time, by the handle's key or the call's; a balanced
///    client over one server fewer moves only the removed server's keys.
#[tokio::test]
async fn a_key_keeps_its_server_and_a_removal_moves_only_the_removed_ones_keys() {
    let servers = start_many(3).await;
    let all = balanced(&servers.iter().collect::<Vec<_>>(), Policy::Hash);
    let client = all.client();
    let mut owners = Vec::new();
    for key in 0..200 {
        let key = format!("user-{key}");
        let by_handle = NodeClient::new(client.with_hash_key(&key)).work().await;
        let by_call: u32 = client
            .call("node.work", &json!({}), &CallOptions::new().hash_key(&key))
            .await
            .unwrap();
        assert_eq!(by_handle.unwrap(), by_call, "{key}");
        owners.push(by_call);
    }
    let shares: Vec<usize> = (0..3)
        .map(|index| owners.iter().filter(|&&owner| owner == index).count())
        .collect();
    assert!(shares.iter().all(|&share| share > 30), "{shares:?}");
    assert_eq!(servers.iter().map(TestServer::runs).sum::<u64>(), 400);

    let survivors = balanced(&[&servers[1], &servers[2]], Policy::Hash);
    let client = survivors.client();
    let mut moved = 0;
    for (key, &owner) in owners.iter().enumerate() {
        let key = format!("user-{key}");
        let now = NodeClient::new(client.with_hash_key(&key))
            .work()
            .await
            .unwrap();
        if owner == 0 {
            moved += 1;
        } else {
            assert_eq!(now, owner, "{key} moved off a server that stayed");
        }
    }
    eprintln!("hash: shares over 3 {shares:?}; {moved} of 200 keys moved when server 0 left");
    assert_eq!(moved, shares[0]);
    assert!(moved <= 100, "{moved} of 200 keys moved");
}

/// 2. Every instance answering `unavailable` to an idempotent method: re-sends happen, but no
///    more than the retry budget allows; a method that is not idempotent is never re-sent.
#[tokio::test]
async fn unavailable_everywhere_is_resent_only_within_the_retry_budget() {
    const CALLS: u64 = 300;
    let servers = start_many(3).await;
    for server in &servers {
        server.state.answer(Answer::Unavailable);
    }
    let balanced = balanced(&servers.iter().collect::<Vec<_>>(), Policy::RoundRobin);
    let node = NodeClient::new(balanced.client());
    let started = std::time::Instant::now();
    for _ in 0..CALLS {
        assert_eq!(
            status_of(&node.work_idempotent().await),
            Status::Unavailable
        );
    }
    let seconds = started.elapsed().as_secs();
    let runs: u64 = servers.iter().map(TestServer::runs).sum();
    let resent = runs - CALLS;
    let allowed = 0.2 * CALLS as f64 + 10.0 * (seconds + 1) as f64;
    eprintln!(
        "budget: {CALLS} calls, {runs} runs, {resent} re-sent in {seconds} s; {allowed} allowed"
    );
    assert!(resent > 0, "nothing was re-sent");
    assert!(
        resent as f64 <= allowed,
        "{resent} re-sent, more than the {allowed} the budget allows"
    );

    let before = runs;
    for _ in 0..CALLS {
        assert_eq!(status_of(&node.work().await), Status::Unavailable);
    }
    let runs: u64 = servers.iter().map(TestServer::runs).sum();
    assert_eq!(
        runs - before,
        CALLS,
        "a call that is not idempotent was re-sent"
    );
}

/// 3. A server killed in the middle of a call: a call that is not idempotent fails
///    `unavailable` and is not sent again; an idempotent one is answered by another server.
#[tokio::test]
async fn a_call_lost_with_its_server_is_resent_only_when_idempotent() {
    let other = TestServer::start(1).await;
    other.state.naps.store(false, Ordering::SeqCst);
    for idempotent in [false, true] {
        let doomed = Killable::start(0);
        let before = other.runs();
        let (balanced, call) = nap_on(&doomed.address, &other.address, idempotent);
        wait_for_runs(&doomed.state, 1).await;
        let state = doomed.state.clone();
        let doomed_address = doomed.address.clone();
        doomed.kill().await;
        let outcome = call.await.unwrap();
        assert_eq!(state.runs(), 1);
        let figures = figures_of(&balanced, &doomed_address);
        assert!(figures.ejected_until.is_some(), "{figures:?}");
        assert_resent_only_when_idempotent(outcome, idempotent, other.runs() - before);
    }
}

/// A long nap sent to `doomed` first, over a client that falls back to `other`.
fn nap_on(
    doomed: &str,
    other: &str,
    idempotent: bool,
) -> (
    Balanced,
    tokio::task::JoinHandle<Result<u32, ferry::CallError>>,
) {
    let config = BalancedConfig::default().balancer(Prefer::new(doomed));
    let balanced = balanced_over(&[doomed, other], config);
    let node = NodeClient::new(balanced.client());
    let call = tokio::spawn(async move {
        if idempotent {
            node.nap_idempotent(60_000).await
        } else {
            node.nap(60_000).await
        }
    });
    (balanced, call)
}

/// An idempotent call lost on its server was answered by the other one (which ran it once);
/// any other failed `unavailable`, and the other server never ran it.
fn assert_resent_only_when_idempotent(
    outcome: Result<u32, ferry::CallError>,
    idempotent: bool,
    other_runs: u64,
) {
    if idempotent {
        assert_eq!(outcome.unwrap(), 1, "answered by the other server");
        assert_eq!(other_runs, 1);
    } else {
        let err = outcome.unwrap_err();
        assert_eq!(err.status(), Status::Unavailable, "{err}");
        eprintln!("lost mid-call: {err}");
        assert_eq!(other_runs, 0, "a call that may have run was re-sent");
    }
}

/// 3b. The same when the server cuts its running calls off `unavailable` at the end of a drain
///     with no grace: an answer, so only an idempotent call is sent again.
#[tokio::test]
async fn a_call_cut_off_by_a_shutdown_is_resent_only_when_idempotent() {
    let other = TestServer::start(1).await;
    other.state.naps.store(false, Ordering::SeqCst);
    for idempotent in [false, true] {
        let config = ServerConfig::default().drain_timeout(Duration::ZERO);
        let doomed = TestServer::start_on("127.0.0.1:0", 0, config).await;
        let before = other.runs();
        let (_balanced, call) = nap_on(&doomed.address, &other.address, idempotent);
        wait_for_runs(&doomed.state, 1).await;
        let state = doomed.state.clone();
        doomed.stop().await;
        let outcome = call.await.unwrap();
        assert_eq!(state.runs(), 1);
        assert_resent_only_when_idempotent(outcome, idempotent, other.runs() - before);
    }
}

/// 4. A draining server takes no new call: one that is not idempotent goes to the other
///    server and is answered, while the call the draining one runs finishes there. Whether
///    the new call meets a REFUSED frame, the goaway or the closed port depends on which
///    frame crosses first; every run seen so far met the goaway or the port, which eject the
///    server. 4b forces a REFUSED frame.
#[tokio::test]
async fn a_call_a_draining_server_does_not_take_is_sent_to_another() {
    let draining = TestServer::start(0).await;
    let other = TestServer::start(1).await;
    let config = BalancedConfig::default().balancer(Prefer::new(&draining.address));
    let balanced = balanced_over(&[&draining.address, &other.address], config);
    let node = NodeClient::new(balanced.client());
    let running = tokio::spawn({
        let node = node.clone();
        async move { node.nap(1_000).await }
    });
    wait_for_runs(&draining.state, 1).await;
    draining.shutdown.shutdown();
    assert_eq!(
        node.work().await.unwrap(),
        1,
        "answered by the other server"
    );
    assert_eq!(
        running.await.unwrap().unwrap(),
        0,
        "the running call finished"
    );
    assert_eq!((draining.runs(), other.runs()), (1, 1));
    let figures = figures_of(&balanced, &draining.address);
    eprintln!("draining: the draining server's figures after the refusal: {figures:?}");
    draining.stop().await;
}

/// 4b. A server over its limit of calls in flight refuses before dispatch, with a REFUSED
///     frame: a call that is not idempotent is sent to another server, and the refusal
///     counts as one failure, not an ejection.
#[tokio::test]
async fn a_call_refused_over_the_limit_is_sent_to_another() {
    let config = ServerConfig::default().max_in_flight(1);
    let full = TestServer::start_on("127.0.0.1:0", 0, config).await;
    let other = TestServer::start(1).await;
    let config = BalancedConfig::default().balancer(Prefer::new(&full.address));
    let balanced = balanced_over(&[&full.address, &other.address], config);
    let node = NodeClient::new(balanced.client());
    let running = tokio::spawn({
        let node = node.clone();
        async move { node.nap(500).await }
    });
    wait_for_runs(&full.state, 1).await;
    assert_eq!(
        node.work().await.unwrap(),
        1,
        "answered by the other server"
    );
    assert_eq!(running.await.unwrap().unwrap(), 0);
    assert_eq!((full.runs(), other.runs()), (1, 1));
    let figures = figures_of(&balanced, &full.address);
    assert_eq!(figures.ejected_until, None, "{figures:?}");
    assert_eq!(
        node.work().await.unwrap(),
        0,
        "the full server takes calls again"
    );
}

/// 5. A stopped server is ejected at its first refused connection and tried no more; calls
///    all succeed. With two of three ejected, calls go to all three again.
#[tokio::test]
async fn a_stopped_server_is_ejected_at_once_and_tried_no_more() {
    let mut servers = start_many(3).await;
    let all: Vec<String> = servers.iter().map(|s| s.address.clone()).collect();
    let addresses: Vec<&str> = all.iter().map(String::as_str).collect();
    let config = BalancedConfig::default().policy(Policy::RoundRobin);
    let balanced = balanced_over(&addresses, config);
    let node = NodeClient::new(balanced.client());
    let stopped = servers.remove(0);
    let stopped_address = stopped.address.clone();
    stopped.stop().await;

    for _ in 0..30 {
        let index = node.work().await.unwrap();
        assert_ne!(index, 0);
    }
    let figures = figures_of(&balanced, &stopped_address);
    assert!(figures.ejected_until.is_some(), "{figures:?}");
    assert_eq!(figures.ejections, 1);
    assert_eq!(servers.iter().map(TestServer::runs).sum::<u64>(), 30);

    // Anything connecting to the stopped server's port from now on is counted.
    let connections = count_connections(&stopped_address).await;
    for _ in 0..30 {
        assert_ne!(node.work().await.unwrap(), 0);
    }
    assert_eq!(
        connections.load(Ordering::SeqCst),
        0,
        "an ejected server was tried"
    );
    assert_eq!(servers.iter().map(TestServer::runs).sum::<u64>(), 60);

    // A second one stops: two of three are ejected, so all three take calls again.
    let second = servers.remove(0);
    let (second_address, second_runs) = (second.address.clone(), second.runs());
    second.stop().await;
    let live = &servers[0];
    let live_before = live.runs();
    let (answered, failed) = tally(&node, 30, |index| index == 2, Status::Unavailable).await;
    let figures = balanced.figures();
    eprintln!(
        "ejection: with two of three ejected, {answered} answered, {failed} failed, {} \
         connections reached the first stopped port; {figures:?}",
        connections.load(Ordering::SeqCst)
    );
    assert!(figures_of(&balanced, &second_address)
        .ejected_until
        .is_some());
    assert_eq!(
        figures.iter().filter(|f| f.ejected_until.is_some()).count(),
        2
    );
    assert_eq!(second_runs + live_before, 60);
    assert_eq!(live.runs() - live_before, answered);
    assert!(answered > 0, "no call reached the live server");
    assert!(
        connections.load(Ordering::SeqCst) > 0,
        "the ejected servers took no attempt: the balancer is over none"
    );
}

/// Makes `calls` calls of `node.work`: how many were answered, each by a server `answering`
/// accepts, and how many failed, each with `failing`.
async fn tally(
    node: &NodeClient,
    calls: usize,
    answering: impl Fn(u32) -> bool,
    failing: Status,
) -> (u64, u64) {
    let (mut answered, mut failed) = (0, 0);
    for _ in 0..calls {
        match node.work().await {
            Ok(index) => {
                assert!(answering(index), "answered by server {index}");
                answered += 1;
            }
            Err(err) => {
                assert_eq!(err.status(), failing, "{err}");
                failed += 1;
            }
        }
    }
    (answered, failed)
}

/// 5b. Five `internal` answers in a row eject a server.
#[tokio::test]
async fn five_internal_answers_in_a_row_eject_a_server() {
    let servers = start_many(3).await;
    servers[0].state.answer(Answer::Internal);
    let balanced = balanced(&servers.iter().collect::<Vec<_>>(), Policy::RoundRobin);
    let node = NodeClient::new(balanced.client());
    let (answered, internal) = tally(&node, 30, |index| index != 0, Status::Internal).await;
    assert_eq!((answered, internal), (25, 5));
    assert_eq!(
        servers[0].runs(),
        5,
        "an internal answer was re-sent or not counted"
    );
    let figures = figures_of(&balanced, &servers[0].address);
    assert!(figures.ejected_until.is_some(), "{figures:?}");
    assert_eq!(figures.ejections, 1);
}

/// Three servers over round robin, the second stopped and ejected by the calls that found it
/// gone (every one of them answered by the others): the live two, the client, its stub, and
/// the stopped one's address.
async fn one_of_three_ejected() -> (Vec<TestServer>, Balanced, NodeClient, String) {
    let mut servers = start_many(3).await;
    let balanced = balanced(&servers.iter().collect::<Vec<_>>(), Policy::RoundRobin);
    let node = NodeClient::new(balanced.client());
    let gone = servers.remove(1);
    let address = gone.address.clone();
    gone.stop().await;
    for _ in 0..6 {
        assert_ne!(node.work().await.unwrap(), 1);
    }
    (servers, balanced, node, address)
}

/// 6. An ejected server that comes back on its port is probed at the end of its 30 s and takes
///    calls again. The clock is tokio's, paused: it jumps ahead whenever the runtime idles.
#[tokio::test(start_paused = true)]
async fn an_ejected_server_back_on_its_port_is_probed_and_takes_calls_again() {
    let (_servers, balanced, node, address) = one_of_three_ejected().await;
    let ejected = figures_of(&balanced, &address);
    let until = ejected.ejected_until.expect("ejected");
    let left = until - tokio::time::Instant::now();
    assert!(
        left > Duration::from_secs(29) && left <= Duration::from_secs(30),
        "{left:?}"
    );

    let back = TestServer::start_on(&address, 1, ServerConfig::default()).await;
    tokio::time::sleep(Duration::from_secs(20)).await;
    for _ in 0..6 {
        assert_ne!(node.work().await.unwrap(), 1, "taken back before its probe");
    }
    assert_eq!(back.runs(), 0);
    tokio::time::sleep(Duration::from_secs(12)).await;
    let figures = figures_of(&balanced, &address);
    assert_eq!(figures.ejected_until, None, "{figures:?}");
    assert_eq!(figures.ejections, 1);
    for _ in 0..30 {
        node.work().await.unwrap();
    }
    assert_eq!(back.runs(), 10, "round robin over three gives it a third");
}

/// 6b. One still down when its probe comes is ejected again, for 60 s.
#[tokio::test(start_paused = true)]
async fn a_server_still_down_at_its_probe_is_ejected_again_for_longer() {
    let (_servers, balanced, node, address) = one_of_three_ejected().await;
    let first = figures_of(&balanced, &address)
        .ejected_until
        .expect("ejected");
    tokio::time::sleep(Duration::from_secs(32)).await;
    let figures = figures_of(&balanced, &address);
    assert_eq!(figures.ejections, 2, "{figures:?}");
    let again = figures.ejected_until.expect("ejected again");
    let length = again - first;
    assert!(
        length >= Duration::from_secs(60) && length <= Duration::from_secs(62),
        "ejected again until {length:?} after the first ejection ended"
    );
    for _ in 0..6 {
        assert_ne!(node.work().await.unwrap(), 1);
    }
}

/// 7. A generated client stub over the balanced client calls through it unchanged.
#[tokio::test]
async fn a_generated_stub_calls_through_the_balanced_client() {
    let servers = start_many(3).await;
    let balanced = balanced(&servers.iter().collect::<Vec<_>>(), Policy::RoundRobin);
    let client = balanced.client();
    assert_eq!(client.address().to_string(), balanced_name(&servers));
    let node = NodeClient::new(client)
        .with_timeout(Some(Duration::from_secs(5)))
        .with_metadata("trace", "abc");
    let mut answered: Vec<u32> = Vec::new();
    for _ in 0..3 {
        answered.push(node.work().await.unwrap());
    }
    answered.sort_unstable();
    assert_eq!(answered, [0, 1, 2]);
    assert!(node.nap_idempotent(1).await.is_ok());
    let unknown = node
        .client()
        .call::<_, u32>("node.missing", &json!({}), &CallOptions::new())
        .await;
    assert!(
        matches!(&unknown, Err(err) if err.status() == Status::UnknownMethod),
        "{unknown:?}"
    );
}

/// A call the caller drops mid-attempt (a timeout around it) leaves no call counted in flight,
/// so least-in-flight does not steer away from that server for good.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_dropped_mid_attempt_is_no_longer_counted_in_flight() {
    let servers = start_many(1).await;
    let balanced = balanced(&servers.iter().collect::<Vec<_>>(), Policy::LeastInFlight);
    let node = NodeClient::new(balanced.client());
    let in_flight = || -> u32 { balanced.figures().iter().map(|f| f.in_flight).sum() };
    let napping = tokio::spawn({
        let node = node.clone();
        async move { node.nap(10_000).await }
    });
    let mut seen = false;
    for _ in 0..200 {
        if in_flight() == 1 {
            seen = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(seen, "the napping call was never counted in flight");
    napping.abort();
    let _ = napping.await;
    let dropped = tokio::time::timeout(Duration::from_millis(50), node.nap(10_000)).await;
    assert!(
        dropped.is_err(),
        "the second nap was dropped by its timeout"
    );
    assert_eq!(
        in_flight(),
        0,
        "calls dropped mid-attempt still counted in flight"
    );
    assert_eq!(node.work().await.unwrap(), 0);
    let figures = balanced.figures();
    assert_eq!(
        figures[0].answered, 1,
        "only the one call answered is counted: {figures:?}"
    );
}

fn balanced_name(servers: &[TestServer]) -> String {
    let addresses: Vec<&str> = servers.iter().map(|s| s.address.as_str()).collect();
    addresses.join(",")
}

/// 8. With no instance listed, a call fails `unavailable`, naming the service.
#[tokio::test]
async fn with_no_instance_a_call_fails_unavailable_naming_the_service() {
    let balanced = Balanced::new("nowhere", StaticList::new([]), BalancedConfig::default());
    let node = NodeClient::new(balanced.client());
    let err = node.work().await.unwrap_err();
    assert_eq!(err.status(), Status::Unavailable, "{err}");
    assert!(err.to_string().contains("node"), "{err}");
    assert!(balanced.figures().is_empty());
}
