//! What every bench binary shares: the server flags and runtime, and the client flags (the same
//! as `ferry bench`'s) feeding the one load engine, `ferry_load`; and the flags and report of the
//! one-way streaming clients, which need no engine.

pub mod load;
pub mod serve;
pub mod stream;

pub use load::{check_echo, connect, run_client, LoadArgs};
pub use serve::{announce, ServeArgs};
pub use stream::{Direction, Limit, StreamArgs, StreamReport};
