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

/// What the shell prints before ferry top's exit status.
const EXITED: &str = "ferry top exited with status ";

/// A tmux server of its own (`-L`), with one detached 160x40 pane running ferry top; the
/// server is killed when dropped, on a failed assertion too.
struct Tmux {
    socket: String,
    config: PathBuf,
    /// The server's socket file, which `kill-server` leaves behind.
    socket_path: Option<PathBuf>,
}

impl Tmux {
    /// Starts `ferry top ADDRESS` in a fresh tmux server named after this process and `test`.
    /// The shell around it then prints its exit status and the terminal's settings, to show
    /// them restored; the pane stays once it ends (`remain-on-exit`), so they can be read.
    fn top(test: &str, address: &str) -> Tmux {
        let socket = format!("ferry-top-{}-{test}", std::process::id());
        let config = std::env::temp_dir().join(format!("{socket}.conf"));
        std::fs::write(&config, "set -g remain-on-exit on\nset -g status off\n")
            .expect("the tmux config is written");
        let mut tmux = Tmux {
            socket,
            config,
            socket_path: None,
        };
        let command = format!("'{FERRY}' top {address}; echo \"{EXITED}$?\"; stty -a");
        tmux.run(&["new-session", "-d", "-x", "160", "-y", "40", &command]);
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

    /// The pane's screen and the lines scrolled off it: after ferry top, the shell's lines may
    /// have scrolled the main screen by one.
    fn scrollback(&self) -> String {
        self.run(&["capture-pane", "-p", "-S", "-"])
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

    /// Waits for the pane's command to end (tmux marks the pane dead once its terminal is
    /// closed), and returns ferry top's exit status as the shell printed it. Not tmux's
    /// `pane_dead_status`: tmux 3.3 now and then leaves the pane's process unreaped, a zombie,
    /// and that status empty for good.
    fn wait_exit(&self) -> String {
        for _ in 0..TRIES {
            if self.pane("#{pane_dead}") == "1" {
                let screen = self.scrollback();
                let status = screen.lines().find_map(|line| line.strip_prefix(EXITED));
                let status = status.unwrap_or_else(|| panic!("no exit status: {screen}"));
                return status.trim().to_owned();
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
    let tmux = Tmux::top("keys", &served.address);
    assert_calls_shown(&tmux, &served.address);
    assert_keys_act(&tmux);
    tmux.send("q");
    assert_exits_restored(&tmux);
}

/// The first screens: calc.add's 3 calls and calc.divide's 2, both errors, sorted by rate.
fn assert_calls_shown(tmux: &Tmux, address: &str) {
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
    let never_called = row(&screen, "echo.ping");
    assert!(never_called.is_none(), "echo.ping shown: {screen}");
    assert!(screen.contains(address), "{screen}");
}

/// `e` puts calc.divide, the one method with errors, first; `a` shows every method and hides
/// them again; `l` and `r` move the sort mark.
fn assert_keys_act(tmux: &Tmux) {
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
}

/// The pane's command ended with status 0, and the terminal is as it was: off the alternate
/// screen the table is gone, and the `stty -a` after it shows canonical input, echo and
/// signals back on, which raw mode turns off.
fn assert_exits_restored(tmux: &Tmux) {
    assert_eq!(tmux.wait_exit(), "0", "{}", tmux.scrollback());
    // The alternate screen keeps no scrollback: the table is in neither.
    let screen = tmux.scrollback();
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
    let tmux = Tmux::top("unreachable", &address);
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
    assert_eq!(tmux.wait_exit(), "0", "{}", tmux.scrollback());
}

#[test]
fn a_server_with_auth_is_read_with_the_token_and_refused_without() {
    let dir = std::env::temp_dir().join(format!("ferry-top-auth-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    let tokens = dir.join("tokens");
    std::fs::write(&tokens, "t-watch watcher _pages.*\nt-calc caller calc.*\n").unwrap();
    let served = Served::tcp_with(&["--auth-tokens", tokens.to_str().unwrap()]);
    call(&served, &["calc.add", "2", "3", "--token", "t-calc"], 1, 0);
    let refused = Tmux::top("refused", &served.address);
    refused.wait_for("the 401", |screen| screen.contains("answered HTTP 401"));
    refused.send("q");
    assert_eq!(refused.wait_exit(), "0", "{}", refused.scrollback());
    let tmux = Tmux::top("token", &format!("{} --token t-watch", served.address));
    tmux.wait_for("calc.add's call", |screen| {
        row(screen, "calc.add").and_then(|cells| cells.last().copied()) == Some("1")
    });
    tmux.send("q");
    assert_eq!(tmux.wait_exit(), "0", "{}", tmux.scrollback());
    std::fs::remove_dir_all(dir).unwrap();
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
