//! `ferry call` for streaming methods: items printed one JSON value per line as they arrive,
//! standard input sent line by line as the stream a method takes.

use std::pin::pin;

use ferry::{stream::RawItem, CallError, CallOptions, Client, ItemStream, NoError, Sink, Status};
use futures_util::future::{select, Either};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::{args, call::answer, failure::Failure, list, output::print};

/// Which ways a method streams, and whether it may run twice, as the server describes it.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Shape {
    takes: bool,
    sends: bool,
    /// Whether the method is idempotent: then a call that may have run may be sent again to
    /// another server of a list or etcd.
    pub(crate) idempotent: bool,
}

impl Shape {
    pub(crate) fn is_streaming(self) -> bool {
        self.takes || self.sends
    }
}

/// The shape of `method`, from the server's reflection; unary when the server does not say
/// (an unknown method is then answered as such by the call itself).
pub(crate) async fn shape(client: &Client, method: &str) -> Shape {
    let Ok(reflection) = list::describe(client).await else {
        return Shape::default();
    };
    let Some((service, name)) = method.rsplit_once('.') else {
        return Shape::default();
    };
    reflection
        .services
        .iter()
        .filter(|described| described.name == service)
        .flat_map(|described| &described.methods)
        .find(|described| described.name == name)
        .map_or_else(Shape::default, |described| Shape {
            takes: described.client_stream.is_some(),
            sends: described.server_stream.is_some(),
            idempotent: described.idempotent,
        })
}

/// Makes a streaming call: the result to print after the items (a client stream's answer), or
/// `None`.
pub(crate) async fn call(
    client: &Client,
    method: &str,
    arguments: &Value,
    shape: Shape,
    stdin: bool,
) -> Result<Option<Value>, Failure> {
    let options = CallOptions::new();
    if shape.takes != stdin {
        return Err(Failure::Call(stdin_mismatch(method, shape)));
    }
    let end = if shape.takes {
        let (sink, items) = client
            .open_bidi_stream::<_, Value, Value, NoError>(method, arguments, &options)
            .await?;
        let printing = pin!(print_items(items));
        let feeding = pin!(feed_stdin(sink));
        match select(printing, feeding).await {
            Either::Left((end, _)) => end?,
            Either::Right((fed, printing)) => {
                fed?;
                printing.await?
            }
        }
    } else {
        let items = client
            .server_stream::<_, Value, NoError>(method, arguments, &options)
            .await?;
        print_items(items).await?
    };
    let result = answer(client, method, end).await?;
    Ok((!shape.sends).then_some(result))
}

fn stdin_mismatch(method: &str, shape: Shape) -> CallError {
    let message = if shape.takes {
        format!("{method} takes a stream: send it with --stdin, one JSON value per line")
    } else {
        format!("{method} takes no stream; call it without --stdin")
    };
    CallError::new(Status::InvalidArgs, message)
}

/// Prints each item on a line of its own as it comes; the call's end.
async fn print_items(mut items: ItemStream<Value, NoError>) -> Result<ferry::Reply, Failure> {
    loop {
        match items.recv_raw().await {
            Some(Ok(RawItem::Item(json))) => {
                print(format_args!("{}\n", String::from_utf8_lossy(&json)))?;
            }
            Some(Ok(RawItem::End(reply))) => return Ok(reply),
            Some(Ok(_)) => continue,
            Some(Err(err)) => return Err(Failure::Call(err)),
            None => {
                let message = "the stream ended without the call's answer";
                return Err(Failure::Call(CallError::new(Status::Protocol, message)));
            }
        }
    }
}

/// Sends each line of standard input, JSON or else a plain string (empty lines skipped), then
/// ends the stream. Stops early, without error, when the server no longer reads it.
async fn feed_stdin(mut sink: Sink<Value>) -> Result<(), Failure> {
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    loop {
        let line = match lines.next_line().await {
            Ok(Some(line)) => line,
            Ok(None) => break,
            Err(err) => {
                let err = anyhow::Error::new(err).context("cannot read standard input");
                return Err(Failure::Other(err));
            }
        };
        if line.is_empty() {
            continue;
        }
        let Ok(item) = args::json_or_string(&line);
        if sink.send(item).await.is_err() {
            return Ok(());
        }
    }
    sink.finish();
    Ok(())
}
