//! The length-prefixed JSON client against every server it compares: ferry's one port and the
//! three Python servers in bench/python, each a real process or socket on 127.0.0.1.

use std::{
    io::{BufRead, BufReader},
    net::SocketAddr,
    path::Path,
    process::{Child, Command, Stdio},
    time::Duration,
};

use ferry_load::{LoadConfig, Report};
use lpjson::LpJsonTarget;

/// A Python server process, killed when dropped so no test leaves one behind.
struct PythonServer {
    child: Child,
    address: SocketAddr,
}

impl PythonServer {
    fn start(script: &str) -> PythonServer {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../python")
            .join(script);
        let mut child = Command::new("python3")
            .arg(&path)
            .args(["--port", "0"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|err| {
                panic!("python3 is required: cannot run python3 {script}: {err}")
            });
        let mut line = String::new();
        let stdout = child.stdout.take().expect("stdout is piped");
        BufReader::new(stdout).read_line(&mut line).unwrap();
        let address = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("{script} printed {line:?}, not its address"))
            .parse()
            .unwrap();
        PythonServer { child, address }
    }
}

impl Drop for PythonServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn ping_load(address: SocketAddr, conns: usize) -> Report {
    let config = LoadConfig::default()
        .conns(conns)
        .payload(64)
        .duration(Duration::from_millis(300))
        .warmup(Duration::ZERO);
    ferry_load::run(LpJsonTarget::new(address), config)
        .await
        .unwrap()
}

fn assert_all_answered(report: &Report) {
    assert!(report.calls > 0, "{report}");
    assert!(report.errors.is_empty(), "{report}");
}

#[tokio::test]
async fn ferry_answers_pings_on_its_one_port() {
    let server = ferry::Server::bind("127.0.0.1:0", ferry_demo::router())
        .await
        .unwrap();
    let address = server.local_address().to_string().parse().unwrap();
    tokio::spawn(server.run());
    assert_all_answered(&ping_load(address, 2).await);
}

#[tokio::test]
async fn the_blocking_python_server_answers_one_connection() {
    let server = PythonServer::start("blocking_server.py");
    assert_all_answered(&ping_load(server.address, 1).await);
}

#[tokio::test]
async fn the_threaded_python_server_answers_many_connections() {
    let server = PythonServer::start("threaded_server.py");
    assert_all_answered(&ping_load(server.address, 2).await);
}

#[tokio::test]
async fn the_asyncio_python_server_answers_many_connections() {
    let server = PythonServer::start("asyncio_server.py");
    assert_all_answered(&ping_load(server.address, 2).await);
}
