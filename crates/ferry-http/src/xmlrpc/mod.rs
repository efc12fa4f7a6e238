//! XML-RPC at `POST /RPC2`: Python's standard `xmlrpc.client` and every other XML-RPC client
//! call the router's methods by their full names.
//!
//! A call and its answer on the wire (`ServerProxy(url).calc.add(1, 2)`):
//!
//! ```text
//! POST /RPC2 HTTP/1.1
//! Content-Type: text/xml
//!
//! <?xml version='1.0'?>
//! <methodCall><methodName>calc.add</methodName>
//! <params><param><value><int>1</int></value></param><param><value><int>2</int></value></param></params>
//! </methodCall>
//!
//! HTTP/1.1 200 OK
//! content-type: text/xml
//!
//! <?xml version="1.0" encoding="UTF-8"?>
//! <methodResponse><params><param><value><int>3</int></value></param></params></methodResponse>
//! ```
//!
//! The parameters reach the handler as a positional JSON array (see [`value`] for the type
//! mapping both ways); an error comes back as a `<fault>` whose `faultCode` is
//! [`crate::codes::fault_code`] of its status (1 for the handler's own error) and whose
//! `faultString` is its one-line message. `system.listMethods`, `system.methodHelp`,
//! `system.methodSignature` and `system.multicall` are answered here, not by the router.
//!
//! The same reader and writer serve [`crate::client::XmlRpcClient`].

mod introspect;
mod multicall;
pub(crate) mod parse;
pub(crate) mod schema;
#[cfg(test)]
mod tests;
pub(crate) mod value;
pub(crate) mod write;

use bytes::Bytes;
use ferry::{server::Dispatcher, ByteStr, Dialect, ErrorObject, Reply, Status};

use crate::{caller::Caller, codes::fault_code};
use parse::MethodCall;
use schema::Schema;
use value::{Hinted, Value};

/// An XML-RPC fault: a code and a one-line message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Fault {
    /// The `faultCode`.
    pub(crate) code: i64,
    /// The `faultString`.
    pub(crate) message: String,
}

impl Fault {
    /// A fault with `code` and `message`.
    pub(crate) fn new(code: i64, message: impl Into<String>) -> Fault {
        let message = message.into();
        Fault { code, message }
    }

    /// The fault of a ferry status.
    pub(crate) fn of_status(status: Status, message: impl Into<String>) -> Fault {
        Fault::new(fault_code(status), message)
    }

    /// The `{faultCode, faultString}` struct.
    pub(crate) fn to_value(&self) -> Value {
        Value::Struct(vec![
            ("faultCode".to_owned(), Value::Int(self.code)),
            (
                "faultString".to_owned(),
                Value::String(self.message.clone()),
            ),
        ])
    }

    /// Reads a `{faultCode, faultString}` struct; other members are ignored.
    pub(crate) fn from_value(value: Value) -> Option<Fault> {
        let Value::Struct(members) = value else {
            return None;
        };
        let mut code = None;
        let mut message = None;
        for (name, member) in members {
            match (name.as_str(), member) {
                ("faultCode", Value::Int(int)) => code = Some(int),
                ("faultString", Value::String(text)) => message = Some(text),
                _ => {}
            }
        }
        Some(Fault::new(code?, message?))
    }
}

/// The XML `methodResponse` answering one request body; a `system.multicall` of more than
/// `max_batch_len` calls is one fault.
pub(crate) async fn answer(
    body: &[u8],
    max_batch_len: usize,
    dispatcher: &Dispatcher,
    caller: &Caller,
) -> Bytes {
    let outcome = match parse::method_call(body) {
        Ok(call) if call.name == multicall::NAME => {
            multicall::run(call.params, max_batch_len, dispatcher, caller).await
        }
        Ok(call) => run_one(call, dispatcher, caller).await,
        Err(err) => Err(err.into_fault()),
    };
    match outcome {
        Ok(result) => write::response(&result),
        Err(fault) => write::fault(&fault),
    }
}

/// Runs one call that is not a multicall: introspection here, anything else by the router.
async fn run_one(
    call: MethodCall,
    dispatcher: &Dispatcher,
    caller: &Caller,
) -> Result<Value, Fault> {
    if !introspect::is_introspection(&call.name) {
        return dispatch(call, dispatcher, caller).await;
    }
    // Dispatched as the call of the listing it is, so every layer (auth, rate limits) rules
    // on it as on `ferry.reflect.describe`; introspection is answered once it passes.
    let listing = ByteStr::from(ferry::auth::LISTING);
    let reply = dispatcher
        .dispatch(caller.call(Dialect::XmlRpc, listing, Bytes::new()))
        .await;
    if reply.status != Status::Ok {
        return Err(fault_of(&reply));
    }
    introspect::answer(&call.name, &call.params, dispatcher.router())
}

/// Runs a router method with the parameters as a positional JSON array.
async fn dispatch(
    call: MethodCall,
    dispatcher: &Dispatcher,
    caller: &Caller,
) -> Result<Value, Fault> {
    let body = value::arguments(&call.params, dispatcher.router().method(&call.name))
        .map_err(|err| Fault::of_status(Status::InvalidArgs, err.to_string()))?;
    let method = ByteStr::from(call.name.as_str());
    let reply = dispatcher
        .dispatch(caller.call_in(value::CODEC, Dialect::XmlRpc, method, body))
        .await;
    if reply.status != Status::Ok {
        return Err(fault_of(&reply));
    }
    let schema = dispatcher
        .router()
        .method(&call.name)
        .map(|method| &method.result);
    let hinted = Hinted(schema.map_or(Schema::ANY, Schema::new));
    value::CODEC
        .decode_seed(&reply.body, hinted)
        .map_err(|err| {
            Fault::of_status(
                Status::Internal,
                format!("the result does not decode: {err}"),
            )
        })
}

/// The fault of a non-ok reply, carrying its error object's message.
fn fault_of(reply: &Reply) -> Fault {
    match value::CODEC.decode::<ErrorObject<ferry::Value>>(&reply.body) {
        Ok(object) => Fault::of_status(reply.status, object.message),
        Err(err) => Fault::of_status(
            reply.status,
            format!(
                "the call failed with {} and an unreadable error: {err}",
                reply.status
            ),
        ),
    }
}
