//! `ferry serve`'s pages as an operator reaches them: on the main port by default, moved to a
//! listener of their own by `--admin-listen`, and one set of figures for the whole process
//! when `--model thread-per-core` runs a server per thread.

mod common;

use std::process::Output;

use common::Served;

/// `curl -s -o /dev/null -w '%{http_code}' URL`: the HTTP status.
fn status_of(url: &str) -> u16 {
    let output = curl(&["-o", "/dev/null", "-w", "%{http_code}", url]);
    String::from_utf8_lossy(&output.stdout)
        .parse()
        .expect("a status code")
}

fn curl(args: &[&str]) -> Output {
    std::process::Command::new("curl")
        .args(["-sS", "--max-time", "30"])
        .args(args)
        .output()
        .unwrap_or_else(|err| panic!("curl is required: cannot run curl ({err})"))
}

fn body_of(url: &str) -> String {
    let output = curl(&[url]);
    assert!(output.status.success(), "curl {url}: {output:?}");
    String::from_utf8(output.stdout).expect("UTF-8")
}

const PAGES: [&str; 5] = ["/metrics", "/status", "/status.json", "/rpcz", "/rpcz.json"];

#[test]
fn the_pages_are_on_the_main_port_by_default() {
    let served = Served::tcp();
    for page in PAGES {
        assert_eq!(
            status_of(&format!("http://{}{page}", served.address)),
            200,
            "{page}"
        );
    }
}

#[test]
fn admin_listen_moves_the_pages_off_the_main_port() {
    let args = ["--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"];
    let (served, line) = Served::start_until(&args, |_, line| line.starts_with("ferry: pages on"));
    let admin = line
        .strip_prefix("ferry: pages on http://")
        .and_then(|rest| rest.split('/').next())
        .expect("the line names the pages' address")
        .to_owned();
    for page in PAGES {
        assert_eq!(
            status_of(&format!("http://{}{page}", served.address)),
            404,
            "{page} on the main port"
        );
        assert_eq!(
            status_of(&format!("http://{admin}{page}")),
            200,
            "{page} on --admin-listen"
        );
    }
    assert_eq!(status_of(&format!("http://{admin}/healthz")), 200);
    assert_eq!(
        status_of(&format!("http://{admin}/api/calc/add")),
        404,
        "only the pages"
    );
    let called = served.call(&["calc.add", "2", "3"]);
    assert!(called.status.success(), "{called:?}");
    let metrics = body_of(&format!("http://{admin}/metrics"));
    let add = r#"rpc_server_call_duration_seconds_count{rpc_service="calc",rpc_method="add",rpc_status="ok",dialect="native"} 1"#;
    assert!(
        metrics.contains(add),
        "the moved pages count the main port's calls"
    );
}

#[test]
fn servers_of_one_process_show_one_set_of_figures() {
    let served = Served::tcp_with(&["--model", "thread-per-core", "--threads", "2"]);
    let calls = 24;
    for i in 0..calls {
        let url = format!("http://{}/api/calc/add", served.address);
        let answer = body_of(&format!("{url}?a={i}&b=1"));
        assert_eq!(answer.trim(), (i + 1).to_string());
    }
    let want = format!(
        r#"rpc_server_call_duration_seconds_count{{rpc_service="calc",rpc_method="add",rpc_status="ok",dialect="rest"}} {calls}"#
    );
    // Each scrape is a new connection, which either server may take.
    for _ in 0..6 {
        let metrics = body_of(&format!("http://{}/metrics", served.address));
        assert!(metrics.contains(&want), "a scrape missed calls: {want}");
    }
}

#[test]
fn no_metrics_counts_nothing() {
    let served = Served::tcp_with(&["--no-metrics"]);
    assert!(served.call(&["calc.add", "2", "3"]).status.success());
    let metrics = body_of(&format!("http://{}/metrics", served.address));
    let add = r#"rpc_server_call_duration_seconds_count{rpc_service="calc",rpc_method="add",rpc_status="ok",dialect="native"} 0"#;
    assert!(metrics.contains(add), "a call was counted");
}

#[test]
fn above_a_thousand_calls_a_second_rpcz_keeps_a_sample_in_bounded_rings() {
    let served = Served::tcp();
    let address = served.address.clone();
    let load = std::thread::spawn(move || {
        let args = [
            "bench",
            &address,
            "--conns",
            "2",
            "--duration",
            "8",
            "--warmup",
            "0",
        ];
        common::ferry(&args)
    });
    let url = format!("http://{}/rpcz.json", served.address);
    let mut sampled = None;
    for _ in 0..150 {
        let rpcz: serde_json::Value = serde_json::from_str(&body_of(&url)).expect("JSON");
        if rpcz["sampling"]["keeping_one_in"].as_u64() > Some(1) {
            sampled = Some(rpcz);
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let output = load.join().expect("the load ends");
    assert!(output.status.success(), "{output:?}");
    let rpcz = sampled.expect("under load, one call in several is kept");
    let recent = rpcz["recent"].as_array().expect("recent calls").len();
    assert_eq!(
        recent,
        rpcz["sampling"]["recent_len"].as_u64().unwrap() as usize,
        "a full ring"
    );
    let slowest = rpcz["slowest"].as_array().expect("slowest calls").len();
    assert!(slowest <= 32, "{slowest} slowest kept");
}
