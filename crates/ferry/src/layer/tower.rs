//! tower's layers on a ferry router: [`Router::tower_layer`](crate::Router::tower_layer) wraps
//! every method's handler in a `tower::Layer`, so `tower::timeout`, `tower::limit`,
//! `tower::load_shed` and layers of your own written for tower apply to ferry methods.
//!
//! ```
//! use std::time::Duration;
//!
//! let router = ferry::Router::new()
//!     .function("util.ping", ["text"], |text: String| async move { text })
//!     .tower_layer(tower::timeout::TimeoutLayer::new(Duration::from_secs(2)));
//! # let _ = router;
//! ```
//!
//! Each `tower_layer` wraps a method's whole handler, readiness included: the layers of one
//! call see each other's `poll_ready` only when they are one layer, so build layers whose
//! readiness matters (load shedding over a concurrency limit) with `tower::ServiceBuilder`:
//! `.tower_layer(ServiceBuilder::new().load_shed().concurrency_limit(64).into_inner())`.
//!
//! A tower layer wraps each method's handler, so, unlike a ferry [`Layer`](super::Layer), it
//! does not see calls of unknown methods, and it costs a future of its own per call (see
//! docs/MIDDLEWARE.md). Its errors become replies: `tower::timeout`'s `Elapsed` is
//! `deadline_exceeded`, `tower::load_shed`'s `Overloaded` is `overloaded`, anything else
//! `internal`, each with the error's message.

use std::{
    convert::Infallible,
    fmt,
    future::poll_fn,
    sync::Arc,
    task::{Context as TaskContext, Poll},
};

use tower::{BoxError, Layer as TowerLayer, Service};

use ferry_wire::Status;

use crate::{Call, Codec, Handler, Reply, ReplyFuture};

/// A ferry handler as a tower `Service<Call>`: what a tower layer wraps.
#[derive(Clone)]
pub struct HandlerService(Handler);

impl fmt::Debug for HandlerService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HandlerService").finish_non_exhaustive()
    }
}

impl Service<Call> for HandlerService {
    type Response = Reply;
    type Error = Infallible;
    type Future = futures_util::future::Map<ReplyFuture, fn(Reply) -> Result<Reply, Infallible>>;

    fn poll_ready(&mut self, _: &mut TaskContext<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, call: Call) -> Self::Future {
        futures_util::FutureExt::map((self.0)(call), Ok)
    }
}

/// Turns a handler into the handler that runs it inside a tower layer.
pub(crate) type Wrapper = Arc<dyn Fn(Handler) -> Handler + Send + Sync>;

/// The wrapper that puts every handler inside `layer`.
pub(crate) fn wrapper<L>(layer: L) -> Wrapper
where
    L: TowerLayer<HandlerService> + Send + Sync + 'static,
    L::Service: Service<Call, Response = Reply> + Clone + Send + Sync + 'static,
    <L::Service as Service<Call>>::Error: Into<BoxError>,
    <L::Service as Service<Call>>::Future: Send + 'static,
{
    Arc::new(move |handler: Handler| {
        let service = layer.layer(HandlerService(handler));
        Arc::new(move |call: Call| -> ReplyFuture {
            let service = service.clone();
            Box::pin(run(service, call))
        })
    })
}

/// Waits until `service` is ready, then runs `call` through it.
async fn run<S>(mut service: S, call: Call) -> Reply
where
    S: Service<Call, Response = Reply>,
    S::Error: Into<BoxError>,
{
    let codec = call.codec();
    if let Err(err) = poll_fn(|cx| service.poll_ready(cx)).await {
        return refusal(codec, err.into());
    }
    service
        .call(call)
        .await
        .unwrap_or_else(|err| refusal(codec, err.into()))
}

/// The reply standing in for a tower layer's error.
fn refusal(codec: Codec, err: BoxError) -> Reply {
    let status = if err.is::<tower::timeout::error::Elapsed>() {
        Status::DeadlineExceeded
    } else if err.is::<tower::load_shed::error::Overloaded>() {
        Status::Overloaded
    } else {
        Status::Internal
    };
    Reply::error(codec, status, &err.to_string())
}
