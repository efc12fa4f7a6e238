//! The tonic stream server, with tonic's defaults (which set TCP_NODELAY and leave hyper's HTTP/2
//! windows as they are).

use bytes::Bytes;
use futures_util::{stream, stream::BoxStream, StreamExt as _};
use tokio::net::TcpListener;
use tonic::{
    transport::{server::TcpIncoming, Server},
    Request, Response, Status, Streaming,
};

use crate::{
    proto::{
        pump_server::{Pump, PumpServer},
        Chunk, SourceRequest, Total,
    },
    FILL, MAX_CHUNK,
};

/// The service implementation.
#[derive(Debug, Clone, Copy)]
pub struct PumpService;

#[tonic::async_trait]
impl Pump for PumpService {
    type SourceStream = BoxStream<'static, Result<Chunk, Status>>;

    async fn source(
        &self,
        request: Request<SourceRequest>,
    ) -> Result<Response<Self::SourceStream>, Status> {
        let SourceRequest { chunk, count } = request.into_inner();
        let chunk = chunk as usize;
        if chunk == 0 || chunk > MAX_CHUNK {
            return Err(Status::invalid_argument(format!(
                "chunk of {chunk} bytes refused: 1 to {MAX_CHUNK}"
            )));
        }
        // One buffer per call, sent as clones: what the server pays per item is tonic's.
        let data = Bytes::from(vec![FILL; chunk]);
        // An endless stream ends when the client resets it: tonic then drops it.
        let items = stream::repeat_with(move || Ok(Chunk { data: data.clone() }));
        let items = match count {
            0 => items.boxed(),
            count => items.take(count as usize).boxed(),
        };
        Ok(Response::new(items))
    }

    async fn sink(&self, request: Request<Streaming<Chunk>>) -> Result<Response<Total>, Status> {
        let mut chunks = request.into_inner();
        let mut total = Total { bytes: 0, items: 0 };
        while let Some(chunk) = chunks.message().await? {
            total.bytes += chunk.data.len() as u64;
            total.items += 1;
        }
        Ok(Response::new(total))
    }
}

/// Serves until the process ends.
pub async fn serve(listener: TcpListener) -> Result<(), tonic::transport::Error> {
    let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
    Server::builder()
        .add_service(PumpServer::new(PumpService))
        .serve_with_incoming(incoming)
        .await
}
