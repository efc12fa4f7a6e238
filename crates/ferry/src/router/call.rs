//! What a handler receives and what it answers.

use std::{fmt::Display, time::Instant};

use bytes::Bytes;
use serde::{
    de::{DeserializeOwned, IgnoredAny},
    Serialize,
};

use ferry_wire::{ByteStr, Metadata, Status};

use crate::{error::ErrorObjectRef, Codec};

/// One incoming call, independent of the dialect it arrived in.
#[derive(Debug, Clone)]
pub struct Call {
    codec: Codec,
    method: ByteStr,
    metadata: Metadata,
    deadline: Option<Instant>,
    body: Bytes,
}

/// A handler's answer: a status and the codec-encoded result or error object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The outcome.
    pub status: Status,
    /// The encoded result (ok) or error object (anything else).
    pub body: Bytes,
}

impl Call {
    /// A call of `method` (`service.method`) whose arguments `body` are encoded with `codec`.
    pub fn new(codec: Codec, method: ByteStr, body: Bytes) -> Call {
        Call {
            codec,
            method,
            metadata: Metadata::new(),
            deadline: None,
            body,
        }
    }

    /// Attaches the caller's metadata.
    pub fn with_metadata(mut self, metadata: Metadata) -> Call {
        self.metadata = metadata;
        self
    }

    /// Attaches the instant the call must finish by.
    pub fn with_deadline(mut self, deadline: Option<Instant>) -> Call {
        self.deadline = deadline;
        self
    }

    /// The codec of the arguments and of the reply.
    pub fn codec(&self) -> Codec {
        self.codec
    }

    /// The full method name, `service.method`.
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The value of a metadata key, if the caller sent it.
    pub fn metadata(&self, key: &str) -> Option<&str> {
        self.metadata
            .iter()
            .find(|(k, _)| &**k == key)
            .map(|(_, v)| &**v)
    }

    /// When the call must finish by, if the caller set a deadline.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// The encoded arguments.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// Decodes the arguments, or the `invalid_args` reply that says why they do not fit.
    pub fn args<T: DeserializeOwned>(&self) -> Result<T, Reply> {
        self.codec
            .decode(&self.body)
            .map_err(|err| self.invalid_args(err))
    }

    /// Like [`Call::args`] for a method of `arity` parameters: positional arguments beyond
    /// them get an error that says so, instead of the codec's word for it.
    pub fn args_of_arity<T: DeserializeOwned>(&self, arity: usize) -> Result<T, Reply> {
        self.codec.decode(&self.body).map_err(|err| {
            // Only a failed decode pays for counting.
            match self.codec.decode::<Vec<IgnoredAny>>(&self.body) {
                Ok(positional) if positional.len() > arity => self.invalid_args(format_args!(
                    "it takes {arity} arguments, {} were given",
                    positional.len()
                )),
                _ => self.invalid_args(err),
            }
        })
    }

    /// The `invalid_args` reply naming the method and what did not fit.
    pub fn invalid_args(&self, err: impl Display) -> Reply {
        let message = format!(
            "arguments of {} do not fit its parameters: {err}",
            self.method()
        );
        self.reply_error(Status::InvalidArgs, &message)
    }

    /// The ok reply carrying `value`.
    pub fn reply_ok<T: Serialize + ?Sized>(&self, value: &T) -> Reply {
        match self.codec.encode(value) {
            Ok(body) => Reply {
                status: Status::Ok,
                body,
            },
            Err(err) => {
                self.reply_error(Status::Internal, &format!("result does not encode: {err}"))
            }
        }
    }

    /// The reply for a handler's `Result`: ok, or `application` with the error as `data`.
    pub fn reply_result<T: Serialize, E: Serialize + Display>(
        &self,
        result: &Result<T, E>,
    ) -> Reply {
        match result {
            Ok(value) => self.reply_ok(value),
            Err(err) => self.reply_application(err),
        }
    }

    /// The `application` reply carrying the handler's own error.
    pub fn reply_application<E: Serialize + Display>(&self, err: &E) -> Reply {
        let message = err.to_string();
        let object = ErrorObjectRef {
            code: Status::Application.name(),
            message: &message,
            data: Some(err),
        };
        match self.codec.encode(&object) {
            Ok(body) => Reply {
                status: Status::Application,
                body,
            },
            Err(err) => {
                self.reply_error(Status::Internal, &format!("error does not encode: {err}"))
            }
        }
    }

    /// A reply with `status` and a one-line message, no data.
    pub fn reply_error(&self, status: Status, message: &str) -> Reply {
        Reply::error(self.codec, status, message)
    }
}

impl Reply {
    /// A reply with `status` and a one-line message, encoded with `codec`.
    pub fn error(codec: Codec, status: Status, message: &str) -> Reply {
        let object = ErrorObjectRef::<()> {
            code: status.name(),
            message,
            data: None,
        };
        let body = codec.encode(&object).unwrap_or_default();
        Reply { status, body }
    }
}
