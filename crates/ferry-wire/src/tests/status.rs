//! The status table: byte, name, order.

use crate::Status;

/// The table in `docs/PROTOCOL.md`.
const TABLE: [(u8, &str, Status); 14] = [
    (0, "ok", Status::Ok),
    (1, "application", Status::Application),
    (2, "unknown_method", Status::UnknownMethod),
    (3, "invalid_args", Status::InvalidArgs),
    (4, "deadline_exceeded", Status::DeadlineExceeded),
    (5, "cancelled", Status::Cancelled),
    (6, "overloaded", Status::Overloaded),
    (7, "unavailable", Status::Unavailable),
    (8, "too_large", Status::TooLarge),
    (9, "unauthenticated", Status::Unauthenticated),
    (10, "permission_denied", Status::PermissionDenied),
    (11, "internal", Status::Internal),
    (12, "protocol", Status::Protocol),
    (13, "not_found", Status::NotFound),
];

#[test]
fn table_matches() {
    assert_eq!(Status::ALL.len(), TABLE.len());
    for (i, (byte, name, status)) in TABLE.into_iter().enumerate() {
        assert_eq!(Status::ALL[i], status, "ALL is in wire order");
        assert_eq!(status.as_u8(), byte);
        assert_eq!(status as u8, byte);
        assert_eq!(status.name(), name);
        assert_eq!(status.to_string(), name);
        assert_eq!(Status::from_u8(byte), Some(status));
        assert_eq!(Status::from_name(name), Some(status));
    }
}

#[test]
fn round_trips() {
    for status in Status::ALL {
        assert_eq!(Status::from_u8(status.as_u8()), Some(status));
        assert_eq!(Status::from_name(status.name()), Some(status));
    }
}

#[test]
fn unknown_bytes_and_names() {
    for byte in 14..=u8::MAX {
        assert_eq!(Status::from_u8(byte), None, "byte {byte}");
    }
    for name in [
        "",
        "OK",
        "Ok",
        "ok ",
        "unknown-method",
        "UnknownMethod",
        "timeout",
        "error",
    ] {
        assert_eq!(Status::from_name(name), None, "name {name:?}");
    }
}
