//! Entry points for the cargo-fuzz targets in `fuzz/`: each runs one parser over arbitrary bytes.
//! Not a stable API.

/// Parses `body` as an XML-RPC `methodCall`; whether it parsed.
pub fn xmlrpc_method_call(body: &[u8]) -> bool {
    crate::xmlrpc::parse::method_call(body).is_ok()
}

/// Parses `body` as an XML-RPC `methodResponse`; whether it parsed.
pub fn xmlrpc_method_response(body: &[u8]) -> bool {
    crate::xmlrpc::parse::method_response(body).is_ok()
}

/// Parses `body` as a JSON-RPC 2.0 request or batch; whether it parsed.
pub fn jsonrpc_request(body: &[u8]) -> bool {
    crate::jsonrpc::parses(body)
}
