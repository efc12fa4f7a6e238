//! A connection's keepalive on the runtime's clock: the sans-IO `Keepalive` of ferry-wire and
//! the one timer it needs.

use std::{
    future::Future,
    pin::Pin,
    task::{Context, Poll},
    time::Duration,
};

use ferry_wire::keepalive::{Due, Keepalive};
use tokio::time::{Instant, Sleep};

/// A connection with streams open pings its peer after this long without a byte from it.
pub(crate) const PING_AFTER: Duration = Duration::from_secs(30);
/// How long the peer then has to send anything (the pong, at the latest).
pub(crate) const PONG_WITHIN: Duration = Duration::from_secs(20);

/// What the keepalive asks of its driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Send a ping with this payload.
    Ping(u64),
    /// The peer is gone: end the connection.
    Dead,
}

/// One connection's keepalive and its timer.
pub(crate) struct Liveness {
    keepalive: Keepalive,
    /// Set by every read that brought bytes; folded into the keepalive when it is next asked,
    /// so a read costs no look at the clock.
    heard: bool,
    timer: Pin<Box<Sleep>>,
    armed: Option<Instant>,
}

impl Liveness {
    pub(crate) fn new() -> Liveness {
        let now = Instant::now();
        Liveness {
            keepalive: Keepalive::new(PING_AFTER, PONG_WITHIN, now.into_std()),
            heard: false,
            timer: Box::pin(tokio::time::sleep_until(now)),
            armed: None,
        }
    }

    /// Bytes came from the peer.
    pub(crate) fn heard(&mut self) {
        self.heard = true;
    }

    /// A ping to send or the peer's death, once due; otherwise the timer is set to wake the
    /// driver when something may be. Only a connection `watching` (streams open) is pinged.
    pub(crate) fn poll(&mut self, cx: &mut Context<'_>, watching: bool) -> Poll<Verdict> {
        if !watching {
            // Most connections, most of the time: no look at the clock.
            self.keepalive.unwatch();
            return Poll::Pending;
        }
        loop {
            let now = Instant::now();
            if std::mem::take(&mut self.heard) {
                self.keepalive.heard(now.into_std());
            }
            let wake_at = match self.keepalive.poll(now.into_std(), watching) {
                Due::Ping(payload) => return Poll::Ready(Verdict::Ping(payload)),
                Due::Dead => return Poll::Ready(Verdict::Dead),
                Due::Wait(None) => return Poll::Pending,
                Due::Wait(Some(at)) => Instant::from_std(at),
            };
            if self.armed != Some(wake_at) {
                self.timer.as_mut().reset(wake_at);
                self.armed = Some(wake_at);
            }
            if self.timer.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
        }
    }

    /// The one-line reason a connection whose peer went quiet is closed.
    pub(crate) fn dead_reason(&self) -> String {
        format!(
            "the peer sent nothing for {PING_AFTER:?} and did not answer a ping within {:?}",
            self.keepalive.timeout()
        )
    }
}
