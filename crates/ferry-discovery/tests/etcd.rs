//! The etcd registry and registration against a real etcd (Debian's `etcd-server`), each
//! test with an etcd of its own. Leases are 2 s, so the waits for a lease to run out are a
//! few seconds; every wait is a poll with a generous bound, never a bound on how fast.

mod common;

use std::{
    sync::{Arc, Mutex},
    time::{Duration, SystemTime},
};

use common::etcd::EtcdServer;
use etcd_client::{Client, CompactionOptions, GetOptions};
use ferry_discovery::{
    etcd::{key_of, EtcdRegistry, Registration, PREFIX},
    DiscoveryError, Instance, Instances, Registry,
};
use tokio::sync::watch;

const TTL: Duration = Duration::from_secs(2);
/// How long past the TTL a key may take to vanish or come back before the test fails: etcd
/// checks expiries every half second, and a loaded machine is slow.
const MARGIN: Duration = Duration::from_secs(5);
/// How long a watch may take to show a change.
const PATIENCE: Duration = Duration::from_secs(10);

/// A fresh etcd, with the crate's logs going to the test's output (shown when it fails).
fn start_etcd() -> EtcdServer {
    let _ = tracing_subscriber::fmt()
        .with_env_filter("ferry_discovery=debug")
        .with_test_writer()
        .try_init();
    EtcdServer::start()
}

async fn register(etcd: &EtcdServer, services: &[&str], address: &str) -> Registration {
    let services = services.iter().map(|s| s.to_string()).collect();
    Registration::start(vec![etcd.endpoint()], services, Instance::new(address), TTL)
        .await
        .expect("registering")
}

async fn client(etcd: &EtcdServer) -> Client {
    Client::connect([etcd.endpoint()], None)
        .await
        .expect("an etcd client")
}

/// The keys under `prefix` now, with their leases.
async fn keys(etcd: &EtcdServer, prefix: &str) -> Vec<(String, i64)> {
    let mut client = client(etcd).await;
    let options = GetOptions::new().with_prefix();
    let response = client.get(prefix, Some(options)).await.expect("a get");
    let pairs = response.kvs().iter();
    pairs
        .map(|kv| (kv.key_str().unwrap().to_owned(), kv.lease()))
        .collect()
}

/// Polls until `done` holds of the keys under `prefix`, for up to `within`.
async fn until_keys(
    etcd: &EtcdServer,
    prefix: &str,
    within: Duration,
    done: impl Fn(&[(String, i64)]) -> bool,
) -> Vec<(String, i64)> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let now = keys(etcd, prefix).await;
        if done(&now) {
            return now;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "after {within:?} the keys are still {now:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Polls `done` until it holds, failing after [`PATIENCE`] with `what` it waited for.
async fn until(done: impl Fn() -> bool, what: &str) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !done() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "not so after {PATIENCE:?}: {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn addresses(set: &Instances) -> Vec<String> {
    set.iter()
        .map(|instance| instance.address.clone())
        .collect()
}

/// Waits until the receiver holds exactly `want`, by address.
async fn until_set(receiver: &mut watch::Receiver<Instances>, want: &[&str]) {
    let waiting = receiver.wait_for(|set| addresses(set) == want);
    let outcome = tokio::time::timeout(PATIENCE, waiting)
        .await
        .map(|done| done.is_ok());
    match outcome {
        Ok(true) => {}
        Ok(false) => panic!("the resolve ended while waiting for {want:?}"),
        Err(_) => panic!(
            "after {PATIENCE:?} the set is {:?}, not {want:?}",
            addresses(&receiver.borrow())
        ),
    }
}

/// Records every set a receiver is given, from the one it holds now.
fn record(mut receiver: watch::Receiver<Instances>) -> Arc<Mutex<Vec<Vec<String>>>> {
    let seen = Arc::new(Mutex::new(vec![addresses(&receiver.borrow_and_update())]));
    let log = seen.clone();
    tokio::spawn(async move {
        while receiver.changed().await.is_ok() {
            let set = addresses(&receiver.borrow_and_update());
            log.lock().unwrap().push(set);
        }
    });
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registration_puts_a_key_per_service_under_a_lease_and_revoke_removes_them() {
    let etcd = start_etcd();
    let instance = Instance::new("127.0.0.1:7070")
        .described("1.2.3", SystemTime::now())
        .weight(3);
    let services = vec!["files".to_owned(), "echo".to_owned()];
    let registration = Registration::start(vec![etcd.endpoint()], services, instance, TTL)
        .await
        .unwrap();
    let want = [
        key_of("echo", "127.0.0.1:7070"),
        key_of("files", "127.0.0.1:7070"),
    ];
    assert_eq!(registration.keys(), want);
    assert_ne!(registration.lease_id(), 0);

    let mut client = client(&etcd).await;
    let listed = client
        .get(PREFIX, Some(GetOptions::new().with_prefix()))
        .await
        .unwrap();
    let names: Vec<&str> = listed
        .kvs()
        .iter()
        .map(|kv| kv.key_str().unwrap())
        .collect();
    assert_eq!(names, want);
    for kv in listed.kvs() {
        assert_eq!(kv.lease(), registration.lease_id());
        let value: serde_json::Value = serde_json::from_slice(kv.value()).unwrap();
        assert_eq!(value["address"], "127.0.0.1:7070");
        assert_eq!(value["weight"], 3);
        assert_eq!(value["version"], "1.2.3");
        let started_at = value["started_at"].as_str().unwrap();
        assert!(humantime::parse_rfc3339(started_at).is_ok(), "{started_at}");
    }

    registration.revoke().await;
    let left = keys(&etcd, PREFIX).await;
    assert!(left.is_empty(), "revoke deletes the keys at once: {left:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_registration_leaves_its_keys_to_expire_with_the_lease() {
    let etcd = start_etcd();
    let registration = register(&etcd, &["echo"], "127.0.0.1:7071").await;
    drop(registration);
    assert_eq!(
        keys(&etcd, PREFIX).await.len(),
        1,
        "no revoke: the key stays a while"
    );
    until_keys(&etcd, PREFIX, TTL + MARGIN, <[_]>::is_empty).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resolve_sees_instances_registered_and_revoked_later() {
    let etcd = start_etcd();
    let registry = EtcdRegistry::new(vec![etcd.endpoint()]);
    let other = register(&etcd, &["files"], "127.0.0.1:9000").await;
    let mut resolved = registry.resolve("echo").await.unwrap();
    assert!(
        resolved.borrow().is_empty(),
        "nothing of echo's is registered yet"
    );

    let b = register(&etcd, &["echo"], "127.0.0.1:7002").await;
    until_set(&mut resolved, &["127.0.0.1:7002"]).await;
    let a = register(&etcd, &["echo"], "127.0.0.1:7001").await;
    until_set(&mut resolved, &["127.0.0.1:7001", "127.0.0.1:7002"]).await;
    b.revoke().await;
    until_set(&mut resolved, &["127.0.0.1:7001"]).await;
    a.revoke().await;
    until_set(&mut resolved, &[]).await;
    drop(other);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_every_receiver_ends_the_watch() {
    let etcd = start_etcd();
    let registry = EtcdRegistry::new(vec![etcd.endpoint()]);
    let watches = || etcd.metric("etcd_debugging_mvcc_watcher_total");
    assert_eq!(watches(), Some(0.0));
    let resolved = registry.resolve("echo").await.unwrap();
    let copy = resolved.clone();
    until(|| watches() == Some(1.0), "the resolve's watch is open").await;
    drop(resolved);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(watches(), Some(1.0), "one receiver is left");
    drop(copy);
    until(|| watches() == Some(0.0), "the watch is closed").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_etcd_away_for_a_while_leaves_the_set_as_it_was_and_the_watch_resumes() {
    let mut etcd = start_etcd();
    let registry = EtcdRegistry::new(vec![etcd.endpoint()]);
    let _a = register(&etcd, &["echo"], "127.0.0.1:7001").await;
    let resolved = registry.resolve("echo").await.unwrap();
    let seen = record(resolved.clone());

    etcd.kill();
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(addresses(&resolved.borrow()), ["127.0.0.1:7001"]);

    etcd.restart();
    let _b = register(&etcd, &["echo"], "127.0.0.1:7002").await;
    let mut resolved = resolved;
    until_set(&mut resolved, &["127.0.0.1:7001", "127.0.0.1:7002"]).await;
    let seen = seen.lock().unwrap().clone();
    assert!(
        seen.iter().all(|set| !set.is_empty()),
        "an empty set was published: {seen:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_registration_puts_its_keys_again_in_a_fresh_etcd() {
    let mut etcd = start_etcd();
    let registration = register(&etcd, &["echo", "files"], "127.0.0.1:7001").await;
    etcd.restart_fresh();
    let back = until_keys(&etcd, PREFIX, TTL + MARGIN, |keys| keys.len() == 2).await;
    let names: Vec<&str> = back.iter().map(|(key, _)| key.as_str()).collect();
    assert_eq!(names, registration.keys());
    for (_, lease) in &back {
        assert_eq!(*lease, registration.lease_id(), "under the new lease");
    }
}

/// A watch that is up to date is not canceled by a compaction, so this one keeps delivering;
/// the resolver lists again when a watch starts behind a compaction, which a test cannot
/// bring about from outside. What this shows is that no change is lost across one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resolve_keeps_following_across_a_compaction() {
    let etcd = start_etcd();
    let registry = EtcdRegistry::new(vec![etcd.endpoint()]);
    let _a = register(&etcd, &["echo"], "127.0.0.1:7001").await;
    let mut resolved = registry.resolve("echo").await.unwrap();
    until_set(&mut resolved, &["127.0.0.1:7001"]).await;

    let mut client = client(&etcd).await;
    let status = client.status().await.unwrap();
    let revision = status.header().unwrap().revision();
    let physical = CompactionOptions::new().with_physical();
    client.compact(revision, Some(physical)).await.unwrap();

    let _b = register(&etcd, &["echo"], "127.0.0.1:7002").await;
    until_set(&mut resolved, &["127.0.0.1:7001", "127.0.0.1:7002"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_returns_every_services_instances_sorted() {
    let etcd = start_etcd();
    let registry = EtcdRegistry::new(vec![etcd.endpoint()]);
    let _y = register(&etcd, &["echo"], "127.0.0.1:7002").await;
    let _x = register(&etcd, &["files", "echo"], "127.0.0.1:7001").await;
    let mut client = client(&etcd).await;
    client
        .put(key_of("echo", "junk"), "not json", None)
        .await
        .unwrap();

    let listed = registry.list(None).await.unwrap();
    let pairs: Vec<(&str, &str)> = listed
        .iter()
        .map(|r| (r.service.as_str(), r.instance.address.as_str()))
        .collect();
    assert_eq!(
        pairs,
        [
            ("echo", "127.0.0.1:7001"),
            ("echo", "127.0.0.1:7002"),
            ("files", "127.0.0.1:7001")
        ]
    );
    let echo = registry.list(Some("echo")).await.unwrap();
    assert_eq!(echo, listed[..2]);
    assert!(registry.list(Some("nothing")).await.unwrap().is_empty());
    assert!(matches!(
        registry.list(Some("a/b")).await,
        Err(DiscoveryError::BadService(_))
    ));
}

#[tokio::test]
async fn an_etcd_that_is_not_there_fails_resolve_and_registration_clearly() {
    let nobody = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = nobody.local_addr().unwrap().to_string();
    drop(nobody);

    let registry = EtcdRegistry::new(vec![endpoint.clone()]);
    match registry.resolve("echo").await {
        Err(DiscoveryError::Etcd { endpoints, message }) => {
            assert_eq!(endpoints, endpoint);
            assert!(
                message.contains("listing /ferry/v1/services/echo/"),
                "{message}"
            );
        }
        other => panic!("{other:?}"),
    }
    let started = Registration::start(
        vec![endpoint.clone()],
        vec!["echo".to_owned()],
        Instance::new("127.0.0.1:7001"),
        TTL,
    )
    .await;
    match started {
        Err(DiscoveryError::Etcd { endpoints, message }) => {
            assert_eq!(endpoints, endpoint);
            assert!(message.contains("granting a lease"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}
