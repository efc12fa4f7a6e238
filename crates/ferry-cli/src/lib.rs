//! The library side of the `ferry` command: the demo services `ferry serve` runs, for tests and
//! other crates to reuse.

pub mod demo;
