//! Helpers the `ferry` binary's end-to-end tests share: running `ferry`, and a `ferry serve`
//! process on a free port.

// Every test binary compiles this module and each uses only part of it.
#![allow(dead_code)]

use std::{
    io::{BufRead, BufReader, Read},
    process::{Child, ChildStderr, Command, ExitStatus, Output, Stdio},
    thread::JoinHandle,
    time::{Duration, Instant},
};

/// The binary under test.
pub(crate) const FERRY: &str = env!("CARGO_BIN_EXE_ferry");

/// A `ferry serve` process, stopped with SIGTERM when dropped.
pub(crate) struct Served {
    child: Child,
    /// Where it listens.
    pub(crate) address: String,
    /// Collects the rest of the server's stderr so its writes never fail.
    stderr: Option<JoinHandle<String>>,
    /// Its stderr after the listening line, while [`Served::spawn`]'s caller reads it.
    stderr_lines: Option<BufReader<ChildStderr>>,
}

impl Served {
    /// Starts `ferry serve ARGS...` and waits for its listening line.
    pub(crate) fn start(args: &[&str]) -> Served {
        let mut served = Served::spawn(args);
        let stderr = served.stderr_lines.take().expect("stderr not yet read");
        served.stderr = Some(std::thread::spawn(move || rest(stderr)));
        served
    }

    /// Starts `ferry serve ARGS...` and reads its listening line, leaving the rest of its
    /// stderr in `stderr_lines` for the caller to read on.
    fn spawn(args: &[&str]) -> Served {
        let mut child = Command::new(FERRY)
            .arg("serve")
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("ferry serve starts");
        let mut stderr = BufReader::new(child.stderr.take().expect("stderr is piped"));
        let mut line = String::new();
        stderr
            .read_line(&mut line)
            .expect("ferry serve writes to stderr");
        let address = listening_address(&line);
        Served {
            child,
            address,
            stderr: None,
            stderr_lines: Some(stderr),
        }
    }

    /// `ferry serve` on a free TCP port of 127.0.0.1 with one worker thread, registered in the
    /// etcd at `etcd` (`HOST:PORT`) under a lease of `ttl` seconds, once it has said it is
    /// registered (its keys are in etcd then).
    pub(crate) fn registered(etcd: &str, ttl: u64) -> Served {
        let register = format!("etcd://{etcd}");
        let ttl = ttl.to_string();
        let args = [
            "--threads",
            "1",
            "--register",
            &register,
            "--lease-ttl",
            &ttl,
        ];
        let args = [&["--listen", "127.0.0.1:0"], &args[..]].concat();
        let want = |served: &Served, line: &str| {
            line == format!("ferry: registered {} in {register}", served.address)
        };
        Served::start_until(&args, want).0
    }

    /// Starts `ferry serve ARGS...` and reads its stderr until a line `want` says is the one
    /// (the server and the line trimmed); that line.
    pub(crate) fn start_until(
        args: &[&str],
        want: impl Fn(&Served, &str) -> bool,
    ) -> (Served, String) {
        let mut served = Served::spawn(args);
        let mut stderr = served.stderr_lines.take().expect("stderr not yet read");
        let mut before = Vec::new();
        let found = loop {
            let mut line = String::new();
            let read = stderr
                .read_line(&mut line)
                .expect("ferry serve writes to stderr");
            assert!(
                read > 0,
                "ferry serve ended before the line wanted: {before:?}"
            );
            if want(&served, line.trim_end()) {
                break line.trim_end().to_owned();
            }
            before.push(line);
        };
        served.stderr = Some(std::thread::spawn(move || rest(stderr)));
        (served, found)
    }

    /// `ferry serve` on a free TCP port of 127.0.0.1, once it has said where it listens.
    pub(crate) fn tcp() -> Served {
        Served::tcp_with(&[])
    }

    /// Like [`Served::tcp`], with more `ferry serve` flags.
    pub(crate) fn tcp_with(args: &[&str]) -> Served {
        Served::start(&[&["--listen", "127.0.0.1:0"], args].concat())
    }

    /// Runs `ferry call ADDRESS ARGS...` against this server.
    pub(crate) fn call(&self, args: &[&str]) -> Output {
        ferry(&[&["call", &self.address], args].concat())
    }

    /// Kills the server with SIGKILL, as a crash would, and reaps it.
    pub(crate) fn kill(mut self) {
        self.child.kill().expect("the server can be killed");
        self.child.wait().expect("the killed server is reaped");
    }

    /// Sends SIGTERM and waits (bounded) for the exit; the status and the rest of stderr.
    pub(crate) fn stop(mut self) -> (ExitStatus, String) {
        terminate(&self.child);
        let status = wait_bounded(&mut self.child);
        let stderr = self.stderr.take().expect("stopped once");
        (status, stderr.join().expect("stderr reader finishes"))
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            terminate(&self.child);
            let _ = self.child.wait();
        }
    }
}

/// The address at the end of `ferry: serving SERVICES on ADDRESS`.
fn listening_address(line: &str) -> String {
    assert!(
        line.starts_with("ferry: serving calc, echo"),
        "unexpected first line: {line:?}"
    );
    let after_on = line
        .rsplit(" on ")
        .next()
        .expect("the line names the address");
    let address = after_on.split_whitespace().next();
    address.expect("an address follows \"on\"").to_owned()
}

fn rest(mut stderr: BufReader<ChildStderr>) -> String {
    let mut text = String::new();
    let _ = stderr.read_to_string(&mut text);
    text
}

fn terminate(child: &Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
}

fn wait_bounded(child: &mut Child) -> ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().expect("the child can be waited for") {
            return status;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    panic!("ferry serve did not exit within 30 s of SIGTERM");
}

/// Runs `ferry ARGS...` to completion.
pub(crate) fn ferry(args: &[&str]) -> Output {
    Command::new(FERRY).args(args).output().expect("ferry runs")
}

/// Runs `ferry ARGS...` with `input` on its standard input.
pub(crate) fn ferry_with_input(args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(FERRY)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ferry runs");
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let input = input.to_vec();
    // Written from a thread of its own: a child that answers before reading all of its input
    // must not leave the test blocked on a full pipe.
    let writer = std::thread::spawn(move || {
        use std::io::Write as _;
        let _ = stdin.write_all(&input);
    });
    let output = child.wait_with_output().expect("ferry finishes");
    writer.join().expect("the writer finishes");
    output
}

/// The process's stdout as text.
pub(crate) fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("stdout is UTF-8")
}

/// The process's stderr as text.
pub(crate) fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("stderr is UTF-8")
}

/// Runs `python3 ARGS...` to completion; a missing `python3` fails the test saying so.
pub(crate) fn python3(args: &[&str]) -> Output {
    Command::new("python3")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|err| {
            panic!("python3 is required: cannot run it ({err}); .ci/run installs it")
        })
}
