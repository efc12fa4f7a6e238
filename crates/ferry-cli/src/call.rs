//! `ferry call`: one call from the shell, arguments and result as JSON.

use std::time::Duration;

use ferry::{
    client::decode_reply, Address, CallError, Client, Codec, ErrorObject, NoError, Status,
};
use serde_json::{Map, Value};

use crate::{
    args,
    failure::{ApplicationError, Failure},
    list,
    output::print,
};

/// `ferry call ADDR SERVICE.METHOD [ARG ...]`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Each ARG is read as JSON when it parses as JSON, and as a plain string otherwise:
  200 is a number, hello is the string \"hello\", '\"200\"' is the string \"200\",
  '[1,2]' is an array. They are sent as a JSON array of positional arguments.

Examples:
  ferry call 127.0.0.1:7070 calc.divide 200 100
  ferry call 127.0.0.1:7070 calc.divide --args '{\"num1\": 200}'
  ferry call unix:/tmp/ferry.sock echo.ping hello --meta trace=abc --timeout 2.5

Exit codes: 0 ok, 1 the method returned its own error, 2 any other failure.")]
pub(crate) struct CallArgs {
    /// The server: HOST:PORT or unix:PATH.
    #[arg(value_name = "ADDR")]
    address: Address,
    /// The method to call.
    #[arg(value_name = "SERVICE.METHOD")]
    method: String,
    /// Positional arguments, each JSON or else a plain string.
    #[arg(
        value_name = "ARG",
        value_parser = args::json_or_string,
        allow_negative_numbers = true
    )]
    positional: Vec<Value>,
    /// Named arguments as a JSON object, instead of positional ones.
    #[arg(
        long = "args",
        value_name = "JSON",
        value_parser = args::named_args,
        conflicts_with = "positional"
    )]
    named: Option<Map<String, Value>>,
    /// Seconds to wait for the answer.
    #[arg(long, value_name = "SECS", default_value = "30", value_parser = args::timeout)]
    timeout: Duration,
    /// Metadata sent with the call; repeat for more pairs.
    #[arg(long = "meta", value_name = "KEY=VALUE", value_parser = args::meta)]
    meta: Vec<(String, String)>,
}

/// Makes the call and prints its result as compact JSON.
pub(crate) async fn run(args: CallArgs) -> Result<(), Failure> {
    let client = Client::connect_with(args.address, args::client_config(args.timeout)).await?;
    let client = args.meta.iter().fold(client, |client, (key, value)| {
        client.with_metadata(key, value)
    });
    let arguments = match args.named {
        Some(named) => Value::Object(named),
        None => Value::Array(args.positional),
    };
    let body = Codec::Json
        .encode(&arguments)
        .map_err(|err| CallError::InvalidArgs(err.to_string()))?;
    let reply = client
        .call_raw(args.method.as_str().into(), body, false)
        .await?;
    if reply.status == Status::Application {
        return Err(application_error(&client, &args.method, &reply.body).await);
    }
    let result: Value = decode_reply::<Value, NoError>(Codec::Json, reply)?;
    print(format_args!("{result}\n"))
}

/// The failure for an `application` reply, named by the error type the server declares.
async fn application_error(client: &Client, method: &str, body: &[u8]) -> Failure {
    let object: ErrorObject<Value> = match Codec::Json.decode(body) {
        Ok(object) => object,
        Err(err) => {
            let message = format!("the application error does not decode: {err}");
            return Failure::Call(CallError::Protocol(message));
        }
    };
    Failure::Application(ApplicationError {
        type_name: error_type_name(client, method).await,
        message: object.message,
        data: object.data,
    })
}

/// The `title` of the method's error schema, from the server's reflection.
async fn error_type_name(client: &Client, method: &str) -> Option<String> {
    let reflection = list::describe(client).await.ok()?;
    let (service, method) = method.rsplit_once('.')?;
    let error = reflection
        .services
        .iter()
        .filter(|candidate| candidate.name == service)
        .flat_map(|service| &service.methods)
        .find(|candidate| candidate.name == method)?
        .error
        .as_ref()?;
    Some(error.get("title")?.as_str()?.to_owned())
}
