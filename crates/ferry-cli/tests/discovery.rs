//! Discovery end to end: a real etcd on free ports, real `ferry serve` processes registered in
//! it, and an in-process balanced client (under the generated `CalcClient`) keeping calls in
//! flight while servers are killed, stopped and started and etcd goes away.
//!
//! Each scenario asserts counts and states (no call failed, who answered, which keys etcd
//! holds) and prints the figures the docs quote: run with `--nocapture` to read them.

mod common;
#[path = "../../ferry-discovery/tests/common/etcd.rs"]
mod etcd;

use std::{
    collections::{BTreeMap, BTreeSet},
    future::Future,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use common::{ferry, stderr, stdout, Served};
use etcd::EtcdServer;
use ferry_demo::CalcClient;
use ferry_discovery::{Balanced, BalancedConfig, Target};
use serde_json::Value;
use tokio::task::JoinHandle;

/// The servers' lease TTL, in seconds.
const TTL: u64 = 2;
/// Load tasks, each making one call after another.
const TASKS: usize = 8;
/// The bound of every poll: a state the test waits for that has not come by then fails it.
const PATIENCE: Duration = Duration::from_secs(TTL + 5);

/// One scenario at a time: each has its own etcd and servers, and the figures it prints should
/// be its own, not those of a machine running five scenarios at once.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The method the load calls.
#[derive(Debug, Clone, Copy)]
enum Method {
    /// `calc.divide`, idempotent: re-sent when its connection is lost.
    Divide,
    /// `calc.add`, not idempotent: re-sent only when the server cannot have run it.
    Add,
}

/// One call of the load.
struct Sample {
    started: Instant,
    took: Duration,
    /// Why it failed, or what wrong answer it got; `None` when it got its answer.
    failure: Option<String>,
}

/// `TASKS` tasks calling `method` in a loop, each call's answer checked, until finished.
struct Load {
    stop: Arc<AtomicBool>,
    tasks: Vec<JoinHandle<Vec<Sample>>>,
}

impl Load {
    fn start(calc: &CalcClient, method: Method) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let tasks = (0..TASKS as i64)
            .map(|task| {
                let (calc, stop) = (calc.clone(), stop.clone());
                tokio::spawn(async move {
                    let mut samples = Vec::new();
                    let mut n = task * 1_000_000_000;
                    while !stop.load(Ordering::Relaxed) {
                        n += 1;
                        let started = Instant::now();
                        let failure = call(&calc, method, n).await;
                        let took = started.elapsed();
                        samples.push(Sample {
                            started,
                            took,
                            failure,
                        });
                    }
                    samples
                })
            })
            .collect();
        Load { stop, tasks }
    }

    /// Stops the tasks after their current call, and every call they made.
    async fn finish(self) -> Vec<Sample> {
        self.stop.store(true, Ordering::Relaxed);
        let mut samples = Vec::new();
        for task in self.tasks {
            samples.extend(task.await.expect("a load task panicked"));
        }
        samples.sort_by_key(|sample| sample.started);
        samples
    }
}

/// One call whose answer is known: `None` when it came.
async fn call(calc: &CalcClient, method: Method, n: i64) -> Option<String> {
    match method {
        Method::Divide => match calc.divide(2.0 * n as f64, 2.0).await {
            Ok(quotient) if quotient == n as f64 => None,
            Ok(quotient) => Some(format!("divide({}, 2) answered {quotient}", 2 * n)),
            Err(err) => Some(format!("divide: {err}")),
        },
        Method::Add => match calc.add(n, 1).await {
            Ok(sum) if sum == n + 1 => None,
            Ok(sum) => Some(format!("add({n}, 1) answered {sum}")),
            Err(err) => Some(format!("add: {err}")),
        },
    }
}

/// What the balanced client's figures say of each instance: they keep counting an instance the
/// registry dropped, so a killed or stopped server's calls still show.
#[derive(Clone, Copy)]
struct Answered;

impl Answered {
    /// Answered per address so far.
    fn now(self, balanced: &Balanced) -> BTreeMap<String, u64> {
        let figures = balanced.figures().into_iter();
        figures
            .map(|figures| (figures.address, figures.answered))
            .collect()
    }

    fn of(self, balanced: &Balanced, address: &str) -> u64 {
        self.now(balanced).get(address).copied().unwrap_or(0)
    }

    fn ejections(self, balanced: &Balanced) -> u32 {
        balanced
            .figures()
            .iter()
            .map(|figures| figures.ejections)
            .sum()
    }
}

/// A balanced client over the servers registered in `etcd`.
fn over_etcd(etcd: &EtcdServer) -> Balanced {
    over(&format!("etcd://{}", etcd.endpoint()))
}

/// A balanced client over `address`, a list or an etcd:// address.
fn over(address: &str) -> Balanced {
    let target = Target::parse(address).expect("the address parses");
    assert!(target.is_many(), "{address} names many servers");
    Balanced::new(address, target.registry(), BalancedConfig::default())
}

/// `count` servers registered in `etcd`.
fn registered(etcd: &EtcdServer, count: usize) -> Vec<Served> {
    (0..count)
        .map(|_| Served::registered(&etcd.endpoint(), TTL))
        .collect()
}

fn addresses(servers: &[Served]) -> BTreeSet<String> {
    servers
        .iter()
        .map(|served| served.address.clone())
        .collect()
}

/// Runs blocking work (a process to wait for, etcd starting) without stalling the tasks of
/// the load on this worker thread.
fn blocking<T>(work: impl FnOnce() -> T) -> T {
    tokio::task::block_in_place(work)
}

/// Polls `done` every 50 ms until it gives a value, failing the test saying `what` if
/// [`PATIENCE`] passes first.
async fn until<T, F: Future<Output = Option<T>>>(what: &str, mut done: impl FnMut() -> F) -> T {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(value) = done().await {
            return value;
        }
        assert!(Instant::now() < deadline, "{what}: not within {PATIENCE:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The addresses etcd lists for any service now.
async fn listed(etcd: &str) -> BTreeSet<String> {
    let target = Target::parse(&format!("etcd://{etcd}")).expect("the address parses");
    let listed = target.registry().list(None).await.expect("etcd lists");
    listed.into_iter().map(|one| one.instance.address).collect()
}

/// `ferry instances etcd://ENDPOINT --json`, parsed.
fn instances_json(etcd: &str) -> Vec<Value> {
    let output = ferry(&["instances", &format!("etcd://{etcd}"), "--json"]);
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    let array: Value = serde_json::from_str(&stdout(&output)).expect("--json prints JSON");
    array.as_array().expect("--json prints an array").clone()
}

fn json_addresses(array: &[Value]) -> BTreeSet<String> {
    let address = |one: &Value| one["address"].as_str().expect("an address").to_owned();
    array.iter().map(address).collect()
}

/// The `q` quantile of `took`, in microseconds; 0 when empty.
fn quantile_us(mut took: Vec<Duration>, q: f64) -> u128 {
    if took.is_empty() {
        return 0;
    }
    took.sort();
    let rank = ((q * took.len() as f64).ceil() as usize).clamp(1, took.len());
    took[rank - 1].as_micros()
}

/// Calls the balanced client has in flight on `address` now.
fn in_flight(balanced: &Balanced, address: &str) -> u32 {
    let figures = balanced.figures().into_iter();
    figures
        .filter(|figures| figures.address == address)
        .map(|figures| figures.in_flight)
        .sum()
}

/// Asserts that every call got its answer, and prints the scenario's figures: calls, errors,
/// answered over the figures less the calls, and latencies overall and of the calls started in
/// the second after `event`.
///
/// Answered less calls counts the attempts answered beyond one per call (a re-send after an
/// `unavailable` answer); an attempt lost with its connection is answered by no one, so a
/// re-send after a kill shows in `resent` (the balanced client's count) instead.
fn check_and_print(
    scenario: &str,
    samples: &[Sample],
    answered: &BTreeMap<String, u64>,
    ejections: u32,
    resent: u64,
    event: Option<(&str, Instant)>,
) {
    let failures: Vec<&str> = samples
        .iter()
        .filter_map(|sample| sample.failure.as_deref())
        .collect();
    let calls = samples.len() as u64;
    let sum: u64 = answered.values().sum();
    let all: Vec<Duration> = samples.iter().map(|sample| sample.took).collect();
    println!(
        "figures {scenario}: calls {calls}, errors {}, answered over figures {sum} \
         (answered - calls = {:+}), re-sent {resent}, ejections {ejections}, p50 {} us, \
         p99 {} us, max {} us",
        failures.len(),
        sum as i64 - calls as i64,
        quantile_us(all.clone(), 0.5),
        quantile_us(all.clone(), 0.99),
        quantile_us(all, 1.0),
    );
    println!("figures {scenario}: answered by instance {answered:?}");
    if let Some((what, at)) = event {
        let after: Vec<Duration> = samples
            .iter()
            .filter(|sample| sample.started >= at && sample.started < at + Duration::from_secs(1))
            .map(|sample| sample.took)
            .collect();
        let across = samples
            .iter()
            .filter(|sample| sample.started < at && sample.started + sample.took > at)
            .map(|sample| sample.took)
            .max()
            .unwrap_or_default();
        println!(
            "figures {scenario}: in the second after the {what}: {} calls, p99 {} us, max {} us; \
             the slowest call in flight at the {what} took {} us",
            after.len(),
            quantile_us(after.clone(), 0.99),
            quantile_us(after, 1.0),
            across.as_micros(),
        );
    }
    let distinct: BTreeSet<&str> = failures.iter().copied().collect();
    assert!(
        failures.is_empty(),
        "{scenario}: {} of {calls} calls failed: {distinct:?}",
        failures.len()
    );
    assert!(calls > 0, "{scenario}: the load made no call");
}

/// Waits until every address of `servers` answered a call of the load.
async fn until_all_answered(answered: &Answered, balanced: &Balanced, servers: &BTreeSet<String>) {
    until("every server answers calls", || {
        let now = answered.now(balanced);
        let all = servers
            .iter()
            .all(|address| now.get(address).is_some_and(|&count| count > 0));
        std::future::ready(all.then_some(()))
    })
    .await;
}

/// Asserts that each of `servers` answered more calls in `after` than in `before`.
fn assert_each_answered_more(
    what: &str,
    servers: &BTreeSet<String>,
    before: &BTreeMap<String, u64>,
    after: &BTreeMap<String, u64>,
) {
    for address in servers {
        let (was, is) = (before.get(address), after.get(address));
        assert!(
            is.unwrap_or(&0) > was.unwrap_or(&0),
            "{what}: {address} answered no call (was {was:?}, is {is:?})"
        );
    }
}

/// The SIGKILL scenario over any balanced client: three servers under idempotent load, one
/// killed; returns the samples, the figures and the killed server's address and kill time.
struct Killed {
    samples: Vec<Sample>,
    answered: BTreeMap<String, u64>,
    ejections: u32,
    victim: String,
    at: Instant,
    /// The two servers left, still serving.
    survivors: Vec<Served>,
    /// Calls in flight on the killed server just before the kill.
    in_flight: u32,
}

async fn kill_one_under_load(
    balanced: &Balanced,
    mut servers: Vec<Served>,
    after_kill: impl AsyncFnOnce(&str, Instant),
) -> Killed {
    let all = addresses(&servers);
    let calc = CalcClient::new(balanced.client());
    let answered = Answered;
    let load = Load::start(&calc, Method::Divide);
    until_all_answered(&answered, balanced, &all).await;
    tokio::time::sleep(Duration::from_millis(500)).await;

    let victim = servers.remove(0);
    let address = victim.address.clone();
    let before = answered.now(balanced);
    let in_flight = in_flight(balanced, &address);
    let at = Instant::now();
    blocking(|| victim.kill());
    after_kill(&address, at).await;
    let rest = Duration::from_secs(2).saturating_sub(at.elapsed());
    tokio::time::sleep(rest).await;
    let samples = load.finish().await;

    let after = answered.now(balanced);
    let survivors = addresses(&servers);
    assert_each_answered_more("after the kill", &survivors, &before, &after);
    let ejections = answered.ejections(balanced);
    Killed {
        samples,
        answered: after,
        ejections,
        victim: address,
        at,
        survivors: servers,
        in_flight,
    }
}

/// 1. A server killed (SIGKILL) while idempotent calls are in flight: every call gets its
/// one answer, and etcd lets the killed server's keys go with its lease.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_killed_server_loses_no_idempotent_call_and_its_keys_expire() {
    let _one = ONE_AT_A_TIME.lock().await;
    let etcd = blocking(EtcdServer::start);
    let servers = blocking(|| registered(&etcd, 3));
    let all = addresses(&servers);
    assert_eq!(listed(&etcd.endpoint()).await, all);
    let balanced = over_etcd(&etcd);
    let endpoint = etcd.endpoint();
    let gone = Arc::new(Mutex::new(None));
    let killed = kill_one_under_load(&balanced, servers, async |victim: &str, at: Instant| {
        let endpoint = &endpoint;
        let took = until("the killed server's keys leave etcd", move || async move {
            (!listed(endpoint).await.contains(victim)).then(|| at.elapsed())
        })
        .await;
        *gone.lock().unwrap() = Some(took);
    })
    .await;
    let gone = gone.lock().unwrap().expect("the keys went");
    println!(
        "figures sigkill-etcd: the killed server's keys left etcd {} ms after the kill (TTL {TTL} s)",
        gone.as_millis()
    );
    println!(
        "figures sigkill-etcd: {} calls in flight on the killed server just before the kill",
        killed.in_flight
    );
    check_and_print(
        "sigkill-etcd",
        &killed.samples,
        &killed.answered,
        killed.ejections,
        balanced.resent(),
        Some(("kill", killed.at)),
    );
    assert!(
        gone <= Duration::from_secs(TTL + 1),
        "the keys of {} stayed {gone:?} after the kill, past the TTL of {TTL} s + 1 s",
        killed.victim
    );
    let mut survivors = all;
    survivors.remove(&killed.victim);
    assert_eq!(survivors, addresses(&killed.survivors));
    assert_eq!(listed(&etcd.endpoint()).await, survivors);
}

/// 5. The same kill with a static list and no etcd at all.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_killed_server_of_a_static_list_loses_no_idempotent_call() {
    let _one = ONE_AT_A_TIME.lock().await;
    let servers: Vec<Served> = blocking(|| {
        (0..3)
            .map(|_| Served::tcp_with(&["--threads", "1"]))
            .collect()
    });
    let list: Vec<&str> = servers.iter().map(|s| s.address.as_str()).collect();
    let balanced = over(&list.join(","));
    let killed = kill_one_under_load(&balanced, servers, async |_: &str, _: Instant| {}).await;
    println!(
        "figures sigkill-static: {} calls in flight on the killed server just before the kill",
        killed.in_flight
    );
    check_and_print(
        "sigkill-static",
        &killed.samples,
        &killed.answered,
        killed.ejections,
        balanced.resent(),
        Some(("kill", killed.at)),
    );
}

/// 2. A server stopped (SIGTERM) while non-idempotent calls are in flight: it leaves etcd,
/// drains, and exits 0, and no call fails.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stopped_server_fails_no_call_and_exits_zero() {
    let _one = ONE_AT_A_TIME.lock().await;
    let etcd = blocking(EtcdServer::start);
    let mut servers = blocking(|| registered(&etcd, 3));
    let all = addresses(&servers);
    let balanced = over_etcd(&etcd);
    let calc = CalcClient::new(balanced.client());
    let answered = Answered;
    let load = Load::start(&calc, Method::Add);
    until_all_answered(&answered, &balanced, &all).await;
    tokio::time::sleep(Duration::from_millis(500)).await;

    let leaving = servers.remove(0);
    let address = leaving.address.clone();
    let before = answered.now(&balanced);
    let in_flight = in_flight(&balanced, &address);
    let at = Instant::now();
    let (status, rest) = blocking(|| leaving.stop());
    let stopped_in = at.elapsed();
    // Revoked on the way out, not left to expire: gone well within the TTL.
    let still_listed = listed(&etcd.endpoint()).await.contains(&address);
    tokio::time::sleep(Duration::from_secs(2).saturating_sub(at.elapsed())).await;
    let samples = load.finish().await;
    let after = answered.now(&balanced);

    println!(
        "figures sigterm: {in_flight} calls in flight on the server just before SIGTERM; it \
         exited ({status}) {} ms after it",
        stopped_in.as_millis()
    );
    check_and_print(
        "sigterm",
        &samples,
        &after,
        answered.ejections(&balanced),
        balanced.resent(),
        Some(("SIGTERM", at)),
    );
    assert!(status.success(), "{address} exited {status}: {rest}");
    assert!(
        !still_listed,
        "{address} left its keys in etcd as it stopped"
    );
    assert_each_answered_more("after the stop", &addresses(&servers), &before, &after);
}

/// 3. A server started while calls are in flight is found by the watch and takes calls.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_server_started_under_load_gets_calls() {
    let _one = ONE_AT_A_TIME.lock().await;
    let etcd = blocking(EtcdServer::start);
    let servers = blocking(|| registered(&etcd, 3));
    let balanced = over_etcd(&etcd);
    let calc = CalcClient::new(balanced.client());
    let answered = Answered;
    let load = Load::start(&calc, Method::Divide);
    until_all_answered(&answered, &balanced, &addresses(&servers)).await;

    let started = Instant::now();
    let newcomer = blocking(|| Served::registered(&etcd.endpoint(), TTL));
    let registered_in = started.elapsed();
    until("the new server answers calls", || {
        std::future::ready((answered.of(&balanced, &newcomer.address) > 0).then_some(()))
    })
    .await;
    let first_answer = started.elapsed();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let samples = load.finish().await;

    println!(
        "figures newcomer: registered {} ms after its start, first call answered after {} ms",
        registered_in.as_millis(),
        first_answer.as_millis()
    );
    check_and_print(
        "newcomer",
        &samples,
        &answered.now(&balanced),
        answered.ejections(&balanced),
        balanced.resent(),
        None,
    );
}

/// 4. etcd killed under load: calls go on to the servers known, and nothing changes; etcd back
/// with its data: the watch resumes; etcd back empty: every server registers again.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn calls_outlive_etcd_and_servers_register_again_in_a_fresh_one() {
    let _one = ONE_AT_A_TIME.lock().await;
    let mut etcd = blocking(EtcdServer::start);
    let endpoint = etcd.endpoint();
    let mut servers = blocking(|| registered(&etcd, 3));
    let three = addresses(&servers);
    let balanced = over_etcd(&etcd);
    let calc = CalcClient::new(balanced.client());
    let answered = Answered;
    let load = Load::start(&calc, Method::Add);
    until_all_answered(&answered, &balanced, &three).await;

    // etcd away for about 4 s (2.5 s, then its restart), longer than the lease TTL.
    let before = answered.now(&balanced);
    let killed = Instant::now();
    blocking(|| etcd.kill());
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let during = answered.now(&balanced);
    assert_each_answered_more("while etcd was away", &three, &before, &during);
    let known: BTreeSet<String> = balanced.figures().into_iter().map(|f| f.address).collect();
    assert_eq!(known, three, "the instances known while etcd was away");

    // etcd back with its data: the set is as it was, and the watch sees a newcomer.
    blocking(|| etcd.restart());
    let back = Instant::now();
    println!(
        "figures etcd-away: etcd was down {} ms",
        (back - killed).as_millis()
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after = answered.now(&balanced);
    assert_each_answered_more("after etcd came back", &three, &during, &after);
    assert_eq!(listed(&endpoint).await, three, "etcd lists the three again");
    let newcomer = blocking(|| Served::registered(&endpoint, TTL));
    until(
        "a server started after etcd's restart answers calls",
        || std::future::ready((answered.of(&balanced, &newcomer.address) > 0).then_some(())),
    )
    .await;
    println!(
        "figures etcd-away: a server started after the restart answered its first call {} ms \
         after etcd was back",
        back.elapsed().as_millis()
    );
    servers.push(newcomer);
    let four = addresses(&servers);

    // etcd back empty: every server puts its keys again, and each takes calls after.
    let before_fresh = answered.now(&balanced);
    blocking(|| etcd.restart_fresh());
    let fresh = Instant::now();
    let four = &four;
    until("every server registers again in the fresh etcd", || {
        let endpoint = endpoint.clone();
        async move {
            let array = tokio::task::spawn_blocking(move || instances_json(&endpoint))
                .await
                .expect("ferry instances ran");
            (json_addresses(&array) == *four).then_some(())
        }
    })
    .await;
    println!(
        "figures etcd-fresh: every server was listed again {} ms after etcd came back empty",
        fresh.elapsed().as_millis()
    );
    let four = addresses(&servers);
    until_all_answered(&answered, &balanced, &four).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let samples = load.finish().await;
    let end = answered.now(&balanced);
    assert_each_answered_more("after etcd came back empty", &four, &before_fresh, &end);
    let known: BTreeSet<String> = balanced.figures().into_iter().map(|f| f.address).collect();
    assert_eq!(known, four, "the instances known at the end");
    check_and_print(
        "etcd-away",
        &samples,
        &end,
        answered.ejections(&balanced),
        balanced.resent(),
        Some(("etcd kill", killed)),
    );
}

/// 6. What the commands print over etcd and over a list.
#[test]
fn instances_call_and_bench_over_etcd_and_a_list() {
    let _one = ONE_AT_A_TIME.blocking_lock();
    let etcd = EtcdServer::start();
    let servers = registered(&etcd, 3);
    let all = addresses(&servers);
    let address = format!("etcd://{}", etcd.endpoint());

    let output = ferry(&["instances", &address]);
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    let first = |line: &&str| line.split_whitespace().next().unwrap_or("").to_owned();
    assert_eq!(lines.iter().map(first).collect::<BTreeSet<_>>(), all);
    assert_eq!(lines.len(), 3, "one line per server: {text}");
    for line in &lines {
        for needle in ["weight 1", "version ", "answers"] {
            assert!(line.contains(needle), "{needle:?} not in {line:?}");
        }
        assert!(!line.contains("no answer"), "{line}");
    }

    let array = instances_json(&etcd.endpoint());
    assert_eq!(json_addresses(&array), all);
    for one in &array {
        assert_eq!(one["weight"], 1, "{one}");
        assert_eq!(one["version"], env!("CARGO_PKG_VERSION"), "{one}");
        let started = one["started_at"].as_str().expect("started_at is text");
        assert!(humantime::parse_rfc3339(started).is_ok(), "{one}");
        assert_eq!(one["answers"], true, "{one}");
    }

    let list: Vec<&str> = servers.iter().map(|s| s.address.as_str()).collect();
    let list = list.join(",");
    for target in [&address, &list] {
        let output = ferry(&["call", target, "calc.add", "2", "3"]);
        assert_eq!(
            (output.status.code(), stdout(&output)),
            (Some(0), "5\n".to_owned()),
            "ferry call {target}: {}",
            stderr(&output)
        );
    }

    let output = ferry(&[
        "bench",
        &address,
        "--conns",
        "2",
        "--inflight",
        "4",
        "--duration",
        "1",
        "--warmup",
        "0",
        "--json",
    ]);
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    let report: Value = serde_json::from_str(&stdout(&output)).expect("--json prints JSON");
    let calls = report["calls"].as_u64().expect("calls");
    let errors: u64 = report["errors"]
        .as_object()
        .expect("errors by status")
        .values()
        .map(|count| count.as_u64().expect("a count"))
        .sum();
    let by_instance = report["by_instance"].as_object().expect("by_instance");
    let spread: BTreeMap<String, u64> = by_instance
        .iter()
        .map(|(address, count)| (address.clone(), count.as_u64().expect("a count")))
        .collect();
    println!("figures bench: calls {calls}, errors {errors}, by_instance {spread:?}");
    assert_eq!(spread.keys().cloned().collect::<BTreeSet<_>>(), all);
    assert!(spread.values().all(|&count| count > 0), "{spread:?}");
    assert!(
        spread.values().sum::<u64>() >= calls - errors,
        "{spread:?} sums to less than the {} calls answered ok",
        calls - errors
    );
    assert_eq!(errors, 0, "{report}");
}
