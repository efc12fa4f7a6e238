//! tonic gRPC streams of bytes, one way each, with tonic's defaults: `Pump.Source` streams chunks
//! from the server (down), `Pump.Sink` takes a stream of chunks from the client (up) and answers
//! the total. Both on one HTTP/2 connection per client.

pub mod client;
pub mod server;

/// The code generated from `proto/stream.proto`.
#[allow(missing_docs, unreachable_pub)] // generated: documented by the .proto, not here
pub mod proto {
    tonic::include_proto!("stream");
}

/// The largest chunk either side accepts: tonic's default limit on a received message is 4 MiB,
/// and a chunk travels with a few bytes of protobuf framing.
pub const MAX_CHUNK: usize = 4 * 1024 * 1024 - 64;

/// The byte every chunk is filled with.
const FILL: u8 = 0xa5;
