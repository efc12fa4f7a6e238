//! What a handler receives and what it answers.

use std::{
    fmt::Display,
    sync::{Arc, Mutex},
};

use bytes::Bytes;
use serde::{
    de::{DeserializeOwned, IgnoredAny},
    Serialize,
};

use ferry_wire::Status;

use crate::{
    error::ErrorObjectRef,
    stream::{Sink, Source, StreamEnds},
    CallError, Codec, Context,
};

/// One incoming call, independent of the dialect it arrived in: its context, its encoded
/// arguments and, for a streaming method, its streams.
#[derive(Debug, Clone)]
pub struct Call {
    codec: Codec,
    context: Context,
    body: Bytes,
    /// Taken by the handler; shared so that a call stays cheap to clone.
    streams: Option<Arc<Mutex<StreamEnds>>>,
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
    /// A call in `context` whose arguments `body` are encoded with `codec`.
    #[inline]
    pub fn new(codec: Codec, context: Context, body: Bytes) -> Call {
        Call {
            codec,
            context,
            body,
            streams: None,
        }
    }

    /// This call with the streams its dialect opened for it.
    pub(crate) fn with_streams(mut self, ends: StreamEnds) -> Call {
        self.streams = Some(Arc::new(Mutex::new(ends)));
        self
    }

    /// Whether the call's dialect opened streams for it.
    pub(crate) fn has_streams(&self) -> bool {
        self.streams.is_some()
    }

    fn take_streams<R>(&self, take: impl FnOnce(&mut StreamEnds) -> Option<R>) -> Result<R, Reply> {
        let taken = self.streams.as_ref().and_then(|streams| {
            take(&mut streams.lock().unwrap_or_else(|poison| poison.into_inner()))
        });
        taken.ok_or_else(|| {
            let message = format!(
                "{} has no such stream open: the method is not described as streaming, or the \
                 stream was taken already",
                self.method()
            );
            self.reply_error(Status::Internal, &message)
        })
    }

    /// The caller's stream of `T`, for a method that takes one; only once.
    pub fn source<T: DeserializeOwned + 'static>(&self) -> Result<Source<T>, Reply> {
        let raw = self.take_streams(|ends| ends.source.take())?;
        Ok(Source::new(raw, self.codec))
    }

    /// The stream of `T` back to the caller, for a method that sends one; only once.
    pub fn sink<T: Serialize + 'static>(&self) -> Result<Sink<T>, Reply> {
        let raw = self.take_streams(|ends| ends.sink.take())?;
        Ok(Sink::new(raw, self.codec))
    }

    /// The codec of the arguments and of the reply.
    pub fn codec(&self) -> Codec {
        self.codec
    }

    /// The call's context: method, metadata, deadline, peer, dialect.
    pub fn context(&self) -> &Context {
        &self.context
    }

    /// The context, for a layer or dialect that edits it.
    pub fn context_mut(&mut self) -> &mut Context {
        &mut self.context
    }

    /// The full method name, `service.method`.
    pub fn method(&self) -> &str {
        self.context.method()
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

    /// The reply for a handler's `Result` whose error is a [`CallError`]: ok, `application`
    /// with the typed error as `data`, or the status the handler chose with its message.
    pub fn reply_outcome<T: Serialize, E: Serialize + Display>(
        &self,
        outcome: &Result<T, CallError<E>>,
    ) -> Reply {
        match outcome {
            Ok(value) => self.reply_ok(value),
            Err(err) => self.reply_call_error(err),
        }
    }

    /// The reply carrying a [`CallError`] a handler returned. `ok` and a data-less
    /// `application` are not outcomes a handler can choose: they become `internal`.
    pub fn reply_call_error<E: Serialize + Display>(&self, err: &CallError<E>) -> Reply {
        match err {
            CallError::Application(err) => self.reply_application(err),
            CallError::Status {
                status: status @ (Status::Ok | Status::Application),
                message,
                ..
            } => {
                let message = format!(
                    "the handler of {} answered {status} without a value: {message}",
                    self.method()
                );
                self.reply_error(Status::Internal, &message)
            }
            CallError::Status {
                status, message, ..
            } => self.reply_error(*status, message),
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
