//! A service using every feature compiles without warnings under strict lints.
#![deny(warnings, missing_docs, unreachable_pub, rust_2018_idioms)]

use std::sync::Arc;

/// An error.
#[derive(Debug, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct Oops {
    /// What went wrong.
    pub message: String,
}

impl std::fmt::Display for Oops {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// Documented service.
#[ferry::service(name = "kv")]
pub trait KeyValueStore: std::fmt::Debug {
    /// Stores a value.
    #[ferry(idempotent)]
    async fn put(&self, key: String, value: Vec<u8>, #[ferry(default = None)] ttl: Option<u64>);
    /// Reads a value.
    async fn get(&self, key: String) -> Result<Vec<u8>, Oops>;
    /// Counts entries.
    async fn count(&self) -> u64;
    /// Has a keyword as a parameter name.
    async fn r#match(&self, r#type: String) -> bool;
    /// Sees its call's context.
    async fn whoami(&self, ctx: &ferry::Context) -> String;
    /// Answers any status, or its own error.
    async fn guarded(&self, ctx: &ferry::Context, key: String) -> Result<u64, ferry::CallError<Oops>>;
    /// Answers any status, with no error of its own.
    async fn plain(&self) -> Result<(), ferry::CallError>;
    /// Computes on the blocking pool.
    #[ferry(blocking)]
    async fn digest(&self, ctx: &ferry::Context, data: Vec<u8>) -> u64;
}

mod private {
    /// A private service nobody uses still builds without dead-code warnings.
    #[ferry::service]
    pub(crate) trait Unused {
        /// Does nothing.
        async fn nothing(&self);
    }
}

#[derive(Debug)]
struct Memory;

impl KeyValueStore for Memory {
    async fn put(&self, _key: String, _value: Vec<u8>, _ttl: Option<u64>) {}

    async fn get(&self, key: String) -> Result<Vec<u8>, Oops> {
        Err(Oops {
            message: format!("no {key}"),
        })
    }

    async fn count(&self) -> u64 {
        0
    }

    async fn r#match(&self, r#type: String) -> bool {
        r#type.is_empty()
    }

    async fn whoami(&self, ctx: &ferry::Context) -> String {
        ctx.peer().to_string()
    }

    async fn guarded(&self, ctx: &ferry::Context, key: String) -> Result<u64, ferry::CallError<Oops>> {
        match ctx.metadata("role") {
            Some("admin") => Err(ferry::CallError::Application(Oops { message: key })),
            _ => Err(ferry::CallError::new(ferry::Status::PermissionDenied, "no")),
        }
    }

    async fn plain(&self) -> Result<(), ferry::CallError> {
        Ok(())
    }

    async fn digest(&self, _ctx: &ferry::Context, data: Vec<u8>) -> u64 {
        data.iter().map(|byte| u64::from(*byte)).sum()
    }
}

fn main() {
    let router = ferry::Router::new().service(KeyValueStoreServer::from_arc(Arc::new(Memory)));
    assert!(router.handler("kv.put").is_some());
    assert!(router.handler("kv.match").is_some());
    let descriptor = KeyValueStoreClient::descriptor();
    assert_eq!(descriptor.name, "kv");
    assert_eq!(descriptor.methods[3].params[0].name, "type");
    assert_eq!(router.method("kv.put"), Some(&descriptor.methods[0]));
    let guarded = &descriptor.methods[5];
    assert_eq!(guarded.params.len(), 1, "the context is not a parameter");
    assert!(guarded.error.is_some(), "Oops is the typed error");
    assert!(descriptor.methods[6].error.is_none());
}
