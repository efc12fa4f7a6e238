//! Why a subcommand failed: what `ferry` prints on stderr and the code it exits with.

use std::{fmt, process::ExitCode};

use ferry::CallError;
use serde_json::Value;

/// A failed subcommand.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The remote method returned its own error: exit code 1.
    Application(ApplicationError),
    /// The call ended with another status: exit code 2.
    Call(CallError),
    /// Anything else, such as an address that cannot be bound: exit code 2.
    Other(anyhow::Error),
}

/// The error a remote method returned, as the server described it.
#[derive(Debug)]
pub(crate) struct ApplicationError {
    /// The Rust type name of the error, from the server's reflection, when it offers one.
    pub(crate) type_name: Option<String>,
    /// The error's message.
    pub(crate) message: String,
    /// The error value itself.
    pub(crate) data: Option<Value>,
}

impl Failure {
    /// A command line that cannot work, saying what to write instead.
    pub(crate) fn usage(message: impl Into<String>) -> Failure {
        Failure::Other(anyhow::anyhow!(message.into()))
    }

    /// The process exit code for this failure.
    pub(crate) fn exit_code(&self) -> ExitCode {
        match self {
            Failure::Application(_) => ExitCode::from(1),
            Failure::Call(_) | Failure::Other(_) => ExitCode::from(2),
        }
    }
}

impl From<CallError> for Failure {
    fn from(err: CallError) -> Failure {
        Failure::Call(err)
    }
}

impl From<anyhow::Error> for Failure {
    fn from(err: anyhow::Error) -> Failure {
        Failure::Other(err)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Application(err) => err.fmt(f),
            Failure::Call(err) => {
                let message = err.message().map_or_else(|| err.to_string(), str::to_owned);
                write!(f, "error: {}: {message}", err.status())
            }
            Failure::Other(err) => write!(f, "error: {err:#}"),
        }
    }
}

impl fmt::Display for ApplicationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.type_name {
            Some(name) => write!(f, "error: application ({name}): {}", self.message)?,
            None => write!(f, "error: application: {}", self.message)?,
        }
        match &self.data {
            Some(data) => write!(f, "\ndata: {data}"),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use ferry::Status;

    use super::*;

    #[test]
    fn call_errors_print_the_status_name_and_message() {
        let failure = Failure::from(CallError::new(Status::UnknownMethod, "no calc.nope"));
        assert_eq!(failure.to_string(), "error: unknown_method: no calc.nope");
        assert_eq!(failure.exit_code(), ExitCode::from(2));
    }

    #[test]
    fn application_errors_print_type_message_and_data() {
        let failure = Failure::Application(ApplicationError {
            type_name: Some("InvalidOperation".to_owned()),
            message: "division by zero".to_owned(),
            data: Some(json!({"message": "division by zero"})),
        });
        assert_eq!(
            failure.to_string(),
            "error: application (InvalidOperation): division by zero\n\
             data: {\"message\":\"division by zero\"}"
        );
        assert_eq!(failure.exit_code(), ExitCode::from(1));
    }

    #[test]
    fn other_failures_print_their_context_chain() {
        let err = anyhow::anyhow!("address in use").context("cannot listen on 127.0.0.1:1");
        let failure = Failure::from(err);
        assert_eq!(
            failure.to_string(),
            "error: cannot listen on 127.0.0.1:1: address in use"
        );
    }
}
