//! `ferry`: serve the demo services, call any method of a ferry server, list what it offers.
//!
//! Exit codes: 0 success; 1 the called method returned its own (application) error; 2 any
//! other failure, usage errors included.

mod args;
mod auth;
mod bench;
mod call;
mod call_http;
mod call_stream;
mod connect;
mod failure;
mod get;
mod instances;
mod list;
mod otel;
mod output;
mod put;
mod serve;
mod serve_model;
mod serve_register;
mod serve_tls;
mod tls_args;
mod top;
mod transfer;

use std::{future::Future, process::ExitCode};

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

use failure::Failure;

/// Streams allocate and free item buffers at a high rate: glibc's allocator hands the freed
/// memory back to the kernel and takes it again, and the fresh pages faulted in cost a
/// receiving stream a fifth of its time (`perf`, `ferry bench --stream up`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Serve, call and list ferry services.
#[derive(Debug, Parser)]
#[command(
    name = "ferry",
    version,
    after_help = "\
Examples:
  ferry serve --listen 127.0.0.1:7070
  ferry list 127.0.0.1:7070
  ferry call 127.0.0.1:7070 calc.divide 200 100
  ferry put 127.0.0.1:7070 ./big.iso images/big.iso
  ferry get 127.0.0.1:7070 images/big.iso
  ferry serve --listen 127.0.0.1:0 --register etcd://127.0.0.1:2379
  ferry instances etcd://127.0.0.1:2379
  ferry call etcd://127.0.0.1:2379 calc.add 2 3
  ferry top 127.0.0.1:7070

Exit codes: 0 ok, 1 the called method returned its own error, 2 any other failure.
Logs go to stderr, filtered by RUST_LOG (default warn)."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the demo services (calc, echo) until SIGINT or SIGTERM.
    Serve(serve::ServeArgs),
    /// Call one method and print its result as JSON.
    Call(call::CallArgs),
    /// List the services and methods a server offers.
    List(list::ListArgs),
    /// Load a method with many calls and report rate, latency percentiles and errors.
    Bench(bench::BenchArgs),
    /// Send a file to a server's --files store: resumed, verified, landed atomically.
    Put(put::PutArgs),
    /// Fetch a file from a server's --files store: resumed, verified, landed atomically.
    Get(get::GetArgs),
    /// List the servers a registry (etcd://, or a list) offers, and whether each answers now.
    Instances(instances::InstancesArgs),
    /// Watch a server's methods live: rate, errors and latency, refreshed every second.
    Top(top::TopArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let exporting = match init_tracing(&cli) {
        Ok(exporting) => exporting,
        Err(failure) => {
            eprintln!("{failure}");
            return failure.exit_code();
        }
    };
    let outcome = match cli.command {
        Command::Serve(args) => serve::run(args),
        Command::Call(args) => block_on(call::run(args)),
        Command::List(args) => block_on(list::run(args)),
        Command::Bench(args) => block_on(bench::run(args)),
        Command::Put(args) => block_on(put::run(args)),
        Command::Get(args) => block_on(get::run(args)),
        Command::Instances(args) => block_on(instances::run(args)),
        Command::Top(args) => block_on(top::run(args)),
    };
    if let Some(exporting) = exporting {
        exporting.finish();
    }
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("{failure}");
            failure.exit_code()
        }
    }
}

/// Runs a command on a multi-thread runtime; `serve` builds the runtimes its `--model` asks for.
fn block_on(command: impl Future<Output = Result<(), Failure>>) -> Result<(), Failure> {
    let runtime = tokio::runtime::Runtime::new().context("cannot start the tokio runtime")?;
    runtime.block_on(command)
}

/// Logs to stderr, filtered by `RUST_LOG` (default `warn`); with `serve --otlp-endpoint`, call
/// spans are exported too, until the [`otel::Exporting`] returned is finished.
fn init_tracing(cli: &Cli) -> Result<Option<otel::Exporting>, Failure> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn"));
    if let Command::Serve(serve) = &cli.command {
        if let Some(endpoint) = &serve.otlp_endpoint {
            return otel::init(filter, endpoint).map(Some);
        }
    }
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    Ok(None)
}
