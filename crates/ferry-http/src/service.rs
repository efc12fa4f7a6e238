//! The I/O side: one HTTP connection served by hyper, HTTP/1.1 with keep-alive or HTTP/2
//! (told apart by its first bytes: prior knowledge on plaintext, or what ALPN chose inside
//! TLS), each request routed by its path to the sans-IO dialect modules.

use std::{convert::Infallible, pin::pin, sync::Arc};

use bytes::Bytes;
use ferry::{
    server::{Dispatcher, Limit, Socket},
    ByteStr, Dialect, Peer,
};
use http::{header, HeaderValue, Method, Request, Response, StatusCode};
use hyper::{body::Incoming, service::service_fn};
use hyper_util::{
    rt::{TokioExecutor, TokioIo, TokioTimer},
    server::conn::auto,
};

use crate::{
    auth,
    body::{self, BodyError, ResponseBody},
    caller::Caller,
    config::MIN_HEADER_LEN,
    encoding, files, health, jsonrpc, pages,
    refusal::Refusal,
    respond,
    rest::{self, streaming::Format},
    rest_stream, static_files, xmlrpc, HttpConfig,
};

/// The JSON-RPC route.
const JSONRPC: &str = "/jsonrpc";

/// The XML-RPC route.
const XMLRPC: &str = "/RPC2";

/// Serves one connection until the client closes it, a limit closes it, or the server shuts
/// down (the request in flight is answered first).
pub(crate) async fn serve(socket: Socket, dispatcher: Dispatcher, config: Arc<HttpConfig>) {
    let builder = builder(&config);
    let site = Arc::new(Site {
        dispatcher: dispatcher.clone(),
        config,
        peer: socket.peer().clone(),
    });
    let service = service_fn(move |request| {
        let site = site.clone();
        async move { Ok::<_, Infallible>(site.answer(request).await) }
    });
    let mut connection = pin!(builder.serve_connection(TokioIo::new(socket), service));
    let outcome = tokio::select! {
        outcome = connection.as_mut() => outcome,
        () = dispatcher.closing() => {
            connection.as_mut().graceful_shutdown();
            // An HTTP/2 client that stops reading never acknowledges the goaway; the drain
            // is bounded as it is for native calls.
            let drain = dispatcher.config().drain_timeout;
            match tokio::time::timeout(drain, connection).await {
                Ok(outcome) => outcome,
                Err(_) => Ok(()),
            }
        }
    };
    if let Err(err) = outcome {
        if is_protocol_error(&*err) {
            dispatcher.count_protocol_error();
        }
        tracing::debug!(%err, "an HTTP connection ended with an error");
    }
}

/// Whether a connection ended because its peer broke the protocol (or was too slow to send
/// a head), as opposed to going away.
fn is_protocol_error(err: &(dyn std::error::Error + 'static)) -> bool {
    match err.downcast_ref::<hyper::Error>() {
        Some(err) => err.is_parse() || err.is_parse_too_large() || err.is_timeout(),
        None => err.downcast_ref::<std::io::Error>().is_none(),
    }
}

/// hyper's connection settings from the dialect's limits, for both HTTP versions.
fn builder(config: &HttpConfig) -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .keep_alive(true)
        // A client that closes its sending half after the request still gets the answer.
        .half_close(true)
        .header_read_timeout(config.header_read_timeout)
        .max_buf_size(config.max_header_len.max(MIN_HEADER_LEN));
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(config.max_concurrent_streams)
        .max_header_list_size(u32::try_from(config.max_header_len).unwrap_or(u32::MAX))
        // A rapid-reset flood (streams opened and cancelled at once) is cut off by hyper
        // after this many resets that the server has not yet answered.
        .max_pending_accept_reset_streams(Some(config.max_pending_resets))
        .keep_alive_interval(config.http2_keepalive)
        .keep_alive_timeout(config.http2_keepalive_timeout);
    builder
}

/// What every request of a connection is answered with.
struct Site {
    dispatcher: Dispatcher,
    config: Arc<HttpConfig>,
    /// Who is at the other end of the connection.
    peer: Peer,
}

/// An answer, or the refusal standing in for it.
type Answered = Result<Response<Bytes>, Refusal>;

/// An answer whose body may stream, or the refusal standing in for it.
type Streamed = Result<Response<ResponseBody>, Refusal>;

impl Site {
    /// Answers a request: a 401 carries its `WWW-Authenticate` challenge, and the answer is
    /// compressed when the request accepts that (see [`respond::compress`]).
    async fn answer(&self, request: Request<Incoming>) -> Response<ResponseBody> {
        let sent_credentials = auth::sends_credentials(&request);
        let accepted = encoding::accepted(request.headers());
        let mut response = self.route(request).await;
        auth::challenge(&mut response, sent_credentials);
        respond::compress(response, accepted, self.dispatcher.config().compression).await
    }

    /// Routes a request by its path.
    async fn route(&self, request: Request<Incoming>) -> Response<ResponseBody> {
        let path = request.uri().path();
        let answered = match path {
            JSONRPC => Ok(self.jsonrpc(request).await),
            XMLRPC => self.xmlrpc(request).await,
            health::PATH => self.health(&request),
            _ if self.config.pages && pages::is_page(path) => self.page(&request),
            rest::OPENAPI => self.openapi(&request),
            _ if path.starts_with(rest::PREFIX) => return self.rest(request).await,
            _ if files::is_files_path(path) && self.config.files.is_some() => {
                return self.files(request).await
            }
            _ => return self.fallback(&request).await,
        };
        answered
            .unwrap_or_else(Refusal::into_response)
            .map(body::full)
    }

    /// JSON-RPC, whose refusals are JSON-RPC error objects too.
    async fn jsonrpc(&self, request: Request<Incoming>) -> Response<Bytes> {
        let answered = self.jsonrpc_exchange(request).await;
        answered.unwrap_or_else(Refusal::into_jsonrpc)
    }

    async fn jsonrpc_exchange(&self, request: Request<Incoming>) -> Answered {
        allow(&request, &[Method::POST])?;
        let caller = Caller::of(&request, &self.peer)?;
        let body = self.read(request).await?;
        let dispatcher = &self.dispatcher;
        let dispatch = |method: ByteStr, params: Bytes| {
            dispatcher.dispatch(caller.call(Dialect::JsonRpc, method, params))
        };
        let max_batch_len = self.config.max_batch_len;
        let answer = jsonrpc::answer(&body, max_batch_len, dispatcher.router(), dispatch).await;
        Ok(answer.map_or_else(respond::no_content, |answer| {
            respond::json(StatusCode::OK, answer)
        }))
    }

    async fn xmlrpc(&self, request: Request<Incoming>) -> Answered {
        allow(&request, &[Method::POST])?;
        let caller = Caller::of(&request, &self.peer)?;
        let body = self.read(request).await?;
        let max_batch_len = self.config.max_batch_len;
        let answer = xmlrpc::answer(&body, max_batch_len, &self.dispatcher, &caller).await;
        let xml = HeaderValue::from_static("text/xml");
        Ok(respond::with_type(StatusCode::OK, xml, answer))
    }

    fn health(&self, request: &Request<Incoming>) -> Answered {
        allow(request, &[Method::GET, Method::HEAD])?;
        Ok(health::answer(self.dispatcher.is_closing()))
    }

    fn page(&self, request: &Request<Incoming>) -> Answered {
        allow(request, &pages::ALLOWED)?;
        let path = request.uri().path();
        self.admit(request, pages::method_of(path))?;
        Ok(pages::answer(path, &self.dispatcher, &self.config))
    }

    fn openapi(&self, request: &Request<Incoming>) -> Answered {
        allow(request, &[Method::GET, Method::HEAD])?;
        self.admit(request, ferry::auth::LISTING)?;
        let document = rest::document(self.dispatcher.router().services());
        Ok(respond::json_value(StatusCode::OK, &document))
    }

    async fn rest(&self, request: Request<Incoming>) -> Response<ResponseBody> {
        let answered = self.rest_exchange(request).await;
        answered.unwrap_or_else(|refusal| refusal.into_response().map(body::full))
    }

    async fn rest_exchange(&self, request: Request<Incoming>) -> Streamed {
        let path = request.uri().path();
        let method = rest::method_of(path).ok_or_else(|| Refusal::no_route(path))?;
        let router = self.dispatcher.router();
        allow(&request, rest::methods_of(router.method(&method)))?;
        let caller = Caller::of(&request, &self.peer)?;
        if let Some(described) = router.method(&method).filter(|m| m.is_streaming()) {
            let described = described.clone();
            return self.rest_stream(request, caller, method, &described).await;
        }
        let described = router.method(&method);
        let args = if request.method() == Method::GET {
            rest::args_from_query(request.uri().query(), described)?
        } else {
            let content_type = request.headers().get(header::CONTENT_TYPE).cloned();
            let body = self.read(request).await?;
            rest::args_from_body(&body, content_type.as_ref())?
        };
        let args = rest::shaped(&args, &method, described)?;
        let call = caller.call(Dialect::Rest, ByteStr::from(method), args);
        Ok(rest::respond(self.dispatcher.dispatch(call).await).map(body::full))
    }

    /// A streaming method over REST. Its arguments come from the query string when the body
    /// is the caller's stream, and as for any call otherwise.
    async fn rest_stream(
        &self,
        request: Request<Incoming>,
        caller: Caller,
        method: String,
        described: &ferry::MethodDescriptor,
    ) -> Streamed {
        let format = Format::of(request.headers().get(header::ACCEPT));
        let takes_stream = described.client_stream.is_some();
        let (args, body) = if takes_stream || request.method() == Method::GET {
            let query = request.uri().query();
            let args = rest::args_from_query(query, Some(described))?;
            (args, takes_stream.then(|| request.into_body()))
        } else {
            let content_type = request.headers().get(header::CONTENT_TYPE).cloned();
            let body = self.read(request).await?;
            (rest::args_from_body(&body, content_type.as_ref())?, None)
        };
        let args = rest::shaped(&args, &method, Some(described))?;
        let call = caller.call(Dialect::Rest, ByteStr::from(method), args);
        let limits = self.dispatcher.config().streams;
        let (call, local) = call.with_local_streams(described, &limits);
        let idle = self.config.body_read_timeout;
        let dispatcher = &self.dispatcher;
        Ok(rest_stream::answer(dispatcher, call, local, body, format, idle).await)
    }

    /// The file store's routes.
    async fn files(&self, request: Request<Incoming>) -> Response<ResponseBody> {
        let Some(root) = &self.config.files else {
            return Refusal::no_route(request.uri().path())
                .into_response()
                .map(body::full);
        };
        if let Err(refusal) = self.admit(&request, files::method_of(request.method())) {
            // Closing: a refused PUT's body is left unread.
            return refusal.closing().into_response().map(body::full);
        }
        files::answer(root, request, self.config.body_read_timeout).await
    }

    /// Static files when a root is set; a JSON 404 otherwise.
    async fn fallback(&self, request: &Request<Incoming>) -> Response<ResponseBody> {
        let path = request.uri().path();
        let served = match &self.config.www {
            None => Err(Refusal::no_route(path)),
            Some(root) => match allow(request, &[Method::GET, Method::HEAD]) {
                Ok(()) => static_files::serve(root, path).await,
                Err(refusal) => Err(refusal),
            },
        };
        served.unwrap_or_else(|refusal| refusal.into_response().map(body::full))
    }

    /// Lets a request that is not a call through as a call of `method` would be.
    fn admit<B>(&self, request: &Request<B>, method: &str) -> Result<(), Refusal> {
        auth::admit(request, self.dispatcher.router(), &self.peer, method)
    }

    async fn read(&self, request: Request<Incoming>) -> Result<Bytes, BodyError> {
        let (max, timeout) = (self.config.max_body_len, self.config.body_read_timeout);
        let read = body::read_request(request, max, timeout).await;
        if let Err(BodyError::TooLarge { .. }) = read {
            self.dispatcher.count_refusal(Limit::MaxBodyLen);
        }
        read
    }
}

/// 405 unless the request's method is one of `allowed`.
fn allow<B>(request: &Request<B>, allowed: &[Method]) -> Result<(), Refusal> {
    if allowed.contains(request.method()) {
        return Ok(());
    }
    let (method, path) = (request.method(), request.uri().path());
    Err(Refusal::wrong_method(method, path, allowed))
}
