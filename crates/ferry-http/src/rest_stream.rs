//! The I/O side of REST streams: an NDJSON request body fed to a handler's source as it
//! arrives, and a handler's items written as NDJSON or Server-Sent Events as they come. The
//! handler runs inside the answer's body: a client that goes away drops it.

use std::{
    future::{poll_fn, Future},
    pin::Pin,
    task::Poll,
    time::Duration,
};

use bytes::Bytes;
use ferry::{
    server::Dispatcher,
    stream::{ItemFeed, ItemTap, LocalStreams},
    Call, Codec, Reply,
};
use futures_util::{
    future::{select, Either},
    stream, StreamExt,
};
use http::{header, HeaderValue, Response, StatusCode};
use http_body_util::{BodyExt, StreamBody};
use hyper::body::{Frame, Incoming};

use crate::{
    body::{self, ResponseBody},
    rest::{
        self,
        streaming::{Format, Lines},
    },
};

/// A call on its way to its reply.
type Running = Pin<Box<dyn Future<Output = Reply> + Send>>;

/// Dispatches a streaming `call` whose `local` streams the dialect carries: feeds it the
/// NDJSON of `body` (for a method that takes a stream), and answers with its items in
/// `format`. An error before the first item is a plain JSON error under its HTTP status.
pub(crate) async fn answer(
    dispatcher: &Dispatcher,
    call: Call,
    local: LocalStreams,
    body: Option<Incoming>,
    format: Format,
    idle: Duration,
) -> Response<ResponseBody> {
    let dispatcher = dispatcher.clone();
    let dispatch = async move { dispatcher.dispatch(call).await };
    let running: Running = match (local.feed, body) {
        (Some(feed), Some(body)) => Box::pin(fed(dispatch, feed_body(body, feed, idle))),
        _ => Box::pin(dispatch),
    };
    match local.tap {
        Some(tap) => items(tap, running, format).await,
        None => rest::respond(running.await).map(body::full),
    }
}

/// `dispatch`, with `feeding` run beside it until either finishes.
async fn fed(dispatch: impl Future<Output = Reply>, feeding: impl Future<Output = ()>) -> Reply {
    let (dispatch, feeding) = (std::pin::pin!(dispatch), std::pin::pin!(feeding));
    match select(dispatch, feeding).await {
        Either::Left((reply, _)) => reply,
        Either::Right(((), dispatch)) => dispatch.await,
    }
}

/// Hands each line of `body` to `feed` as the handler takes them, then ends the stream: cleanly
/// at the body's end, with an error for a line that is no item or a body that stalls or breaks.
async fn feed_body(mut body: Incoming, mut feed: ItemFeed, idle: Duration) {
    let mut lines = Lines::new(feed.max_item_len());
    loop {
        let frame = match tokio::time::timeout(idle, body.frame()).await {
            Ok(Some(Ok(frame))) => frame,
            Ok(None) => break,
            Ok(Some(Err(err))) => return fail(feed, ferry::Status::Protocol, &err.to_string()),
            Err(_) => {
                let message = format!("the request body sent nothing for {idle:?}");
                return fail(feed, ferry::Status::DeadlineExceeded, &message);
            }
        };
        let Ok(chunk) = frame.into_data() else {
            continue;
        };
        match lines.push(&chunk) {
            Ok(items) => {
                for item in items {
                    if feed.send(item).await.is_err() {
                        return;
                    }
                }
            }
            Err(err) => return fail(feed, err.status(), &err.to_string()),
        }
    }
    match lines.finish() {
        Ok(last) => {
            if let Some(item) = last {
                if feed.send(item).await.is_err() {
                    return;
                }
            }
            feed.finish();
        }
        Err(err) => fail(feed, err.status(), &err.to_string()),
    }
}

fn fail(feed: ItemFeed, status: ferry::Status, message: &str) {
    feed.fail(Codec::Json, status, message);
}

/// What the answer's body does next.
enum Next {
    /// The call runs; items come from the tap.
    Running(ItemTap, Running),
    /// The call answered: the tap's last items, then the end.
    Draining(ItemTap, Reply),
    Done,
}

/// What came first: an item (`None`: the handler let go of its sink), or the reply.
enum Event {
    Item(Option<Bytes>),
    Reply(Reply),
}

/// The next item or the reply; items first, as the handler sent them before it answered.
async fn next_event(tap: &mut ItemTap, running: &mut Running) -> Event {
    poll_fn(|cx| match tap.poll_recv(cx) {
        Poll::Ready(item) => Poll::Ready(Event::Item(item)),
        Poll::Pending => running.as_mut().poll(cx).map(Event::Reply),
    })
    .await
}

/// Waits for the first item or the reply: an early error is a plain JSON answer; otherwise
/// the items stream under 200 as they come.
async fn items(mut tap: ItemTap, mut running: Running, format: Format) -> Response<ResponseBody> {
    match next_event(&mut tap, &mut running).await {
        Event::Item(Some(first)) => streamed(format, Some(first), Next::Running(tap, running)),
        Event::Item(None) => {
            let reply = running.await;
            answered(tap, reply, format)
        }
        Event::Reply(reply) => answered(tap, reply, format),
    }
}

/// The answer of a call that ended before its first item was written.
fn answered(mut tap: ItemTap, reply: Reply, format: Format) -> Response<ResponseBody> {
    match tap.try_recv() {
        None if reply.status != ferry::Status::Ok => rest::respond(reply).map(body::full),
        first => streamed(format, first, Next::Draining(tap, reply)),
    }
}

/// A 200 whose body is `first`, then what `next` gives.
fn streamed(format: Format, first: Option<Bytes>, next: Next) -> Response<ResponseBody> {
    let head = stream::iter(first.map(|item| format.item(&item)));
    let rest = stream::unfold(next, move |next| step(next, format));
    let frames = head.chain(rest).map(|chunk| Ok(Frame::data(chunk)));
    let mut response = Response::new(StreamBody::new(frames).boxed_unsync());
    *response.status_mut() = StatusCode::OK;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, format.content_type());
    // Proxies must pass each item on as it comes rather than wait for the whole answer.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// The next chunk of the body and what follows it.
async fn step(next: Next, format: Format) -> Option<(Bytes, Next)> {
    match next {
        Next::Running(mut tap, mut running) => match next_event(&mut tap, &mut running).await {
            Event::Item(Some(item)) => Some((format.item(&item), Next::Running(tap, running))),
            // The handler let go of its sink: its reply comes next.
            Event::Item(None) => {
                let reply = running.await;
                drain(tap, reply, format)
            }
            Event::Reply(reply) => drain(tap, reply, format),
        },
        Next::Draining(tap, reply) => drain(tap, reply, format),
        Next::Done => None,
    }
}

/// The tap's items left after the reply, one by one, then the end.
fn drain(mut tap: ItemTap, reply: Reply, format: Format) -> Option<(Bytes, Next)> {
    match tap.try_recv() {
        Some(item) => Some((format.item(&item), Next::Draining(tap, reply))),
        None => format.end(&reply).map(|end| (end, Next::Done)),
    }
}
