//! The server's side of a stream's port: a handler's sink and source reach the connection's
//! task through the channel its answers take, so items and answers leave in the order they
//! were made.

use bytes::Bytes;
use tokio::sync::mpsc;

use ferry_wire::Response;

use crate::stream::Port;

/// What handlers hand the connection's task.
#[derive(Debug)]
pub(super) enum Outbound {
    /// A call's answer: the call is over.
    Answer(Response),
    /// An item frame of a handler's stream: `head` then `body`.
    Item {
        call_id: u32,
        head: Bytes,
        body: Bytes,
        more: bool,
    },
    /// A handler took items of its caller's stream costing `cost`.
    Taken { call_id: u32, cost: u64 },
    /// A handler stopped reading its caller's stream.
    StopReading { call_id: u32 },
}

/// The port every stream of one connection shares.
#[derive(Debug)]
pub(super) struct ServerPort {
    pub(super) outbound: mpsc::UnboundedSender<Outbound>,
}

impl Port for ServerPort {
    fn item(&self, call_id: u32, head: Bytes, body: Bytes, more: bool) {
        let item = Outbound::Item {
            call_id,
            head,
            body,
            more,
        };
        let _ = self.outbound.send(item);
    }

    fn taken(&self, call_id: u32, cost: u64) {
        let _ = self.outbound.send(Outbound::Taken { call_id, cost });
    }

    fn stop_reading(&self, call_id: u32) {
        let _ = self.outbound.send(Outbound::StopReading { call_id });
    }
}
