//! The timer an open loop's connection sleeps on between calls.
//!
//! tokio's timer wheel counts in 1 ms ticks and its reactor waits in whole milliseconds, so a
//! sleep ends up to 2 ms after the instant it was set for: far more than a call takes. On Linux
//! a connection sleeps on a timerfd of its own instead, registered with the runtime's reactor:
//! the kernel fires it at the nanosecond asked for, and what remains late is the time the
//! sleeping thread takes to run again. Elsewhere, or when no timerfd can be had, it is tokio's.

use std::time::{Duration, Instant};

/// How late tokio's timer may wake: a tick of rounding in the wheel, one in the reactor's wait.
const WHEEL_SLACK: Duration = Duration::from_millis(2);

/// How late a thread woken by an exact timer is expected to run, before any wake is seen: on
/// the 2-vCPU guests this was measured on, a parked runtime thread ran 45–50 µs late.
#[cfg(target_os = "linux")]
const EXACT_EXPECTED: Duration = Duration::from_micros(50);

/// A connection's timer.
pub(crate) struct Timer {
    #[cfg(target_os = "linux")]
    exact: Option<exact::ExactTimer>,
}

impl Timer {
    /// An exact timer where the platform has one, otherwise tokio's. Must be called within a
    /// tokio runtime.
    pub(crate) fn new() -> Timer {
        Timer {
            #[cfg(target_os = "linux")]
            exact: exact::ExactTimer::new(),
        }
    }

    /// How late a wake is expected to be, before any is seen.
    pub(crate) fn expected_slack(&self) -> Duration {
        #[cfg(target_os = "linux")]
        if self.exact.is_some() {
            return EXACT_EXPECTED;
        }
        WHEEL_SLACK / 2
    }

    /// The most a connection spins before a call: how late the timer can be by its design.
    /// Later than that, the thread was kept from running (on a busy machine, for milliseconds
    /// at a time), and spinning longer would only take more of the CPU it was kept from.
    pub(crate) fn max_slack(&self) -> Duration {
        #[cfg(target_os = "linux")]
        if self.exact.is_some() {
            return EXACT_EXPECTED * 4;
        }
        WHEEL_SLACK
    }

    /// Returns at `at` or later. Arms nothing until first polled.
    pub(crate) async fn sleep_until(&mut self, at: Instant) {
        #[cfg(target_os = "linux")]
        if let Some(exact) = &mut self.exact {
            if exact.sleep_until(at).await.is_ok() {
                return;
            }
        }
        tokio::time::sleep_until(at.into()).await;
    }
}

#[cfg(target_os = "linux")]
mod exact {
    use std::{
        io,
        os::fd::OwnedFd,
        time::{Duration, Instant},
    };

    use rustix::time::{
        timerfd_create, timerfd_settime, Itimerspec, TimerfdClockId, TimerfdFlags,
        TimerfdTimerFlags, Timespec,
    };
    use tokio::io::{unix::AsyncFd, Interest};

    /// A timerfd on the monotonic clock (the one `Instant` reads), in the runtime's reactor.
    pub(super) struct ExactTimer {
        fd: AsyncFd<OwnedFd>,
        /// The instant the timer is set for and has not yet been seen to fire at. A wait given
        /// up for an answer is usually taken up again for the same instant: the timer is left
        /// as it is instead of being set again (a system call per answer).
        armed: Option<Instant>,
    }

    impl ExactTimer {
        pub(super) fn new() -> Option<ExactTimer> {
            let flags = TimerfdFlags::NONBLOCK | TimerfdFlags::CLOEXEC;
            let fd = timerfd_create(TimerfdClockId::Monotonic, flags).ok()?;
            // Deprecated as unsound for a `T` whose descriptor may change or close while
            // registered; an `OwnedFd` owned by the `AsyncFd` can do neither, and the sound
            // replacement is an `unsafe fn`, which this workspace forbids.
            #[allow(deprecated)]
            let fd = AsyncFd::with_interest(fd, Interest::READABLE).ok()?;
            Some(ExactTimer { fd, armed: None })
        }

        /// Sets the timer for `at`, unless it is set for it already, and waits for it to fire.
        /// Setting it for another instant discards an expiry left by a wait that was given up,
        /// so a readiness the reactor still holds from it reads as nothing and is waited past.
        pub(super) async fn sleep_until(&mut self, at: Instant) -> io::Result<()> {
            if self.armed != Some(at) {
                let left = at.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Ok(());
                }
                self.set(left)?;
                self.armed = Some(at);
            }
            loop {
                let mut ready = self.fd.readable().await?;
                let mut expirations = [0; 8];
                match rustix::io::read(self.fd.get_ref(), &mut expirations) {
                    Ok(_) => {
                        self.armed = None;
                        return Ok(());
                    }
                    Err(rustix::io::Errno::AGAIN) => ready.clear_ready(),
                    Err(err) => return Err(err.into()),
                }
            }
        }

        /// Sets the timer to fire once, `left` from now.
        fn set(&self, left: Duration) -> io::Result<()> {
            let spec = Itimerspec {
                it_interval: Timespec {
                    tv_sec: 0,
                    tv_nsec: 0,
                },
                it_value: Timespec::try_from(left).map_err(io::Error::other)?,
            };
            timerfd_settime(self.fd.get_ref(), TimerfdTimerFlags::empty(), &spec)?;
            Ok(())
        }
    }
}
