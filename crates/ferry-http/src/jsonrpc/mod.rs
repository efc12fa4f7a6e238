//! JSON-RPC 2.0 at `POST /jsonrpc`, sans-IO: a request body in, the response body out, given a
//! function that runs a call of a method with its JSON arguments.
//!
//! To the letter of the spec: positional and named `params` (absent: no arguments; `null`,
//! which the spec does not allow but many clients send, is taken as absent); notifications
//! (no `id`) are run and never answered; a batch runs its requests concurrently and answers
//! with the responses only, in request order, or with nothing when every element was a
//! notification; `[]` is one -32600 error, and so is a batch of more elements than the cap.
//! `rpc.discover` answers the OpenRPC document.
//! A method is named in full (`calc.add`), or bare (`add`) when exactly one service has it.

mod discover;
mod request;
mod response;

use std::future::Future;

use bytes::Bytes;
use ferry::{ByteStr, Codec, Reply, Router, Status};
use futures_util::future::join_all;
use serde_json::{json, Value};

use crate::args;
use request::{Entry, Envelope, Request, Unreadable};
pub(crate) use response::failure;
use response::{INVALID_REQUEST, PARSE_ERROR};

/// The response body for `body`; `None` when nothing is to be answered (notifications only).
/// A batch of more than `max_batch_len` elements is one -32600 error and runs nothing.
pub(crate) async fn answer<D, F>(
    body: &[u8],
    max_batch_len: usize,
    router: &Router,
    dispatch: D,
) -> Option<Bytes>
where
    D: Fn(ByteStr, Bytes) -> F,
    F: Future<Output = Reply>,
{
    match request::parse(body, max_batch_len) {
        Err(Unreadable::Parse(message)) => Some(refusal(Value::Null, PARSE_ERROR, &message)),
        Err(Unreadable::EmptyBatch) => Some(refusal(
            Value::Null,
            INVALID_REQUEST,
            "Invalid Request: a batch must hold at least one request",
        )),
        Err(Unreadable::TooLong(too_long)) => Some(refusal(
            Value::Null,
            INVALID_REQUEST,
            &format!("Invalid Request: {too_long}"),
        )),
        Ok(Envelope::Single(entry)) => run(entry, router, &dispatch).await,
        Ok(Envelope::Batch(entries)) => {
            let runs = entries.into_iter().map(|e| run(e, router, &dispatch));
            response::batch(join_all(runs).await.into_iter().flatten().collect())
        }
    }
}

/// Runs one element; its response, unless it is a notification.
async fn run<D, F>(entry: Entry, router: &Router, dispatch: &D) -> Option<Bytes>
where
    D: Fn(ByteStr, Bytes) -> F,
    F: Future<Output = Reply>,
{
    let request = match entry {
        Ok(request) => request,
        Err(invalid) => return Some(refusal(invalid.id, INVALID_REQUEST, &invalid.reason)),
    };
    let reply = call(&request, router, dispatch).await;
    request.id.map(|id| response::of_reply(&id, &reply))
}

/// The reply to one valid request.
async fn call<D, F>(request: &Request, router: &Router, dispatch: &D) -> Reply
where
    D: Fn(ByteStr, Bytes) -> F,
    F: Future<Output = Reply>,
{
    if request.method == discover::DISCOVER {
        // Dispatched as the call of the listing it is, so every layer (auth, rate limits)
        // rules on it as on `ferry.reflect.describe`; the document is answered once it passes.
        let listing = dispatch(ByteStr::from(ferry::auth::LISTING), Bytes::new()).await;
        if listing.status != Status::Ok {
            return listing;
        }
        let document = discover::document(router.services());
        return Reply {
            status: Status::Ok,
            body: Bytes::from(document.to_string()),
        };
    }
    let method = match resolve(&request.method, router) {
        Ok(method) => method,
        Err(message) => return Reply::error(Codec::Json, Status::UnknownMethod, &message),
    };
    match args::shape(&request.params, router.method(&method)) {
        Ok(params) => dispatch(ByteStr::from(method), params).await,
        Err(unfit) => Reply::error(Codec::Json, Status::InvalidArgs, &unfit.message(&method)),
    }
}

/// The full name a requested name stands for, or why there is none. A name no service has is
/// dispatched as it is, so that layers see the call before it is answered `unknown_method`.
fn resolve(requested: &str, router: &Router) -> Result<String, String> {
    let mut candidates = router.resolve(requested);
    match candidates.len() {
        1 => Ok(candidates.remove(0)),
        0 => Ok(requested.to_owned()),
        _ => Err(format!(
            "Method not found: {requested} is ambiguous; name one of {}",
            candidates.join(", ")
        )),
    }
}

/// The response to a body or element that is not a request.
fn refusal(id: Value, code: i64, message: &str) -> Bytes {
    response::error(
        &id,
        code,
        message,
        json!({"status": Status::Protocol.name()}),
    )
}

/// Whether `body` parses as a request or batch (of the default cap's length at most): the
/// fuzz target's view of the parser.
pub(crate) fn parses(body: &[u8]) -> bool {
    let max = crate::HttpConfig::default().max_batch_len;
    request::parse(body, max).is_ok()
}

#[cfg(test)]
mod tests {
    use std::sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    };

    use ferry::{Call, Context, Dialect, Peer, ReplyFuture};

    use super::*;

    fn router(calls: Arc<AtomicUsize>) -> Router {
        Router::new()
            .function(
                "calc.subtract",
                ["minuend", "subtrahend"],
                |a: i64, b: i64| async move { a - b },
            )
            .try_function(
                "calc.divide",
                ["num1", "num2"],
                |a: f64, b: f64| async move {
                    if b == 0.0 {
                        Err("division by zero".to_owned())
                    } else {
                        Ok(a / b)
                    }
                },
            )
            .function("log.note", ["text"], move |_text: String| {
                let calls = calls.clone();
                async move {
                    calls.fetch_add(1, Ordering::SeqCst);
                }
            })
            .function("a.twice", ["n"], |n: i64| async move { n * 2 })
            .function("b.twice", ["n"], |n: i64| async move { n * 2 })
    }

    /// The longest batch the tests' answers take.
    const CAP: usize = 5;

    /// Answers `body` against the test router, calling handlers directly (no server).
    async fn exchange(body: &str) -> (Option<Value>, usize) {
        let calls = Arc::new(AtomicUsize::new(0));
        let router = router(calls.clone());
        let dispatch = |method: ByteStr, params: Bytes| -> ReplyFuture {
            let Some(handler) = router.handler(&method).cloned() else {
                let reply = Reply::error(Codec::Json, Status::UnknownMethod, "no such method");
                return Box::pin(std::future::ready(reply));
            };
            let ctx = Context::new(method, Dialect::JsonRpc, Peer::Unknown);
            handler(Call::new(Codec::Json, ctx, params))
        };
        let answer = answer(body.as_bytes(), CAP, &router, dispatch).await;
        let parsed = answer.map(|bytes| serde_json::from_slice(&bytes).expect("JSON out"));
        (parsed, calls.load(Ordering::SeqCst))
    }

    async fn single(body: &str) -> Value {
        exchange(body).await.0.expect("an answer")
    }

    #[tokio::test]
    async fn positional_and_named_params() {
        let positional =
            single(r#"{"jsonrpc":"2.0","method":"calc.subtract","params":[42,23],"id":1}"#).await;
        assert_eq!(positional, json!({"jsonrpc": "2.0", "result": 19, "id": 1}));
        let named = single(
            r#"{"jsonrpc":"2.0","method":"calc.subtract","params":{"subtrahend":23,"minuend":42},"id":"x"}"#,
        )
        .await;
        assert_eq!(named, json!({"jsonrpc": "2.0", "result": 19, "id": "x"}));
    }

    #[tokio::test]
    async fn a_notification_runs_and_is_not_answered() {
        let (answer, calls) =
            exchange(r#"{"jsonrpc":"2.0","method":"log.note","params":["hi"]}"#).await;
        assert_eq!((answer, calls), (None, 1));
        let (answer, _) = exchange(r#"{"jsonrpc":"2.0","method":"no.such"}"#).await;
        assert_eq!(answer, None);
    }

    #[tokio::test]
    async fn a_mixed_batch_answers_the_requests_only() {
        let body = r#"[
            {"jsonrpc":"2.0","method":"calc.subtract","params":[1,2],"id":"1"},
            {"jsonrpc":"2.0","method":"log.note","params":["x"]},
            {"jsonrpc":"2.0","method":"calc.divide","params":[1,0],"id":"2"},
            {"foo":"boo"},
            {"jsonrpc":"2.0","method":"foo.get","params":{"name":"myself"},"id":"5"}
        ]"#;
        let (answer, calls) = exchange(body).await;
        let answer = answer.unwrap();
        assert_eq!(calls, 1);
        let answers = answer.as_array().unwrap();
        assert_eq!(answers.len(), 4);
        assert_eq!(answers[0]["result"], -1);
        assert_eq!(answers[1]["error"]["code"], -32000);
        assert_eq!(answers[1]["error"]["data"], "division by zero");
        assert_eq!(answers[2]["error"]["code"], -32600);
        assert_eq!(answers[2]["id"], Value::Null);
        assert_eq!(answers[3]["error"]["code"], -32601);
        assert_eq!(answers[3]["id"], "5");
    }

    #[tokio::test]
    async fn a_batch_over_the_cap_is_one_error_and_runs_nothing() {
        let note = r#"{"jsonrpc":"2.0","method":"log.note","params":["a"]}"#;
        let (answer, calls) = exchange(&format!("[{}]", [note; CAP + 1].join(","))).await;
        let answer = answer.expect("an answer");
        assert_eq!(answer["error"]["code"], -32600, "{answer}");
        assert_eq!(
            answer["error"]["message"],
            "Invalid Request: a batch holds at most 5 calls; this one holds 6: send it in parts"
        );
        assert_eq!(calls, 0);
        let (answer, calls) = exchange(&format!("[{}]", [note; CAP].join(","))).await;
        assert_eq!((answer, calls), (None, CAP));
    }

    #[tokio::test]
    async fn a_batch_of_notifications_is_not_answered() {
        let body = r#"[{"jsonrpc":"2.0","method":"log.note","params":["a"]},
                       {"jsonrpc":"2.0","method":"log.note","params":["b"]}]"#;
        assert_eq!(exchange(body).await, (None, 2));
    }

    #[tokio::test]
    async fn empty_batch_invalid_json_and_invalid_elements() {
        let empty = single("[]").await;
        assert_eq!(empty["error"]["code"], -32600);
        assert_eq!(empty["id"], Value::Null);
        let broken = single(r#"{"jsonrpc":"2.0","method":"foobar,"params":"bar","baz]"#).await;
        assert_eq!(broken["error"]["code"], -32700);
        let numbers = single("[1,2,3]").await;
        let codes: Vec<&Value> = numbers
            .as_array()
            .unwrap()
            .iter()
            .map(|a| &a["error"]["code"])
            .collect();
        assert_eq!(codes, [&json!(-32600); 3]);
    }

    #[tokio::test]
    async fn unknown_ambiguous_bare_and_invalid_params() {
        let unknown = single(r#"{"jsonrpc":"2.0","method":"foobar","id":"1"}"#).await;
        assert_eq!(unknown["error"]["code"], -32601);
        let ambiguous = single(r#"{"jsonrpc":"2.0","method":"twice","params":[1],"id":1}"#).await;
        let message = ambiguous["error"]["message"].as_str().unwrap();
        assert!(message.contains("a.twice, b.twice"), "{message}");
        let bare = single(r#"{"jsonrpc":"2.0","method":"subtract","params":[3,1],"id":1}"#).await;
        assert_eq!(bare["result"], 2);
        let invalid =
            single(r#"{"jsonrpc":"2.0","method":"calc.subtract","params":["x"],"id":1}"#).await;
        assert_eq!(invalid["error"]["code"], -32602);
        assert_eq!(invalid["error"]["data"]["status"], "invalid_args");
    }

    #[tokio::test]
    async fn rpc_discover_answers_the_openrpc_document() {
        let document = single(r#"{"jsonrpc":"2.0","method":"rpc.discover","id":1}"#).await;
        let methods = document["result"]["methods"].as_array().unwrap();
        assert!(methods.iter().any(|m| m["name"] == "calc.subtract"));
    }
}
