//! `ferry serve`: the demo services on a socket until SIGINT or SIGTERM.

use std::{
    future::Future,
    pin::{pin, Pin},
    task::Poll,
};

use anyhow::Context as _;
use ferry::{Address, Router, Server};

use crate::failure::Failure;

/// The built-in service every router holds, left out of the listening line.
const REFLECT: &str = "ferry.reflect";

/// `ferry serve [--listen ADDR]`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Serves the demo services calc and echo (and ferry.reflect) until SIGINT or SIGTERM, then
finishes the calls in flight and exits 0.

Examples:
  ferry serve
  ferry serve --listen 0.0.0.0:7070
  ferry serve --listen 127.0.0.1:0      # any free port; the listening line names it
  ferry serve --listen unix:/tmp/ferry.sock")]
pub(crate) struct ServeArgs {
    /// Where to listen: HOST:PORT (port 0 picks a free port) or unix:PATH.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:7070")]
    listen: Address,
}

/// Serves until a signal, then drains.
pub(crate) async fn run(args: ServeArgs) -> Result<(), Failure> {
    let router = ferry_cli::demo::router();
    let services = service_names(&router);
    let server = Server::bind(args.listen.clone(), router)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let address = server.local_address();
    let mut serving = pin!(server.run_until_signal());
    // The first poll installs the SIGTERM handler: a signal sent as soon as the address is
    // printed drains the server instead of killing the process.
    let outcome = match poll_once(serving.as_mut()).await {
        Poll::Ready(outcome) => outcome,
        Poll::Pending => {
            eprintln!("ferry: serving {services} on {address}");
            serving.await
        }
    };
    outcome.context("the server failed")?;
    Ok(())
}

/// `calc, echo`: the services a client may call, without the built-in one.
fn service_names(router: &Router) -> String {
    let names: Vec<&str> = router
        .services()
        .iter()
        .map(|service| service.name.as_str())
        .filter(|name| *name != REFLECT)
        .collect();
    names.join(", ")
}

/// Polls `future` once, giving back its output if it finished.
async fn poll_once<F: Future>(mut future: Pin<&mut F>) -> Poll<F::Output> {
    std::future::poll_fn(|cx| Poll::Ready(future.as_mut().poll(cx))).await
}
