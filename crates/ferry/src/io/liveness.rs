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
    /// `None`: the connection is never pinged.
    keepalive: Option<Keepalive>,
    /// The quiet time after which a ping goes out, for the reason a dead peer is given up.
    interval: Duration,
    /// Set by a read that brought bytes and did not say when; folded into the keepalive
    /// with the time when it is next asked.
    heard: bool,
    /// Whether the last write left bytes the socket would not take.
    blocked: bool,
    timer: Pin<Box<Sleep>>,
    /// When the timer fires, once set: the keepalive is asked again then, or sooner when
    /// bytes came.
    armed: Option<Instant>,
}

impl Liveness {
    /// A keepalive that pings after `interval` (`None`: never) without a byte from the peer,
    /// and gives the peer up `timeout` after an unanswered ping.
    pub(crate) fn new(interval: Option<Duration>, timeout: Duration) -> Liveness {
        let now = Instant::now();
        Liveness {
            keepalive: interval.map(|interval| Keepalive::new(interval, timeout, now.into_std())),
            interval: interval.unwrap_or_default(),
            heard: false,
            blocked: false,
            timer: Box::pin(tokio::time::sleep_until(now)),
            armed: None,
        }
    }

    /// Bytes came from the peer.
    pub(crate) fn heard(&mut self) {
        self.heard = true;
    }

    /// A write to the peer: whether it `moved` bytes, and whether it left some `blocked`.
    /// Bytes moving after the socket was full mean the peer's end acknowledged some: it lives,
    /// though it may say nothing while it takes a large frame, and a ping waits behind it.
    pub(crate) fn wrote(&mut self, moved: bool, blocked: bool) {
        if moved && self.blocked {
            self.heard = true;
        }
        self.blocked = blocked;
    }

    /// Bytes came from the peer at `now` (a time the driver read anyway).
    pub(crate) fn heard_at(&mut self, now: Instant) {
        if let Some(keepalive) = &mut self.keepalive {
            keepalive.heard(now.into_std());
        }
    }

    /// A ping to send or the peer's death, once due; otherwise the timer is set to wake the
    /// driver when something may be. Only a connection `watching` is pinged. The clock is
    /// read only when the timer fired or bytes came: not on every turn of a busy driver.
    pub(crate) fn poll(&mut self, cx: &mut Context<'_>, watching: bool) -> Poll<Verdict> {
        let Some(keepalive) = &mut self.keepalive else {
            return Poll::Pending;
        };
        if !watching {
            keepalive.unwatch();
            self.armed = None;
            return Poll::Pending;
        }
        loop {
            let fired = self.armed.is_none() || self.timer.as_mut().poll(cx).is_ready();
            if !fired && !self.heard {
                return Poll::Pending;
            }
            let now = Instant::now();
            if std::mem::take(&mut self.heard) {
                keepalive.heard(now.into_std());
            }
            let wake_at = match keepalive.poll(now.into_std(), watching) {
                Due::Ping(payload) => return Poll::Ready(Verdict::Ping(payload)),
                Due::Dead => return Poll::Ready(Verdict::Dead),
                Due::Wait(None) => return Poll::Pending,
                Due::Wait(Some(at)) => Instant::from_std(at),
            };
            // A later time is left to the armed timer, which asks again when it fires: bytes
            // arriving move the ping later on every read, and the timer is not moved as often.
            if fired || self.armed.is_none_or(|armed| wake_at < armed) {
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
        match &self.keepalive {
            Some(keepalive) => format!(
                "the peer sent nothing for {:?} and did not answer a ping within {:?}",
                self.interval,
                keepalive.timeout()
            ),
            None => "the peer went quiet".to_owned(),
        }
    }
}
