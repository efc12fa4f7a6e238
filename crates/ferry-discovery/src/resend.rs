//! The idempotency rule: which failed attempts a balanced client sends again, to another
//! instance.
//!
//! | what happened | idempotent method | any other method |
//! |---|---|---|
//! | could not connect, lost before the request left, goaway below its id | re-sent | re-sent |
//! | refused before dispatch with `unavailable` or `overloaded` | re-sent | re-sent |
//! | connection lost after the request left (reset, instance killed) | re-sent | fails `unavailable` |
//! | answered `unavailable` or `overloaded` by the server | re-sent | returned as answered |
//! | any other answer, a passed deadline, a local refusal | returned | returned |
//!
//! Every re-send also needs an attempt left (at most [`ferry::client::MAX_ATTEMPTS`], 3), time
//! left before the call's one deadline, and room in the
//! [`RetryBudget`](crate::budget::RetryBudget).

use ferry::{client::AttemptError, Reply, Status};

/// Whether the rule lets a call whose attempt ended in `outcome` be sent again.
pub(crate) fn may_resend(outcome: &Result<Reply, AttemptError>, idempotent: bool) -> bool {
    match outcome {
        Ok(reply) => idempotent && is_transient(reply.status),
        Err(AttemptError::NotRun(_)) => true,
        Err(AttemptError::Refused(err)) => is_transient(err.status()),
        Err(AttemptError::Lost(_)) => idempotent,
        Err(_) => false,
    }
}

/// A status another instance may well not share.
fn is_transient(status: Status) -> bool {
    matches!(status, Status::Unavailable | Status::Overloaded)
}

#[cfg(test)]
mod tests {
    use ferry::{Bytes, CallError};

    use super::*;

    fn reply(status: Status) -> Result<Reply, AttemptError> {
        Ok(Reply {
            status,
            body: Bytes::new(),
        })
    }

    fn unavailable() -> CallError {
        CallError::new(Status::Unavailable, "gone")
    }

    #[test]
    fn a_call_the_server_cannot_have_run_is_resent_whatever_its_method() {
        for idempotent in [false, true] {
            assert!(may_resend(
                &Err(AttemptError::NotRun(unavailable())),
                idempotent
            ));
            let refused = CallError::new(Status::Overloaded, "busy");
            assert!(may_resend(&Err(AttemptError::Refused(refused)), idempotent));
        }
    }

    #[test]
    fn a_call_that_may_have_run_is_resent_only_when_idempotent() {
        assert!(may_resend(&Err(AttemptError::Lost(unavailable())), true));
        assert!(!may_resend(&Err(AttemptError::Lost(unavailable())), false));
        assert!(may_resend(&reply(Status::Unavailable), true));
        assert!(!may_resend(&reply(Status::Unavailable), false));
    }

    #[test]
    fn definite_outcomes_are_returned() {
        for status in [
            Status::Ok,
            Status::Application,
            Status::InvalidArgs,
            Status::Internal,
        ] {
            assert!(!may_resend(&reply(status), true), "{status}");
        }
        let too_large = CallError::new(Status::TooLarge, "big");
        assert!(!may_resend(&Err(AttemptError::Refused(too_large)), true));
        let expired = CallError::new(Status::DeadlineExceeded, "late");
        assert!(!may_resend(&Err(AttemptError::Failed(expired)), true));
    }
}
