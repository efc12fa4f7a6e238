//! What the integration tests share. `etcd` is its own file so that other crates' tests can
//! take it alone (`#[path = "../../ferry-discovery/tests/common/etcd.rs"] mod etcd;`).

pub mod etcd;
