//! What every bench binary shares: the server flags and runtime, and the client flags (the same
//! as `ferry bench`'s) feeding the one load engine, `ferry_load`.

pub mod load;
pub mod serve;

pub use load::{check_echo, connect, run_client, LoadArgs};
pub use serve::{announce, ServeArgs};
