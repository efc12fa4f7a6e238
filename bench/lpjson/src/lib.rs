//! A client of the length-prefixed JSON dialect (`{"in": "ping", "params": TEXT}` answered
//! `{"out": "pong", "result": TEXT}`), to load ferry and the classic Python servers alike.

pub mod client;
pub mod message;

pub use client::LpJsonTarget;
