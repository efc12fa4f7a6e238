//! One HTTP/1.1 POST on a fresh connection, inside TLS for `https://`, bounded by a timeout
//! and a body limit.

use std::{sync::Arc, time::Duration};

use bytes::Bytes;
use http::{header, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::{
    io::{AsyncRead, AsyncWrite},
    net::TcpStream,
};

use rustls::pki_types::ServerName;

use super::{url::Endpoint, ClientError};
use ferry::trace::{is_trace_key, TRACEPARENT, TRACESTATE};

use crate::{
    caller::header_name,
    encoding::{self, Undecoded},
};

/// What every request says it is.
const USER_AGENT: &str = concat!("ferry/", env!("CARGO_PKG_VERSION"));

/// The TLS an `https://` POST speaks, and the name the server's certificate must carry.
type Speaking<'a> = (&'a Arc<rustls::ClientConfig>, ServerName<'static>);

/// The codings an answer may come in: it is decoded within the same limit as a plain one.
const ACCEPT_ENCODING: &str = "zstd, gzip";

/// How one POST is made.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Post<'a> {
    pub(crate) endpoint: &'a Endpoint,
    pub(crate) content_type: &'static str,
    pub(crate) timeout: Duration,
    pub(crate) max_response_len: usize,
    /// Metadata pairs, sent as headers by the one rule (`x-ferry-KEY`, or the key itself for
    /// `authorization`, `traceparent` and `tracestate`).
    pub(crate) metadata: &'a [(String, String)],
    /// How `https://` is spoken: the CAs trusted, and a client certificate.
    pub(crate) tls: Option<&'a Arc<rustls::ClientConfig>>,
}

impl<'a> Post<'a> {
    /// Posts `body` and reads the whole answer.
    pub(crate) async fn send(self, body: Bytes) -> Result<(StatusCode, Bytes), ClientError> {
        match tokio::time::timeout(self.timeout, self.exchange(body)).await {
            Ok(answer) => answer,
            Err(_) => Err(ClientError::Timeout {
                url: self.endpoint.url.clone(),
                timeout: self.timeout,
            }),
        }
    }

    async fn exchange(self, body: Bytes) -> Result<(StatusCode, Bytes), ClientError> {
        let tls = self.tls_to_speak()?;
        let stream = TcpStream::connect(&self.endpoint.address)
            .await
            .map_err(|source| self.connect_error(source))?;
        let Some((tls, name)) = tls else {
            return self.over(stream, body).await;
        };
        let stream = tokio_rustls::TlsConnector::from(tls.clone())
            .connect(name, stream)
            .await
            .map_err(|err| {
                let message = format!("TLS handshake failed: {err}");
                self.connect_error(std::io::Error::new(err.kind(), message))
            })?;
        self.over(stream, body).await
    }

    /// For an `https://` URL, the TLS to speak and the name the certificate must carry;
    /// refused before connecting when no CA was given.
    fn tls_to_speak(self) -> Result<Option<Speaking<'a>>, ClientError> {
        let Some(name) = &self.endpoint.tls_name else {
            return Ok(None);
        };
        let Some(tls) = self.tls else {
            let message = format!(
                "{}: https needs the CA to trust (with_tls; ferry: --ca FILE)",
                self.endpoint
            );
            return Err(ClientError::Url(message));
        };
        let name = ServerName::try_from(name.clone())
            .map_err(|err| ClientError::Url(format!("{}: {err}", self.endpoint)))?;
        Ok(Some((tls, name)))
    }

    fn connect_error(self, source: std::io::Error) -> ClientError {
        ClientError::Connect {
            address: self.endpoint.address.clone(),
            source,
        }
    }

    /// The exchange on a connected stream.
    async fn over<S>(self, stream: S, body: Bytes) -> Result<(StatusCode, Bytes), ClientError>
    where
        S: AsyncRead + AsyncWrite + Send + Unpin + 'static,
    {
        let (mut sender, connection) = http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|source| self.http_error(source))?;
        let request = self.request(body)?;
        let answer = async {
            let response = sender
                .send_request(request)
                .await
                .map_err(|source| self.http_error(source))?;
            self.read(response).await
        };
        // The connection is driven here, not spawned: it ends with this call.
        let mut connection = std::pin::pin!(connection);
        let mut answer = std::pin::pin!(answer);
        tokio::select! {
            answer = &mut answer => answer,
            closed = &mut connection => match closed {
                Err(source) => Err(self.http_error(source)),
                Ok(()) => answer.await,
            },
        }
    }

    fn request(self, body: Bytes) -> Result<Request<Full<Bytes>>, ClientError> {
        let request = Request::post(self.endpoint.path.as_str())
            .header(header::HOST, self.endpoint.host.as_str())
            .header(header::CONTENT_TYPE, self.content_type)
            .header(header::USER_AGENT, USER_AGENT)
            .header(header::ACCEPT_ENCODING, ACCEPT_ENCODING);
        let sets_trace = self.metadata.iter().any(|(key, _)| is_trace_key(key));
        let request = self.metadata.iter().fold(request, |request, (key, value)| {
            request.header(header_name(key).as_ref(), value.as_str())
        });
        // Inside a traced handler, the call continues its trace, as a native call would.
        let request = match ferry::trace::current().filter(|_| !sets_trace) {
            None => request,
            Some(span) => {
                let request = request.header(TRACEPARENT, span.traceparent());
                match span.tracestate() {
                    Some(state) => request.header(TRACESTATE, state),
                    None => request,
                }
            }
        };
        request
            .body(Full::new(body))
            .map_err(|err| ClientError::Url(format!("{}: {err}", self.endpoint)))
    }

    async fn read(
        self,
        response: Response<hyper::body::Incoming>,
    ) -> Result<(StatusCode, Bytes), ClientError> {
        let status = response.status();
        let encoding =
            encoding::of_body(response.headers()).map_err(|coding| self.undecodable(coding))?;
        let limited = Limited::new(response.into_body(), self.max_response_len);
        match limited.collect().await {
            Ok(collected) => match encoding {
                None => Ok((status, collected.to_bytes())),
                Some(encoding) => {
                    let body = collected.to_bytes();
                    let decoded = encoding::decode(encoding, &body, self.max_response_len);
                    decoded
                        .map(|body| (status, body))
                        .map_err(|undecoded| match undecoded {
                            Undecoded::TooLarge => self.too_large(),
                            Undecoded::Corrupt(reason) => {
                                self.undecodable(format!("{}: {reason}", encoding.name()))
                            }
                        })
                }
            },
            Err(err) => match err.downcast::<hyper::Error>() {
                Ok(source) => Err(self.http_error(*source)),
                Err(_) => Err(self.too_large()),
            },
        }
    }

    fn too_large(self) -> ClientError {
        ClientError::TooLarge {
            url: self.endpoint.url.clone(),
            limit: self.max_response_len,
        }
    }

    fn undecodable(self, reason: String) -> ClientError {
        let url = self.endpoint.url.clone();
        ClientError::Encoding { url, reason }
    }

    fn http_error(self, source: hyper::Error) -> ClientError {
        let url = self.endpoint.url.clone();
        ClientError::Http { url, source }
    }
}

/// The start of a body, for an error message: one line, at most 200 characters.
pub(crate) fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    line.chars().take(200).collect()
}
