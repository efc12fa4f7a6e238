//! `ferry serve --tls-cert --tls-key [--tls-client-ca] [--tls-only]` and the client commands'
//! `--ca --cert --key`, with certificates made by `openssl` as docs/SECURITY.md makes them: an
//! RSA server key, an ECDSA client key.

mod common;

use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
};

use common::{ferry, stderr, stdout, Served};

/// A CA, a server certificate for localhost and 127.0.0.1 (RSA), and a client certificate for
/// `ops-laptop` (ECDSA P-256), in a directory removed when dropped.
struct Pki {
    dir: PathBuf,
}

impl Pki {
    fn new(name: &str) -> Pki {
        let dir = std::env::temp_dir().join(format!("ferry-cli-pki-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        std::fs::write(
            dir.join("server.ext"),
            "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
        )
        .unwrap();
        std::fs::write(dir.join("client.ext"), "extendedKeyUsage=clientAuth\n").unwrap();
        let steps: [&[&str]; 5] = [
            &[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
                "-days",
                "30",
                "-subj",
                "/CN=ferry test CA",
            ],
            &[
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "server.key",
                "-out",
                "server.csr",
                "-subj",
                "/CN=localhost",
            ],
            &[
                "x509",
                "-req",
                "-in",
                "server.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                "server.pem",
                "-days",
                "30",
                "-extfile",
                "server.ext",
            ],
            &[
                "req",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-keyout",
                "client.key",
                "-out",
                "client.csr",
                "-subj",
                "/CN=ops-laptop",
            ],
            &[
                "x509",
                "-req",
                "-in",
                "client.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                "client.pem",
                "-days",
                "30",
                "-extfile",
                "client.ext",
            ],
        ];
        for step in steps {
            let output = Command::new("openssl")
                .args(step)
                .current_dir(&dir)
                .output()
                .unwrap_or_else(|err| {
                    panic!("openssl is required: cannot run it ({err}); .ci/run installs it")
                });
            assert!(
                output.status.success(),
                "openssl {step:?}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Pki { dir }
    }

    fn path(&self, file: &str) -> String {
        self.dir
            .join(file)
            .to_str()
            .expect("a UTF-8 path")
            .to_owned()
    }

    /// `--ca ca.pem --cert client.pem --key client.key`.
    fn client_flags(&self) -> Vec<String> {
        [
            "--ca",
            "ca.pem",
            "--cert",
            "client.pem",
            "--key",
            "client.key",
        ]
        .iter()
        .map(|flag| {
            if flag.ends_with(".pem") || flag.ends_with(".key") {
                self.path(flag)
            } else {
                (*flag).to_owned()
            }
        })
        .collect()
    }
}

impl Drop for Pki {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn port(served: &Served) -> &str {
    served.address.rsplit_once(':').expect("HOST:PORT").1
}

fn ok(output: &Output) -> String {
    assert!(output.status.success(), "ferry failed: {}", stderr(output));
    stdout(output)
}

fn with(args: &[&str], flags: &[String]) -> Vec<String> {
    args.iter()
        .map(|arg| (*arg).to_owned())
        .chain(flags.iter().cloned())
        .collect()
}

fn run(args: Vec<String>) -> Output {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    ferry(&args)
}

fn serve_mtls(pki: &Pki, extra: &[&str], files: &Path) -> Served {
    let (cert, key, ca) = (
        pki.path("server.pem"),
        pki.path("server.key"),
        pki.path("ca.pem"),
    );
    let files = files.to_str().unwrap();
    let args = [
        &[
            "--threads",
            "1",
            "--tls-cert",
            &cert,
            "--tls-key",
            &key,
            "--tls-client-ca",
            &ca,
            "--files",
            files,
        ],
        extra,
    ]
    .concat();
    Served::tcp_with(&args)
}

#[test]
fn every_client_command_speaks_tls_with_a_client_certificate() {
    let pki = Pki::new("commands");
    let files = pki.dir.join("files");
    std::fs::create_dir_all(&files).unwrap();
    let served = serve_mtls(&pki, &[], &files);
    let flags = pki.client_flags();
    let tls = format!("tls://localhost:{}", port(&served));

    assert_eq!(
        ok(&run(with(&["call", &tls, "calc.add", "2", "3"], &flags))),
        "5\n"
    );
    assert!(ok(&run(with(&["list", &tls], &flags))).contains("add(a: integer"));
    let https = format!("https://localhost:{}/jsonrpc", port(&served));
    assert_eq!(
        ok(&run(with(&["call", &https, "calc.add", "2", "3"], &flags))),
        "5\n"
    );
    let xmlrpc = format!("https://localhost:{}/RPC2", port(&served));
    assert_eq!(
        ok(&run(with(&["call", &xmlrpc, "calc.add", "2", "3"], &flags))),
        "5\n"
    );

    let bench = ok(&run(with(
        &[
            "bench",
            &tls,
            "--duration",
            "1",
            "--warmup",
            "0",
            "--conns",
            "2",
            "--json",
        ],
        &flags,
    )));
    let report: serde_json::Value = serde_json::from_str(&bench).expect("a JSON report");
    assert!(report["calls"].as_u64().unwrap_or(0) > 0, "{report}");
    assert_eq!(report["errors"], serde_json::json!({}), "{report}");

    let local = pki.dir.join("upload.bin");
    std::fs::write(&local, vec![7u8; 300_000]).unwrap();
    ok(&run(with(
        &["put", &tls, local.to_str().unwrap(), "up.bin"],
        &flags,
    )));
    let fetched = pki.dir.join("fetched.bin");
    ok(&run(with(
        &["get", &tls, "up.bin", fetched.to_str().unwrap()],
        &flags,
    )));
    assert_eq!(std::fs::read(&fetched).unwrap(), vec![7u8; 300_000]);

    let no_certificate = run(with(&["call", &tls, "calc.add", "2", "3"], &flags[..2]));
    assert_eq!(
        no_certificate.status.code(),
        Some(2),
        "{}",
        stderr(&no_certificate)
    );
    let untrusting = ferry(&["call", &tls, "calc.add", "2", "3"]);
    assert_eq!(untrusting.status.code(), Some(2));
    assert!(
        stderr(&untrusting).contains("--ca"),
        "{}",
        stderr(&untrusting)
    );
    assert_eq!(
        ok(&served.call(&["calc.add", "2", "3"])),
        "5\n",
        "plaintext beside TLS"
    );
}

#[test]
fn curl_reaches_healthz_only_with_a_client_certificate_and_the_start_says_so() {
    let pki = Pki::new("curl");
    let (cert, key, ca) = (
        pki.path("server.pem"),
        pki.path("server.key"),
        pki.path("ca.pem"),
    );
    let args = [
        "--listen",
        "127.0.0.1:0",
        "--tls-cert",
        &cert,
        "--tls-key",
        &key,
        "--tls-client-ca",
        &ca,
    ];
    let (served, line) = Served::start_until(&args, |_, line| line.contains("TLS"));
    assert!(line.contains("client certificates required"), "{line}");
    let url = format!("https://localhost:{}/healthz", port(&served));
    let resolve = format!("localhost:{}:127.0.0.1", port(&served));
    let curl = |extra: &[&str]| {
        Command::new("curl")
            .args([
                "-sS",
                "--max-time",
                "30",
                "--cacert",
                &ca,
                "--resolve",
                &resolve,
            ])
            .args(extra)
            .arg(&url)
            .output()
            .unwrap_or_else(|err| panic!("curl is required: cannot run curl ({err})"))
    };
    let (client_cert, client_key) = (pki.path("client.pem"), pki.path("client.key"));
    let admitted = curl(&["--cert", &client_cert, "--key", &client_key]);
    assert_eq!(stdout(&admitted), r#"{"status":"ok"}"#, "{admitted:?}");
    let refused = curl(&[]);
    assert!(
        !refused.status.success(),
        "no certificate reached /healthz: {refused:?}"
    );
}

#[test]
fn tls_only_refuses_plaintext_callers() {
    let pki = Pki::new("only");
    let files = pki.dir.join("files");
    std::fs::create_dir_all(&files).unwrap();
    let served = serve_mtls(&pki, &["--tls-only"], &files);
    let plaintext = served.call(&["calc.add", "2", "3"]);
    assert_eq!(plaintext.status.code(), Some(2), "{}", stdout(&plaintext));
    let http = ferry(&[
        "call",
        &format!("http://{}/jsonrpc", served.address),
        "calc.add",
        "2",
        "3",
    ]);
    assert_eq!(http.status.code(), Some(2));
    assert!(stderr(&http).contains("TLS only"), "{}", stderr(&http));
    let tls = format!("tls://localhost:{}", port(&served));
    assert_eq!(
        ok(&run(with(
            &["call", &tls, "calc.add", "2", "3"],
            &pki.client_flags()
        ))),
        "5\n"
    );
}

#[test]
fn a_certificate_file_that_is_not_there_fails_the_start_naming_it() {
    let output = Command::new(env!("CARGO_BIN_EXE_ferry"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--tls-cert",
            "/nonexistent/server.pem",
            "--tls-key",
            "/nonexistent/server.key",
        ])
        .output()
        .expect("ferry runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("/nonexistent/server.pem"),
        "{}",
        stderr(&output)
    );
}
