//! Reading a server's `/status.json`: one HTTP/1.1 GET on a fresh connection per refresh,
//! bounded by a timeout and a body limit.
//!
//! `ferry-http`'s clients only POST (they speak JSON-RPC and XML-RPC), so this is a small
//! hyper client of its own.

use std::time::Duration;

use bytes::Bytes;
use http::{header, uri::Authority, Request, StatusCode, Uri};
use http_body_util::{BodyExt, Empty, Limited};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::{net::TcpStream, sync::mpsc, time::MissedTickBehavior};

use super::model::Status;

/// The largest status read: a server's history makes it tens of kilobytes a method.
const MAX_STATUS_LEN: usize = 16 * 1024 * 1024;

/// What every request says it is.
const USER_AGENT: &str = concat!("ferry-top/", env!("CARGO_PKG_VERSION"));

/// Where the status is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Target {
    /// `HOST:PORT` to connect to.
    address: String,
    /// The `Host` header.
    host: String,
    /// The request target.
    path: String,
    /// The `Authorization` header, `Bearer TOKEN`, for a server with auth.
    authorization: Option<String>,
}

impl Target {
    /// Reads `HOST:PORT` (the status of its port, or of its `--admin-listen` address) or an
    /// `http://` URL: a base, to which `/status.json` is added, or that URL itself.
    pub(super) fn parse(addr: &str) -> Result<Target, String> {
        if addr.starts_with("http://") {
            return Target::from_url(addr);
        }
        if addr.starts_with("https://") {
            return Err(format!(
                "{addr}: https is not supported; use http://HOST:PORT"
            ));
        }
        let authority: Authority = addr
            .parse()
            .map_err(|_| format!("{addr:?} is not HOST:PORT or an http:// URL"))?;
        let plain = !addr.contains(['@', '/']) && !authority.host().is_empty();
        match authority.port_u16() {
            Some(port) if plain => Ok(Target {
                address: format!("{}:{port}", authority.host()),
                host: authority.as_str().to_owned(),
                path: "/status.json".to_owned(),
                authorization: None,
            }),
            _ => Err(format!("{addr:?} is not HOST:PORT or an http:// URL")),
        }
    }

    /// The same target, read with `authorization` (`Bearer TOKEN`) when there is one.
    pub(super) fn with_authorization(self, authorization: Option<String>) -> Target {
        Target {
            authorization,
            ..self
        }
    }

    fn from_url(url: &str) -> Result<Target, String> {
        let uri: Uri = url
            .parse()
            .map_err(|err| format!("{url:?} is not a URL: {err}"))?;
        let authority = uri
            .authority()
            .filter(|a| !a.host().is_empty())
            .ok_or_else(|| format!("{url:?} names no host (http://HOST:PORT)"))?;
        if authority.as_str().contains('@') {
            return Err(format!("{url}: credentials in the URL are not supported"));
        }
        let base = uri.path().trim_end_matches('/');
        let path = if base.ends_with("/status.json") {
            base.to_owned()
        } else {
            format!("{base}/status.json")
        };
        Ok(Target {
            address: format!(
                "{}:{}",
                authority.host(),
                authority.port_u16().unwrap_or(80)
            ),
            host: authority.as_str().to_owned(),
            path,
            authorization: None,
        })
    }
}

/// What one refresh found: the status, or why it could not be read.
pub(super) type Fetched = Result<Status, String>;

/// Reads the status every `interval` and sends each outcome on `updates`, until the receiver
/// is gone. A slow answer delays the next read rather than overlapping it.
pub(super) async fn poll(target: Target, interval: Duration, updates: mpsc::Sender<Fetched>) {
    // Long enough for a loaded server to answer, short enough that an unreachable one is
    // reported within a few refreshes.
    let timeout = interval.clamp(Duration::from_secs(2), Duration::from_secs(10));
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let fetched = fetch(&target, timeout).await;
        if updates.send(fetched).await.is_err() {
            return;
        }
    }
}

/// One GET of the status, within `timeout`.
pub(super) async fn fetch(target: &Target, timeout: Duration) -> Fetched {
    let body = match tokio::time::timeout(timeout, get(target)).await {
        Ok(body) => body?,
        Err(_) => {
            return Err(format!(
                "no answer within {}",
                humantime::format_duration(timeout)
            ))
        }
    };
    serde_json::from_slice(&body).map_err(|err| format!("not a ferry status: {err}"))
}

/// The body of a `200 OK` answer to a GET of the target.
async fn get(target: &Target) -> Result<Bytes, String> {
    let stream = TcpStream::connect(&target.address)
        .await
        .map_err(|err| err.to_string())?;
    let (mut sender, connection) = http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|err| err.to_string())?;
    let mut request = Request::get(target.path.as_str());
    if let Some(authorization) = &target.authorization {
        request = request.header(header::AUTHORIZATION, authorization.as_str());
    }
    let request = request
        .header(header::HOST, target.host.as_str())
        .header(header::USER_AGENT, USER_AGENT)
        .header(header::ACCEPT, "application/json")
        .body(Empty::<Bytes>::new())
        .map_err(|err| err.to_string())?;
    let answer = async {
        let response = sender
            .send_request(request)
            .await
            .map_err(|err| err.to_string())?;
        let status = response.status();
        let body = Limited::new(response.into_body(), MAX_STATUS_LEN)
            .collect()
            .await
            .map_err(|err| err.to_string())?
            .to_bytes();
        match status {
            StatusCode::OK => Ok(body),
            // The likeliest cause: the pages were moved off the port they were sought on.
            StatusCode::NOT_FOUND => Err(format!(
                "{} answered HTTP {status}; a server started with --admin-listen serves it \
                 on that address",
                target.path
            )),
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Err(format!(
                "{} answered HTTP {status}; the server has auth: pass --token (or FERRY_TOKEN) \
                 with a token its file grants _pages.status",
                target.path
            )),
            other => Err(format!("{} answered HTTP {other}", target.path)),
        }
    };
    // The connection is driven here, not spawned, so that a timeout drops it with the call.
    let mut connection = std::pin::pin!(connection);
    let mut answer = std::pin::pin!(answer);
    tokio::select! {
        answer = &mut answer => answer,
        closed = &mut connection => match closed {
            Err(err) => Err(err.to_string()),
            Ok(()) => answer.await,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(address: &str, host: &str, path: &str) -> Target {
        Target {
            address: address.to_owned(),
            host: host.to_owned(),
            path: path.to_owned(),
            authorization: None,
        }
    }

    #[test]
    fn host_and_port_read_the_status_of_that_port() {
        let want = target("127.0.0.1:7393", "127.0.0.1:7393", "/status.json");
        assert_eq!(Target::parse("127.0.0.1:7393"), Ok(want));
        let v6 = target("[::1]:9", "[::1]:9", "/status.json");
        assert_eq!(Target::parse("[::1]:9"), Ok(v6));
        assert!(Target::parse("localhost:80").is_ok());
    }

    #[test]
    fn urls_are_a_base_or_the_status_itself() {
        let at = |path: &str| target("h:8080", "h:8080", path);
        assert_eq!(Target::parse("http://h:8080"), Ok(at("/status.json")));
        assert_eq!(Target::parse("http://h:8080/"), Ok(at("/status.json")));
        assert_eq!(
            Target::parse("http://h:8080/admin/"),
            Ok(at("/admin/status.json"))
        );
        assert_eq!(
            Target::parse("http://h:8080/status.json"),
            Ok(at("/status.json"))
        );
        let bare = Target::parse("http://h").expect("a URL");
        assert_eq!((bare.address.as_str(), bare.host.as_str()), ("h:80", "h"));
    }

    #[test]
    fn other_addresses_are_refused() {
        for wrong in [
            "",
            "127.0.0.1",
            ":7393",
            "h:port",
            "h:99999",
            "u@h:1",
            "unix:/tmp/s",
            "h:1/x",
            "etcd://h:2379",
        ] {
            assert!(Target::parse(wrong).is_err(), "{wrong:?} accepted");
        }
        let https = Target::parse("https://h:1").expect_err("refused");
        assert!(https.contains("https is not supported"), "{https}");
        assert!(Target::parse("http://u:p@h/").is_err());
    }
}
