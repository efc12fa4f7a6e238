//! One status vocabulary, three spellings: the HTTP status, the JSON-RPC error code and the
//! XML-RPC fault code of each ferry [`Status`].

use ferry::Status;
use http::StatusCode;

/// The HTTP status REST answers with.
pub fn http_status(status: Status) -> StatusCode {
    match status {
        Status::Ok => StatusCode::OK,
        Status::Application => StatusCode::UNPROCESSABLE_ENTITY,
        Status::UnknownMethod | Status::NotFound => StatusCode::NOT_FOUND,
        Status::InvalidArgs | Status::Protocol => StatusCode::BAD_REQUEST,
        Status::DeadlineExceeded => StatusCode::GATEWAY_TIMEOUT,
        Status::Cancelled => StatusCode::from_u16(499).expect("499 is a valid status"),
        Status::Overloaded | Status::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        Status::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        Status::Unauthenticated => StatusCode::UNAUTHORIZED,
        Status::PermissionDenied => StatusCode::FORBIDDEN,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The JSON-RPC 2.0 error code. `protocol` is -32600 (invalid request) here; a body that is not
/// JSON at all is -32700, decided where it is parsed.
pub fn jsonrpc_code(status: Status) -> i64 {
    match status {
        Status::Application => -32000,
        Status::UnknownMethod => -32601,
        Status::InvalidArgs => -32602,
        Status::DeadlineExceeded => -32003,
        Status::Cancelled => -32004,
        Status::Overloaded => -32005,
        Status::Unavailable => -32006,
        Status::TooLarge => -32007,
        Status::Unauthenticated => -32008,
        Status::PermissionDenied => -32009,
        Status::Protocol => -32600,
        Status::NotFound => -32010,
        _ => -32603,
    }
}

/// The XML-RPC `faultCode`: the JSON-RPC code, except that a handler's own error is 1.
pub fn fault_code(status: Status) -> i64 {
    match status {
        Status::Application => 1,
        other => jsonrpc_code(other),
    }
}

/// The status a JSON-RPC error code or XML-RPC fault code stands for, for clients.
pub fn status_of_code(code: i64) -> Status {
    match code {
        1 => Status::Application,
        -32700 => Status::Protocol,
        _ => (1..=u8::MAX)
            .map_while(Status::from_u8)
            .find(|status| jsonrpc_code(*status) == code)
            .unwrap_or(if (-32099..=-32000).contains(&code) {
                Status::Application
            } else {
                Status::Internal
            }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_status_round_trips_through_its_code() {
        for code in 1..=13u8 {
            let status = Status::from_u8(code).expect("a known status");
            assert_eq!(status_of_code(jsonrpc_code(status)), status, "{status:?}");
            assert_eq!(status_of_code(fault_code(status)), status, "{status:?}");
        }
    }

    #[test]
    fn follows_the_design_table() {
        assert_eq!(http_status(Status::Application), 422);
        assert_eq!(http_status(Status::Cancelled), 499);
        assert_eq!(jsonrpc_code(Status::Application), -32000);
        assert_eq!(fault_code(Status::Application), 1);
        assert_eq!(jsonrpc_code(Status::Internal), -32603);
        assert_eq!(status_of_code(-32700), Status::Protocol);
        assert_eq!(status_of_code(-32050), Status::Application);
    }
}
