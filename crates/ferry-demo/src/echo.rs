//! `echo`: sends back what it gets; the benchmark target. `whoami` sends back what the server
//! knows of the call itself.

use std::collections::BTreeMap;

use ferry::{Bytes, Context};
use serde::{Deserialize, Serialize};

/// What a call looks like from the server's side, as `echo.whoami` reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct WhoAmI {
    /// The full method name called.
    pub method: String,
    /// The metadata the call carried, by key (the last value of a repeated key).
    pub metadata: BTreeMap<String, String>,
    /// The caller's address.
    pub peer: String,
    /// The dialect the call came in on: native, jsonrpc, xmlrpc, rest or lpjson.
    pub dialect: String,
    /// Milliseconds left before the call's deadline as the handler saw it; none without one.
    pub deadline_ms: Option<u64>,
}

/// Sends back what it gets.
#[ferry::service]
pub trait Echo {
    /// Returns `data` unchanged.
    async fn echo(&self, data: Bytes) -> Bytes;
    /// Returns `text` unchanged.
    async fn ping(&self, text: String) -> String;
    /// Describes this call as the server sees it: method, metadata, peer, dialect and the
    /// milliseconds left before its deadline.
    async fn whoami(&self, ctx: &Context) -> WhoAmI;
}

/// The [`Echo`] service.
#[derive(Debug, Clone, Copy, Default)]
pub struct Echoer;

impl Echo for Echoer {
    async fn echo(&self, data: Bytes) -> Bytes {
        data
    }

    async fn ping(&self, text: String) -> String {
        text
    }

    async fn whoami(&self, ctx: &Context) -> WhoAmI {
        let metadata = ctx.metadata_pairs();
        WhoAmI {
            method: ctx.method().to_owned(),
            metadata: metadata
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
            peer: ctx.peer().to_string(),
            dialect: ctx.dialect().to_string(),
            deadline_ms: ctx
                .time_left()
                .map(|left| u64::try_from(left.as_millis()).unwrap_or(u64::MAX)),
        }
    }
}
