//! `GET /api/openapi.json`: the OpenAPI 3.1 document of every route, built from the descriptors.

use ferry::{MethodDescriptor, ParamDescriptor, ServiceDescriptor, Status};
use http::Method;
use serde_json::{json, Map, Value};

use super::streaming::{EVENT_STREAM, NDJSON};
use crate::{
    codes::http_status,
    schema::{is_optional, Components},
};

/// The OpenAPI version the document follows (its schemas are JSON Schema 2020-12, as the
/// descriptors' are).
const OPENAPI: &str = "3.1.0";

/// Where the error object's schema sits.
const ERROR: &str = "#/components/schemas/Error";

/// The OpenAPI document describing `services`' REST routes and the fixed ones.
pub(crate) fn document(services: &[ServiceDescriptor]) -> Value {
    let mut components = Components::default();
    let mut paths = fixed_paths();
    for service in services {
        for method in &service.methods {
            let path = format!("/api/{}/{}", service.name, method.name);
            let item = path_item(&service.name, method, &mut components);
            paths.insert(path, item);
        }
    }
    let mut schemas = components.into_schemas();
    schemas.insert("Error".to_owned(), error_schema());
    json!({
        "openapi": OPENAPI,
        "info": {
            "title": "ferry",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Every method of this ferry server as REST/JSON; the same methods \
                            answer JSON-RPC 2.0 at POST /jsonrpc and XML-RPC at POST /RPC2.",
        },
        "paths": paths,
        "components": {"schemas": schemas},
    })
}

/// The operations of one method, one for each HTTP method its route takes
/// ([`super::methods_of`]): `POST` with a body of arguments (or, for a method that takes a
/// stream, the stream, its arguments in the query), `GET` with the arguments in the query.
fn path_item(service: &str, method: &MethodDescriptor, components: &mut Components) -> Value {
    let full_name = format!("{service}.{}", method.name);
    let params: Vec<(&ParamDescriptor, Value)> = method
        .params
        .iter()
        .map(|param| (param, components.param(param)))
        .collect();
    let responses = responses(method, components);
    let summary = method.doc.lines().next().unwrap_or_default();
    let mut item = Map::new();
    for http_method in super::methods_of(Some(method)) {
        let mut operation = json!({
            "operationId": full_name,
            "summary": summary,
            "description": method.doc,
            "tags": [service],
            "responses": responses,
        });
        if *http_method == Method::GET {
            operation["operationId"] = Value::from(format!("{full_name}.get"));
            operation["parameters"] = Value::Array(query_parameters(&params));
        } else if let Some(items) = &method.client_stream {
            operation["parameters"] = Value::Array(query_parameters(&params));
            operation["requestBody"] = stream_body(components.embed(items));
        } else {
            operation["requestBody"] = request_body(&params);
        }
        item.insert(http_method.as_str().to_ascii_lowercase(), operation);
    }
    Value::Object(item)
}

/// The caller's stream: NDJSON, one item per line.
fn stream_body(items: Value) -> Value {
    json!({
        "required": true,
        "description": "the stream the method takes: one JSON value per line",
        "content": {NDJSON: {"schema": items}},
    })
}

/// What a method that streams back answers: its items, as NDJSON or as Server-Sent Events.
fn stream_answer(items: Value) -> Value {
    json!({
        "description": "the items as they come: one JSON value per line, or one `data:` event \
                        each with Accept: text/event-stream; an error after the first item is a \
                        last line {\"error\": {...}} (event: error); an event stream ends with \
                        event: end",
        "content": {NDJSON: {"schema": items}, EVENT_STREAM: {"schema": items}},
    })
}

/// A JSON object of named arguments, or an array of positional ones.
fn request_body(params: &[(&ParamDescriptor, Value)]) -> Value {
    let properties: Map<String, Value> = params
        .iter()
        .map(|(param, schema)| (param.name.clone(), schema.clone()))
        .collect();
    let required: Vec<&str> = params
        .iter()
        .filter(|(param, _)| !is_optional(param))
        .map(|(param, _)| param.name.as_str())
        .collect();
    let min_items = params
        .iter()
        .rposition(|(param, _)| !is_optional(param))
        .map_or(0, |last| last + 1);
    let named = json!({"type": "object", "properties": properties, "required": required});
    let mut positional = json!({"type": "array", "minItems": min_items, "maxItems": params.len()});
    // JSON Schema wants a non-empty prefixItems: no parameters is maxItems 0 alone.
    if !params.is_empty() {
        let items = params.iter().map(|(_, schema)| schema.clone()).collect();
        positional["prefixItems"] = Value::Array(items);
    }
    json!({
        "required": !required.is_empty(),
        "content": {"application/json": {"schema": {"oneOf": [named, positional]}}},
    })
}

fn query_parameters(params: &[(&ParamDescriptor, Value)]) -> Vec<Value> {
    params
        .iter()
        .map(|(param, schema)| {
            let required = !is_optional(param);
            json!({"name": param.name, "in": "query", "required": required, "schema": schema})
        })
        .collect()
}

/// The result, the method's own error, and the errors any call may meet.
fn responses(method: &MethodDescriptor, components: &mut Components) -> Value {
    let mut responses = match &method.server_stream {
        Some(items) => json!({"200": stream_answer(components.embed(items))}),
        None => json!({
            "200": {
                "description": "the result",
                "content": {"application/json": {"schema": components.embed(&method.result)}},
            }
        }),
    };
    if let Some(schema) = &method.error {
        let schema = json!({"allOf": [
            {"$ref": ERROR},
            {"properties": {"error": {"properties": {"data": components.embed(schema)}}}},
        ]});
        responses[code(Status::Application)] = json!({
            "description": "the method's own error, in error.data",
            "content": {"application/json": {"schema": schema}},
        });
    }
    let common = [
        (
            Status::InvalidArgs,
            "the arguments do not fit the parameters, or the body is not JSON",
        ),
        (Status::UnknownMethod, "no such method"),
        (Status::TooLarge, "the body is over the server's limit"),
        (
            Status::DeadlineExceeded,
            "the x-ferry-timeout deadline passed",
        ),
        (Status::Internal, "the handler failed unexpectedly"),
    ];
    for (status, description) in common {
        responses[code(status)] = error_response(description);
    }
    responses
}

fn code(status: Status) -> String {
    http_status(status).as_u16().to_string()
}

fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": {"$ref": ERROR}}},
    })
}

/// `{"error": {"status", "message", "data"}}`.
fn error_schema() -> Value {
    let statuses: Vec<&str> = Status::ALL
        .into_iter()
        .filter(|status| *status != Status::Ok)
        .map(Status::name)
        .collect();
    json!({
        "type": "object",
        "required": ["error"],
        "properties": {"error": {
            "type": "object",
            "required": ["status", "message"],
            "properties": {
                "status": {"type": "string", "enum": statuses},
                "message": {"type": "string", "description": "what happened, in one line"},
                "data": {"description": "the method's own error, for status application"},
            },
        }},
    })
}

/// `/healthz`, this document, `/jsonrpc` and `/RPC2`.
fn fixed_paths() -> Map<String, Value> {
    let mut paths = Map::new();
    paths.insert(
        "/healthz".to_owned(),
        get_and_head(json!({
            "operationId": "healthz",
            "summary": "whether the server takes calls",
            "responses": {
                "200": {"description": "serving", "content": {"application/json": {"schema": {
                    "type": "object", "properties": {"status": {"const": "ok"}}}}}},
                "503": {"description": "shutting down"},
            },
        })),
    );
    paths.insert(
        super::OPENAPI.to_owned(),
        get_and_head(json!({
            "operationId": "openapi",
            "summary": "this document",
            "responses": {"200": {"description": "the OpenAPI document of every route",
                                  "content": {"application/json": {"schema": {"type": "object"}}}}},
        })),
    );
    paths.insert(
        "/jsonrpc".to_owned(),
        json!({"post": {
            "operationId": "jsonrpc",
            "summary": "JSON-RPC 2.0; the method list is the OpenRPC document rpc.discover answers",
            "requestBody": {"required": true, "content": {"application/json": {"schema": {}}}},
            "responses": {
                "200": {"description": "the response object, or the array answering a batch"},
                "204": {"description": "only notifications: nothing to answer"},
            },
        }}),
    );
    paths.insert("/RPC2".to_owned(), json!({"post": {
        "operationId": "xmlrpc",
        "summary": "XML-RPC: a methodCall in, a methodResponse out",
        "requestBody": {"required": true, "content": {"text/xml": {"schema": {"type": "string"}}}},
        "responses": {"200": {"description": "the methodResponse (a fault for a failed call)"}},
    }}));
    paths
}

/// A `GET` operation and the `HEAD` the route also takes.
fn get_and_head(get: Value) -> Value {
    let mut head = get.clone();
    head["operationId"] = Value::from(format!(
        "{}.head",
        get["operationId"].as_str().unwrap_or_default()
    ));
    json!({"get": get, "head": head})
}

#[cfg(test)]
mod tests {
    use ferry::Router;

    use super::*;

    #[test]
    fn each_method_has_a_post_and_a_get_with_its_arguments_in_the_query() {
        let router = Router::new()
            .function(
                "math.mul",
                ["a", "b"],
                |a: i64, b: i64| async move { a * b },
            )
            .function("math.pi", [], || async move { std::f64::consts::PI });
        let document = document(router.services());
        assert_eq!(document["openapi"], OPENAPI);
        let mul = &document["paths"]["/api/math/mul"];
        assert_eq!(mul["post"]["operationId"], "math.mul");
        let body = &mul["post"]["requestBody"]["content"]["application/json"]["schema"];
        assert_eq!(body["oneOf"][0]["required"], json!(["a", "b"]));
        assert_eq!(body["oneOf"][1]["minItems"], 2);
        let query = &mul["get"]["parameters"];
        assert_eq!(query[0]["name"], "a");
        assert_eq!(
            (&query[0]["required"], &query[1]["required"]),
            (&json!(true), &json!(true))
        );
        let result = &mul["post"]["responses"]["200"]["content"]["application/json"]["schema"];
        assert_eq!(result["type"], "integer");
        assert_eq!(
            mul["post"]["responses"]["404"]["content"]["application/json"]["schema"]["$ref"],
            ERROR
        );
        assert!(document["paths"]["/api/math/pi"]["get"].is_object());
        let none = &document["paths"]["/api/math/pi"]["post"]["requestBody"]["content"]
            ["application/json"]["schema"]["oneOf"][1];
        assert_eq!(
            none,
            &json!({"type": "array", "minItems": 0, "maxItems": 0})
        );
        assert!(document["components"]["schemas"]["Error"].is_object());
    }

    #[test]
    fn a_method_that_takes_a_stream_is_post_alone() {
        let document = document(ferry_demo::router().services());
        let quotients = document["paths"]["/api/calc/quotients"]
            .as_object()
            .unwrap();
        assert_eq!(quotients.keys().collect::<Vec<_>>(), ["post"]);
        let post = &quotients["post"];
        assert_eq!(post["parameters"][0]["name"], "num1");
        assert_eq!(post["parameters"][0]["required"], true);
        assert!(post["requestBody"]["content"][NDJSON].is_object());
        let count = document["paths"]["/api/echo/count"].as_object().unwrap();
        assert_eq!(count.keys().collect::<Vec<_>>(), ["get", "post"]);
    }

    #[test]
    fn the_method_error_is_a_422_carrying_its_schema() {
        let router = Router::new().try_function("math.root", ["x"], |x: f64| async move {
            if x < 0.0 {
                Err(format!("{x} is negative"))
            } else {
                Ok(x.sqrt())
            }
        });
        let document = document(router.services());
        let own = &document["paths"]["/api/math/root"]["post"]["responses"]["422"];
        let schema = &own["content"]["application/json"]["schema"]["allOf"][1];
        assert_eq!(
            schema["properties"]["error"]["properties"]["data"]["type"],
            "string"
        );
    }
}
