//! What a stream's two ends need from the connection that carries it.

use bytes::Bytes;

use ferry_wire::Status;

/// The connection side of a stream: where a [`Sink`](super::Sink) puts its frames and a
/// source reports what its consumer took. Each dialect's connection implements it.
pub(crate) trait Port: Send + Sync + 'static {
    /// Queues one item frame of `call_id` whose body is `head` then `body` (the head is the
    /// few bytes of an encoding, so a large payload goes out without being copied behind
    /// them); the sender has spent the credit for it.
    fn item(&self, call_id: u32, head: Bytes, body: Bytes, more: bool);

    /// The consumer took items costing `cost`: the receive window may grant credit.
    fn taken(&self, call_id: u32, cost: u64);

    /// The consumer of `call_id`'s incoming stream is gone: the peer is to stop sending.
    fn stop_reading(&self, call_id: u32);

    /// The sender's stream ends with `status`, and for any status but ok, a one-line
    /// `message`. Only a caller's stream says so: a handler's ends with its answer, so a
    /// server's port leaves this as it is, doing nothing.
    fn end(&self, _call_id: u32, _status: Status, _message: &str) {}
}
