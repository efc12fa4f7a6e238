//! `x-ferry-timeout` on XML-RPC, as on the other HTTP routes: the calls a request starts are
//! cut off when its time runs out, a `system.multicall`'s calls share the one deadline, and a
//! value that is not a number of seconds is refused.

mod common;

use common::local::LocalServer;
use ferry_http::HttpConfig;

/// A `methodCall` of `test.sleep(ms)`.
fn sleep(ms: u64) -> String {
    format!(
        "<?xml version='1.0'?><methodCall><methodName>test.sleep</methodName><params><param>\
         <value><int>{ms}</int></value></param></params></methodCall>"
    )
}

/// A `system.multicall` of `test.sleep(ms)` for each of `sleeps`.
fn multicall(sleeps: &[u64]) -> String {
    let calls: String = sleeps
        .iter()
        .map(|ms| {
            format!(
                "<value><struct><member><name>methodName</name><value><string>test.sleep\
                 </string></value></member><member><name>params</name><value><array><data>\
                 <value><int>{ms}</int></value></data></array></value></member></struct></value>"
            )
        })
        .collect();
    format!(
        "<?xml version='1.0'?><methodCall><methodName>system.multicall</methodName><params>\
         <param><value><array><data>{calls}</data></array></value></param></params></methodCall>"
    )
}

async fn post(server: &LocalServer, timeout: &str, body: &str) -> (u16, String) {
    let headers = [("content-type", "text/xml"), ("x-ferry-timeout", timeout)];
    let response = server
        .request("POST", "/RPC2", &headers, body.as_bytes())
        .await;
    (response.status, response.text())
}

/// On tokio's paused clock: the 10 s call is cut off without waiting even its 0.2 s.
#[tokio::test(start_paused = true)]
async fn the_timeout_cuts_an_xmlrpc_call_off_with_fault_32003() {
    let server = LocalServer::start(HttpConfig::default()).await;
    let (status, answer) = post(&server, "0.2", &sleep(10_000)).await;
    assert_eq!(status, 200);
    assert!(answer.contains("<fault>"), "{answer}");
    assert!(answer.contains("<int>-32003</int>"), "{answer}");
    assert!(answer.contains("200ms deadline"), "{answer}");
    let (_, in_time) = post(&server, "20", &sleep(5)).await;
    assert!(
        in_time.contains("<int>5</int>") && !in_time.contains("<fault>"),
        "{in_time}"
    );
    server.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_multicall_shares_one_deadline() {
    let server = LocalServer::start(HttpConfig::default()).await;
    let (status, answer) = post(&server, "0.2", &multicall(&[150, 150, 1])).await;
    assert_eq!(status, 200);
    let faults = answer.matches("<int>-32003</int>").count();
    assert_eq!(
        faults, 2,
        "the first call fits, the second and third do not: {answer}"
    );
    assert!(answer.contains("<int>150</int>"), "{answer}");
    server.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_timeout_that_is_not_seconds_is_refused() {
    let server = LocalServer::start(HttpConfig::default()).await;
    for nonsense in ["soon", "0", "-1"] {
        let (status, answer) = post(&server, nonsense, &sleep(1)).await;
        assert_eq!(status, 400, "{nonsense}: {answer}");
        assert!(
            answer.contains("x-ferry-timeout must be a positive number"),
            "{answer}"
        );
    }
    server.stop().await;
}
