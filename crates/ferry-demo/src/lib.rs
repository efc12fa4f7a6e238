//! The demo services `ferry serve` runs: `calc` and `echo`.
//!
//! A crate of their own, below the `ferry` binary, so that tests of other crates (ferry-http's,
//! the benchmarks') serve the same methods without depending on the command line's crate.

mod calc;
mod echo;

use ferry::Router;

pub use calc::{Calc, CalcClient, CalcServer, Calculator, InvalidOperation};
pub use echo::{Echo, EchoClient, EchoServer, Echoer, WhoAmI};

/// A router serving `calc` and `echo` (and the built-in `ferry.reflect`).
pub fn router() -> Router {
    Router::new()
        .service(CalcServer::new(Calculator))
        .service(EchoServer::new(Echoer))
}
