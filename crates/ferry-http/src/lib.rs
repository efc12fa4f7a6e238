//! The HTTP side of a ferry server's one port: JSON-RPC 2.0, XML-RPC, REST/JSON, health and
//! static files, all dispatching into the same router as the native protocol.
