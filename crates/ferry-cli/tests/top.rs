//! `ferry top` in a real terminal: tmux runs it against a real server, `send-keys` types and
//! `capture-pane` reads the screen. Only counts and what is shown are asserted, never how soon.

mod common;

use std::{
    path::PathBuf,
    process::{Command, Output},
    time::Duration,
};

use common::{stderr, Served, FERRY};

/// How many times a screen is read before a wait gives up; with [`PAUSE`] between reads, far
/// more than a loaded machine needs to draw a refresh.
const TRIES: usize = 600;

/// The pause between two reads of the screen.
const PAUSE: Duration = Duration::from_millis(100);

/// A tmux server of its own (`-L`), with one detached 160x40 pane running a command; the
/// server is killed when dropped, on a failed assertion too.
struct Tmux {
    socket: String,
    config: PathBuf,
    /// The server's socket file, which `kill-server` leaves behind.
    socket_path: Option<PathBuf>,
}

impl Tmux {
    /// Starts `command` in a fresh tmux server named after this process and `test`. The pane
    /// stays once the command ends (`remain-on-exit`), so its exit status and last screen can
    /// still be read.
    fn start(test: &str, command: &str) -> Tmux {
        let socket = format!("ferry-top-{}-{test}", std::process::id());
        let config = std::env::temp_dir().join(format!("{socket}.conf"));
        std::fs::write(&config, "set -g remain-on-exit on\nset -g status off\n")
            .expect("the tmux config is written");
        let mut tmux = Tmux {
            socket,
            config,
            socket_path: None,
        };
        tmux.run(&["new-session", "-d", "-x", "160", "-y", "40", command]);
        tmux.socket_path = Some(PathBuf::from(tmux.pane("#{socket_path}")));
        tmux
    }

    /// Runs `tmux -L SOCKET ARGS...`, which must succeed.
    fn run(&self, args: &[&str]) -> String {
        let output = tmux(&[&["-L", &self.socket, "-f", self.config_path()], args].concat());
        assert!(
            output.status.success(),
            "tmux {args:?} failed: {}",
            stderr(&output)
        );
        String::from_utf8(output.stdout).expect("tmux prints UTF-8")
    }

    fn config_path(&self) -> &str {
        self.config.to_str().expect("a UTF-8 temporary path")
    }

    /// The pane's screen now, one line per row.
    fn screen(&self) -> String {
        self.run(&["capture-pane", "-p"])
    }

    /// Types `key` into the pane.
    fn send(&self, key: &str) {
        self.run(&["send-keys", key]);
    }

    /// `format` with the pane's figures in it, such as `#{pane_dead}`.
    fn pane(&self, format: &str) -> String {
        self.run(&["display-message", "-p", format])
            .trim()
            .to_owned()
    }

    /// Reads the screen until `ready` holds, and returns that screen; fails, showing the last
    /// screen, after [`TRIES`] reads.
    fn wait_for(&self, what: &str, ready: impl Fn(&str) -> bool) -> String {
        let mut screen = String::new();
        for _ in 0..TRIES {
            screen = self.screen();
            if ready(&screen) {
                return screen;
            }
            std::thread::sleep(PAUSE);
        }
        panic!("{what}: not shown after {TRIES} reads; the screen:\n{screen}");
    }

    /// Waits for the pane's command to end, and returns its exit status. tmux marks the pane
    /// dead when its terminal closes, and knows the status only once it has reaped the
    /// process, a moment later: the wait is for both.
    fn wait_exit(&self) -> String {
        for _ in 0..TRIES {
            let state = self.pane("#{pane_dead}:#{pane_dead_status}");
            if let Some(status) = state.strip_prefix("1:").filter(|s| !s.is_empty()) {
                return status.to_owned();
            }
            std::thread::sleep(PAUSE);
        }
        panic!(
            "ferry top still runs after {TRIES} checks; the screen:\n{}",
            self.screen()
        );
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = tmux(&["-L", &self.socket, "kill-server"]);
        let _ = std::fs::remove_file(&self.config);
        if let Some(path) = &self.socket_path {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Runs `tmux ARGS...`; a missing tmux fails the test saying which package brings it.
fn tmux(args: &[&str]) -> Output {
    Command::new("tmux")
        .args(args)
        // Inside a tmux session of the caller's, the test must still make a server of its own.
        .env_remove("TMUX")
        .output()
        .unwrap_or_else(|err| {
            panic!("tmux is required: cannot run it ({err}); install the Debian package tmux")
        })
}

/// The cells of `method`'s row: METHOD RATE/s ERR/s ERRORS P50 P99 IN-FLIGHT CALLS.
fn row<'a>(screen: &'a str, method: &str) -> Option<Vec<&'a str>> {
    screen
        .lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>())
        .find(|cells| cells.first() == Some(&method))
}

/// The table's heading line.
fn headings(screen: &str) -> &str {
    let line = screen.lines().find(|line| line.starts_with("METHOD"));
    line.unwrap_or_default()
}

/// The method of the table's first row.
fn first_method(screen: &str) -> Option<&str> {
    let mut lines = screen
        .lines()
        .skip_while(|line| !line.starts_with("METHOD"));
    lines.nth(1)?.split_whitespace().next()
}

/// Runs `ferry call` against the server `times` times, each ending with `code`.
fn call(served: &Served, args: &[&str], times: usize, code: i32) {
    for _ in 0..times {
        let output = served.call(args);
        assert_eq!(output.status.code(), Some(code), "{}", stderr(&output));
    }
}

#[test]
fn top_shows_the_methods_sorts_them_by_key_and_quits_on_q() {
    let served = Served::tcp();
    call(&served, &["calc.add", "2", "3"], 3, 0);
    call(&served, &["calc.divide", "1", "0"], 2, 1);

    // The shell prints the terminal's settings once ferry top is gone, to show it restored.
    let command = format!(
        "'{FERRY}' top {}; status=$?; stty -a; exit $status",
        served.address
    );
    let tmux = Tmux::start("keys", &command);

    // The calls are counted once answered, so the first refresh may miss the last of them.
    let screen = tmux.wait_for("calc.add 3 calls, calc.divide 2", |screen| {
        let calls = |method| row(screen, method).and_then(|cells| cells.last().copied());
        calls("calc.add") == Some("3") && calls("calc.divide") == Some("2")
    });
    let add = row(&screen, "calc.add").expect("calc.add is shown");
    let divide = row(&screen, "calc.divide").expect("calc.divide is shown");
    assert_eq!((add.len(), add[3], add[6]), (8, "-", "0"), "{screen}");
    assert_eq!(
        (divide.len(), divide[3], divide[6]),
        (8, "application:2", "0"),
        "{screen}"
    );
    assert!(headings(&screen).contains("RATE/s▼"), "{screen}");
    assert!(
        row(&screen, "echo.ping").is_none(),
        "never called: {screen}"
    );
    assert!(screen.contains(&served.address), "{screen}");

    tmux.send("e");
    let screen = tmux.wait_for("sorted by errors", |screen| {
        headings(screen).contains("ERR/s▼") && first_method(screen) == Some("calc.divide")
    });
    assert!(!headings(&screen).contains("RATE/s▼"), "{screen}");

    tmux.send("a");
    tmux.wait_for("every method", |screen| row(screen, "echo.ping").is_some());
    tmux.send("a");
    tmux.wait_for("the called methods only", |screen| {
        row(screen, "echo.ping").is_none() && row(screen, "calc.add").is_some()
    });

    tmux.send("l");
    tmux.wait_for("sorted by latency", |screen| {
        let headings = headings(screen);
        headings.contains("P99▼") && !headings.contains("ERR/s▼")
    });
    tmux.send("r");
    tmux.wait_for("sorted by rate", |screen| {
        let headings = headings(screen);
        headings.contains("RATE/s▼") && !headings.contains("P99▼")
    });

    tmux.send("q");
    assert_eq!(tmux.wait_exit(), "0", "{}", tmux.screen());
    let screen = tmux.screen();
    // Off the alternate screen, the table is gone, and the line discipline is back:
    // canonical input, echo and signals, which raw mode turns off.
    assert!(!screen.contains("METHOD"), "{screen}");
    let settings: Vec<&str> = screen.split_whitespace().collect();
    for setting in ["icanon", "echo", "isig"] {
        assert!(settings.contains(&setting), "{setting} off: {screen}");
    }
}

#[test]
fn an_unreachable_server_shows_in_red_until_it_answers() {
    // A port just freed: nothing listens there until the server below.
    let address = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        listener.local_addr().expect("its address").to_string()
    };
    let tmux = Tmux::start("unreachable", &format!("'{FERRY}' top {address}"));
    let failure = format!("cannot reach {address}:");
    tmux.wait_for("the failure line", |screen| screen.contains(&failure));
    assert_eq!(tmux.pane("#{pane_dead}"), "0", "{}", tmux.screen());

    let served = Served::start(&["--listen", &address]);
    call(&served, &["calc.add", "2", "3"], 1, 0);
    let screen = tmux.wait_for("the server's methods", |screen| {
        row(screen, "calc.add").and_then(|cells| cells.last().copied()) == Some("1")
    });
    assert!(!screen.contains(&failure), "{screen}");
    tmux.send("q");
    assert_eq!(tmux.wait_exit(), "0", "{}", tmux.screen());
}

#[test]
fn a_wrong_address_is_a_usage_error_and_help_shows_the_keys() {
    let output = common::ferry(&["top", "nonsense"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("\"nonsense\" is not HOST:PORT or an http:// URL"),
        "{}",
        stderr(&output)
    );
    let help = common::ferry(&["top", "--help"]);
    let text = common::stdout(&help);
    assert_eq!(help.status.code(), Some(0));
    for needle in ["ferry top 127.0.0.1:7070", "q (or Esc, Ctrl-C) quit"] {
        assert!(text.contains(needle), "{needle:?} not in: {text}");
    }
}
