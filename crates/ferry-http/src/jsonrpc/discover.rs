//! `rpc.discover`: the OpenRPC 1.x document of every method, built from the descriptors.

use ferry::{MethodDescriptor, ServiceDescriptor, Status};
use serde_json::{json, Value};

use crate::{
    codes::jsonrpc_code,
    schema::{is_optional, Components},
};

/// The method name OpenRPC reserves for the document.
pub(super) const DISCOVER: &str = "rpc.discover";

/// The OpenRPC version the document follows.
const OPENRPC: &str = "1.2.6";

/// The OpenRPC document describing `services`.
pub(super) fn document(services: &[ServiceDescriptor]) -> Value {
    let mut components = Components::default();
    let mut methods = Vec::new();
    for service in services {
        for method in &service.methods {
            methods.push(describe(&service.name, method, &mut components));
        }
    }
    json!({
        "openrpc": OPENRPC,
        "info": {
            "title": "ferry",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Every method of this ferry server, as JSON-RPC 2.0 at POST /jsonrpc.",
        },
        "methods": methods,
        "components": {"schemas": components.into_schemas()},
    })
}

/// One method object.
fn describe(service: &str, method: &MethodDescriptor, components: &mut Components) -> Value {
    let params: Vec<Value> = method
        .params
        .iter()
        .map(|param| {
            json!({
                "name": param.name,
                "required": !is_optional(param),
                "schema": components.param(param),
            })
        })
        .collect();
    json!({
        "name": format!("{service}.{}", method.name),
        "description": method.doc,
        "paramStructure": "either",
        "params": params,
        "result": {"name": "result", "schema": components.embed(&method.result)},
        "errors": errors(method, components),
    })
}

/// The errors a call may end with: the handler's own, then the ones every call may meet.
fn errors(method: &MethodDescriptor, components: &mut Components) -> Vec<Value> {
    let mut errors = Vec::new();
    if let Some(schema) = &method.error {
        errors.push(json!({
            "code": jsonrpc_code(Status::Application),
            "message": "the method's own error, carried in data",
            "data": components.embed(schema),
        }));
    }
    let common = [
        (
            Status::InvalidArgs,
            "the arguments do not fit the parameters",
        ),
        (
            Status::DeadlineExceeded,
            "the x-ferry-timeout deadline passed",
        ),
        (Status::Internal, "the handler failed unexpectedly"),
    ];
    errors.extend(
        common
            .into_iter()
            .map(|(status, message)| json!({"code": jsonrpc_code(status), "message": message})),
    );
    errors
}

#[cfg(test)]
mod tests {
    use ferry::Router;

    use super::*;

    #[test]
    fn every_method_is_described_with_its_schemas() {
        let router = Router::new()
            .function(
                "math.mul",
                ["a", "b"],
                |a: i64, b: i64| async move { a * b },
            )
            .try_function("math.root", ["x"], |x: f64| async move {
                if x < 0.0 {
                    Err(format!("{x} is negative"))
                } else {
                    Ok(x.sqrt())
                }
            });
        let document = document(router.services());
        assert_eq!(document["openrpc"], OPENRPC);
        let methods = document["methods"].as_array().unwrap();
        let mul = methods.iter().find(|m| m["name"] == "math.mul").unwrap();
        assert_eq!(mul["params"][0]["name"], "a");
        assert_eq!(mul["params"][0]["required"], true);
        assert_eq!(mul["params"][0]["schema"]["type"], "integer");
        assert!(mul["params"][0]["schema"].get("$schema").is_none());
        assert_eq!(mul["result"]["schema"]["type"], "integer");
        let root = methods.iter().find(|m| m["name"] == "math.root").unwrap();
        assert_eq!(root["errors"][0]["code"], -32000);
        assert_eq!(root["errors"][0]["data"]["type"], "string");
        assert!(methods
            .iter()
            .any(|m| m["name"] == "ferry.reflect.describe"));
    }
}
