//! Helpers the `ferry` binary's end-to-end tests share: running `ferry`, and a `ferry serve`
//! process on a free port.

// Every test binary compiles this module and each uses only part of it.
#![allow(dead_code)]

use std::{
    io::{BufRead, BufReader, Read},
    process::{Child, ChildStderr, Command, Output, Stdio},
    thread::JoinHandle,
};

/// The binary under test.
pub(crate) const FERRY: &str = env!("CARGO_BIN_EXE_ferry");

/// A `ferry serve` process, stopped with SIGTERM when dropped.
pub(crate) struct Served {
    child: Child,
    /// Where it listens.
    pub(crate) address: String,
    /// Collects the rest of the server's stderr so its writes never fail.
    _stderr: JoinHandle<()>,
}

impl Served {
    /// `ferry serve` on a free TCP port of 127.0.0.1, once it has said where it listens.
    pub(crate) fn tcp() -> Served {
        let mut child = Command::new(FERRY)
            .args(["serve", "--listen", "127.0.0.1:0"])
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
        let _stderr = std::thread::spawn(move || drain(stderr));
        Served {
            child,
            address,
            _stderr,
        }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = Command::new("kill")
                .args(["-TERM", &self.child.id().to_string()])
                .status();
            let _ = self.child.wait();
        }
    }
}

/// The address at the end of `ferry: serving SERVICES on ADDRESS`.
fn listening_address(line: &str) -> String {
    assert!(
        line.starts_with("ferry: serving "),
        "unexpected first line: {line:?}"
    );
    let after_on = line
        .rsplit(" on ")
        .next()
        .expect("the line names the address");
    let address = after_on.split_whitespace().next();
    address.expect("an address follows \"on\"").to_owned()
}

fn drain(mut stderr: BufReader<ChildStderr>) {
    let mut sink = Vec::new();
    let _ = stderr.read_to_end(&mut sink);
}

/// Runs `ferry ARGS...` to completion.
pub(crate) fn ferry(args: &[&str]) -> Output {
    Command::new(FERRY).args(args).output().expect("ferry runs")
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
