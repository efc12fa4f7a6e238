//! REST/JSON at `/api/{service}/{method}`, sans-IO: paths to method names, bodies and query
//! strings to JSON arguments, replies to answers.
//!
//! `POST` takes a JSON object of named arguments or a JSON array of positional ones (an empty
//! body is no arguments); whatever its content type, a body that parses as JSON is taken, and a
//! body that does not is 415 when it declares a non-JSON type, 400 otherwise. `GET` takes the
//! query string as named arguments: a value is passed as a string when the parameter's schema
//! says string (bytes: base64, unless it is a JSON array), and otherwise as JSON when it parses
//! (`?a=2&b=3`), as a string when it does not. Either way the arguments are then shaped to the
//! parameters ([`crate::args`]). A method that takes a stream is `POST` alone.
//! The result is the JSON body of a 200; a failure is `{"error": {"status", "message", "data"}}`
//! under the status's HTTP code.

mod openapi;
pub(crate) mod streaming;

use bytes::Bytes;
use ferry::{ErrorObject, MethodDescriptor, Reply, Status};
use http::{HeaderValue, Method, Response, StatusCode};
use percent_encoding::percent_decode_str;
use serde_json::{Map, Value};

pub(crate) use openapi::document;

use crate::{args, refusal::Refusal, respond, xmlrpc::schema::Schema};

/// The path of the OpenAPI document.
pub(crate) const OPENAPI: &str = "/api/openapi.json";

/// The prefix of every REST route.
pub(crate) const PREFIX: &str = "/api/";

/// The full method name `/api/{service}/{method}` names, if the path has that shape.
pub(crate) fn method_of(path: &str) -> Option<String> {
    let (service, method) = path.strip_prefix(PREFIX)?.split_once('/')?;
    let valid = |name: &str| !name.is_empty() && !name.contains('/');
    (valid(service) && valid(method)).then(|| format!("{service}.{method}"))
}

/// The HTTP methods the route of `method` takes, for the router and the document alike: `GET`
/// (arguments in the query) and `POST`, but `POST` alone for a method that takes a stream,
/// whose request body is that stream. A method no service has takes both, to be answered 404.
pub(crate) fn methods_of(method: Option<&MethodDescriptor>) -> &'static [Method] {
    if method.is_some_and(|method| method.client_stream.is_some()) {
        &[Method::POST]
    } else {
        &[Method::GET, Method::POST]
    }
}

/// The JSON arguments of a `POST` body.
pub(crate) fn args_from_body(
    body: &[u8],
    content_type: Option<&HeaderValue>,
) -> Result<Value, Refusal> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Array(Vec::new()));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(args @ (Value::Object(_) | Value::Array(_))) => Ok(args),
        Ok(_) => Err(Refusal::new(
            Status::InvalidArgs,
            "the body must be a JSON object of named arguments or a JSON array of positional ones",
        )),
        Err(err) => Err(not_json(content_type, &err)),
    }
}

/// 415 for a body declared as something else than JSON, 400 for a broken JSON one.
fn not_json(content_type: Option<&HeaderValue>, err: &serde_json::Error) -> Refusal {
    let declared = content_type.and_then(|value| value.to_str().ok());
    match declared {
        Some(declared) if !is_json(declared) && !is_client_default(declared) => {
            let message = format!("the body is {declared}; send application/json");
            Refusal::with_code(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                Status::Protocol,
                message,
            )
        }
        _ => Refusal::new(Status::Protocol, format!("the body is not JSON: {err}")),
    }
}

/// The media type's essence, lowercased.
fn essence(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

fn is_json(content_type: &str) -> bool {
    let essence = essence(content_type);
    essence == "application/json" || essence.ends_with("+json")
}

/// The type curl `-d` and Python's urllib send when told nothing: not a claim about the body.
fn is_client_default(content_type: &str) -> bool {
    essence(content_type) == "application/x-www-form-urlencoded"
}

/// The JSON object of named arguments a `GET` query string holds.
pub(crate) fn args_from_query(
    query: Option<&str>,
    method: Option<&MethodDescriptor>,
) -> Result<Value, Refusal> {
    let mut args = Map::new();
    for pair in query
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
    {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let (name, value) = (form_decode(name)?, form_decode(value)?);
        let value = typed(&name, value, method);
        if args.insert(name.clone(), value).is_some() {
            let message = format!("the query names {name} twice");
            return Err(Refusal::new(Status::InvalidArgs, message));
        }
    }
    Ok(Value::Object(args))
}

/// The arguments of a call of `name`, shaped to its parameters ([`crate::args`]) as the JSON
/// the router decodes.
pub(crate) fn shaped(
    args: &Value,
    name: &str,
    method: Option<&MethodDescriptor>,
) -> Result<Bytes, Refusal> {
    args::shape(args, method)
        .map_err(|unfit| Refusal::new(Status::InvalidArgs, unfit.message(name)))
}

/// A query component with `+` as space and percent escapes decoded.
fn form_decode(component: &str) -> Result<String, Refusal> {
    let spaced = component.replace('+', " ");
    percent_decode_str(&spaced)
        .decode_utf8()
        .map(|text| text.into_owned())
        .map_err(|_| {
            let message = format!("the query component {component:?} is not UTF-8 once decoded");
            Refusal::new(Status::InvalidArgs, message)
        })
}

/// A query value as the JSON the parameter expects: bytes are base64, or a JSON array.
fn typed(name: &str, value: String, method: Option<&MethodDescriptor>) -> Value {
    let param = method.and_then(|m| m.params.iter().find(|p| p.name == name));
    let parsed = || serde_json::from_str(&value).ok();
    match param.map(|param| Schema::new(&param.schema)) {
        Some(schema) if schema.is_bytes() => match parsed() {
            Some(array @ Value::Array(_)) => array,
            _ => Value::String(value),
        },
        Some(schema) if schema.has_type("string") => Value::String(value),
        _ => parsed().unwrap_or(Value::String(value)),
    }
}

/// The answer carrying a call's reply.
pub(crate) fn respond(reply: Reply) -> Response<Bytes> {
    if reply.status == Status::Ok {
        return respond::json(StatusCode::OK, reply.body);
    }
    match serde_json::from_slice::<ErrorObject<Value>>(&reply.body) {
        Ok(object) => respond::error(reply.status, &object.message, object.data),
        Err(err) => {
            let message = format!("the {} error does not decode: {err}", reply.status);
            respond::error(reply.status, &message, None)
        }
    }
}

#[cfg(test)]
mod tests {
    use ferry::{Codec, ParamDescriptor};
    use serde_json::json;

    use super::*;

    fn refused(refusal: Refusal) -> (u16, String) {
        error_status(&refusal.into_response())
    }

    fn error_status(response: &Response<Bytes>) -> (u16, String) {
        let body: Value = serde_json::from_slice(response.body()).unwrap();
        let status = body["error"]["status"].as_str().unwrap().to_owned();
        (response.status().as_u16(), status)
    }

    #[test]
    fn paths_name_methods() {
        assert_eq!(method_of("/api/calc/add").as_deref(), Some("calc.add"));
        assert_eq!(
            method_of("/api/ferry.reflect/describe").as_deref(),
            Some("ferry.reflect.describe")
        );
        for path in [
            "/api/calc",
            "/api/calc/",
            "/api//add",
            "/api/calc/add/x",
            "/calc/add",
        ] {
            assert_eq!(method_of(path), None, "{path}");
        }
    }

    #[test]
    fn bodies_become_arguments() {
        assert_eq!(args_from_body(b"", None).unwrap(), json!([]));
        assert_eq!(args_from_body(b" \n", None).unwrap(), json!([]));
        assert_eq!(args_from_body(b"[1, 2]", None).unwrap(), json!([1, 2]));
        assert_eq!(
            args_from_body(br#"{"a":1}"#, None).unwrap(),
            json!({"a": 1})
        );
        let form = HeaderValue::from_static("application/x-www-form-urlencoded");
        assert!(args_from_body(br#"{"a":1}"#, Some(&form)).is_ok());
    }

    #[test]
    fn bodies_that_are_not_arguments() {
        let scalar = args_from_body(b"5", None).unwrap_err();
        assert_eq!(refused(scalar), (400, "invalid_args".to_owned()));
        let broken = args_from_body(b"{", Some(&HeaderValue::from_static("application/json")));
        assert_eq!(refused(broken.unwrap_err()), (400, "protocol".to_owned()));
        let xml = args_from_body(b"<a/>", Some(&HeaderValue::from_static("text/xml")));
        assert_eq!(refused(xml.unwrap_err()), (415, "protocol".to_owned()));
        let form = HeaderValue::from_static("application/x-www-form-urlencoded");
        assert_eq!(
            refused(args_from_body(b"a=1", Some(&form)).unwrap_err()).0,
            400
        );
    }

    #[test]
    fn query_values_follow_the_parameter_types() {
        let method = MethodDescriptor {
            name: "m".to_owned(),
            doc: String::new(),
            params: vec![
                ParamDescriptor::required::<String>("text"),
                ParamDescriptor::required::<i64>("n"),
                ParamDescriptor::required::<Bytes>("data"),
                ParamDescriptor::required::<Vec<u8>>("more"),
            ],
            result: json!({}),
            error: None,
            idempotent: false,
            client_stream: None,
            server_stream: None,
        };
        let args = args_from_query(Some("text=42&n=42&x=a+b%21"), Some(&method)).unwrap();
        assert_eq!(args, json!({"text": "42", "n": 42, "x": "a b!"}));
        assert_eq!(args_from_query(None, None).unwrap(), json!({}));
        let args = args_from_query(Some("data=MTIz&more=[1,2]&n=2.0"), Some(&method)).unwrap();
        assert_eq!(args, json!({"data": "MTIz", "more": [1, 2], "n": 2.0}));
        assert_eq!(
            refused(args_from_query(Some("a=1&a=2"), None).unwrap_err()).0,
            400
        );
        assert_eq!(
            refused(args_from_query(Some("a=%ff"), None).unwrap_err()).0,
            400
        );
    }

    #[test]
    fn replies_become_answers() {
        let ok = respond(Reply {
            status: Status::Ok,
            body: Bytes::from_static(b"5"),
        });
        assert_eq!((ok.status().as_u16(), &ok.body()[..]), (200, &b"5"[..]));
        let unknown = respond(Reply::error(Codec::Json, Status::UnknownMethod, "no"));
        assert_eq!(error_status(&unknown), (404, "unknown_method".to_owned()));
    }
}
