//! The ceiling for any framed protocol on this machine: length, call id, payload; no
//! serialization, no dispatch. The server echoes whole frames with one write per read; the
//! client multiplexes calls over one connection.

pub mod client;
pub mod frame;
pub mod server;

pub use client::RawTarget;
