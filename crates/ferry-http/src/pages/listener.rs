//! The pages on a listener of their own (`ferry serve --admin-listen ADDR`): the same pages
//! and `/healthz`, nothing else, so the main port can be opened to callers while the figures
//! stay on loopback.

use std::{convert::Infallible, io, sync::Arc};

use bytes::Bytes;
use ferry::{server::Dispatcher, Peer};
use http::{Request, Response};
use hyper::{body::Incoming, server::conn::http1, service::service_fn};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;

use super::{answer, is_page, method_of, ALLOWED};
use crate::{auth, body, health, refusal::Refusal, HttpConfig};

/// Serves the pages on `listener` until the server behind `dispatcher` shuts down.
pub async fn serve_pages(
    listener: TcpListener,
    dispatcher: Dispatcher,
    config: HttpConfig,
) -> io::Result<()> {
    let config = Arc::new(config);
    loop {
        let (socket, address) = tokio::select! {
            () = dispatcher.closing() => return Ok(()),
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    tracing::warn!(%err, "the pages' listener could not accept; retrying");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let (dispatcher, config) = (dispatcher.clone(), config.clone());
        let header_read_timeout = config.header_read_timeout;
        let peer = Peer::from(address);
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let mut answered = page(&request, &dispatcher, &config, &peer).map(body::full);
                auth::challenge(&mut answered, auth::sends_credentials(&request));
                async move { Ok::<_, Infallible>(answered) }
            });
            let mut builder = http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(header_read_timeout);
            let serving = builder.serve_connection(TokioIo::new(socket), service);
            if let Err(err) = serving.await {
                tracing::debug!(%err, "a connection to the pages ended with an error");
            }
        });
    }
}

fn page(
    request: &Request<Incoming>,
    dispatcher: &Dispatcher,
    config: &HttpConfig,
    peer: &Peer,
) -> Response<Bytes> {
    let path = request.uri().path();
    if !is_page(path) && path != health::PATH {
        return Refusal::no_route(path).into_response();
    }
    if !ALLOWED.contains(request.method()) {
        return Refusal::wrong_method(request.method(), path, &ALLOWED).into_response();
    }
    if path == health::PATH {
        return health::answer(dispatcher.is_closing());
    }
    match auth::admit(request, dispatcher.router(), peer, method_of(path)) {
        Ok(()) => answer(path, dispatcher, config),
        Err(refusal) => refusal.into_response(),
    }
}
