//! `ferry call`: one call from the shell, arguments and result as JSON, over the native
//! protocol or, to an http:// URL, XML-RPC or JSON-RPC 2.0.

use std::time::Duration;

use ferry::{
    client::decode_reply, CallError, CallOptions, Client, Codec, ErrorObject, NoError, Reply,
    Status,
};
use serde_json::{Map, Value};

use crate::{
    args,
    auth::TokenArgs,
    call_http::{self, Dialect, Target},
    call_stream,
    connect::{self, BalanceArgs},
    failure::{ApplicationError, Failure},
    list,
    output::print,
    tls_args::TlsArgs,
};

/// `ferry call ADDR SERVICE.METHOD [ARG ...]`; ADDR may be an http:// URL.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Each ARG is read as JSON when it parses as JSON, and as a plain string otherwise:
  200 is a number, hello is the string \"hello\", '\"200\"' is the string \"200\",
  '[1,2]' is an array. They are sent as a JSON array of positional arguments.

An http:// URL is called over HTTP: XML-RPC when its path ends in /RPC2, JSON-RPC 2.0 when it
ends in /jsonrpc; --dialect says it for any other path (or HOST:PORT, using those paths).
https:// is not supported. Named --args are JSON-RPC only. Over HTTP, --meta KEY=VALUE is sent
as the header x-ferry-KEY (authorization, traceparent and tracestate as themselves).

Examples:
  ferry call 127.0.0.1:7070 calc.divide 200 100
  ferry call 127.0.0.1:7070 calc.divide --args '{\"num1\": 200}'
  ferry call unix:/tmp/ferry.sock echo.ping hello --meta trace=abc --timeout 2.5
  ferry call http://127.0.0.1:7070/RPC2 calc.add 2 3
  ferry call http://127.0.0.1:7070/jsonrpc calc.divide --args '{\"num1\": 200}'
  ferry call http://127.0.0.1:8000/ --dialect xmlrpc sum 2 3
  ferry call 127.0.0.1:7070,127.0.0.1:7071 calc.add 2 3
  ferry call etcd://127.0.0.1:2379 calc.add 2 3 --balance round-robin
  ferry call 127.0.0.1:7070 calc.add 2 3 --token 6f1c9e0d8a7b   # or FERRY_TOKEN in the env

A method that streams back prints one JSON value per line as its items arrive. For a method
that takes a stream, --stdin sends the lines of standard input, each JSON or else a plain
string, as that stream:
  ferry call 127.0.0.1:7070 echo.count 5
  seq 1 100 | ferry call 127.0.0.1:7070 echo.sum --stdin
When a stream fails after some items were printed, they stay on stdout and the error goes to
stderr.

Exit codes: 0 ok, 1 the method returned its own error, 2 any other failure.")]
pub(crate) struct CallArgs {
    /// The server: HOST:PORT, unix:PATH, a list HOST:PORT,HOST:PORT, etcd://HOST:PORT[,...]
    /// (the servers registered there), or an http:// URL.
    #[arg(value_name = "ADDR")]
    address: String,
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
    /// The dialect: native, or over HTTP xmlrpc or jsonrpc [default: native, or for an
    /// http:// URL, told by its path]
    #[arg(long, value_enum, value_name = "DIALECT")]
    dialect: Option<Dialect>,
    /// Send the lines of standard input as the stream a method takes (native only).
    #[arg(long)]
    stdin: bool,
    #[command(flatten)]
    token: TokenArgs,
    #[command(flatten)]
    balance: BalanceArgs,
    /// With --balance hash: the key that places the call (the same key, the same server).
    #[arg(long, value_name = "KEY")]
    hash_key: Option<String>,
    #[command(flatten)]
    tls: TlsArgs,
}

/// Makes the call and prints its result as compact JSON.
pub(crate) async fn run(args: CallArgs) -> Result<(), Failure> {
    let result = match Target::of(&args.address, args.dialect)? {
        Target::Native(address) => match native(address, args).await? {
            Some(result) => result,
            None => return Ok(()),
        },
        Target::Http(_) if args.stdin => {
            let message = "--stdin streams over the native protocol only; call HOST:PORT";
            return Err(Failure::Call(CallError::new(Status::InvalidArgs, message)));
        }
        Target::Http(client) => {
            let client = client.with_metadata(&args.token.metadata(&args.meta));
            let client = client.with_tls(args.tls.http()?);
            let (method, timeout) = (args.method.as_str(), args.timeout);
            call_http::call(client, method, args.positional, args.named, timeout).await?
        }
    };
    print(format_args!("{result}\n"))
}

/// The call over the native protocol: the result to print, or `None` when a stream printed
/// everything already.
async fn native(address: String, args: CallArgs) -> Result<Option<Value>, Failure> {
    let config = args
        .tls
        .native(args.token.config(args::client_config(args.timeout)))?;
    let client = connect::client(&address, config, args.balance.balance).await?;
    let client = args.meta.iter().fold(client, |client, (key, value)| {
        client.with_metadata(key, value)
    });
    let client = match &args.hash_key {
        Some(key) => client.with_hash_key(key),
        None => client,
    };
    let arguments = match args.named {
        Some(named) => Value::Object(named),
        None => Value::Array(args.positional),
    };
    let shape = call_stream::shape(&client, &args.method).await;
    if shape.is_streaming() || args.stdin {
        return call_stream::call(&client, &args.method, &arguments, shape, args.stdin).await;
    }
    let body = Codec::Json
        .encode(&arguments)
        .map_err(|err| CallError::new(Status::InvalidArgs, err.to_string()))?;
    let options = CallOptions::new().with_idempotent(shape.idempotent);
    let reply = client
        .call_raw(&args.method.as_str().into(), &body, &options)
        .await?;
    answer(&client, &args.method, reply).await.map(Some)
}

/// The result of a reply, or the failure it is.
pub(crate) async fn answer(client: &Client, method: &str, reply: Reply) -> Result<Value, Failure> {
    if reply.status == Status::Application {
        return Err(application_error(client, method, &reply.body).await);
    }
    Ok(decode_reply::<Value, NoError>(Codec::Json, reply)?)
}

/// The failure for an `application` reply, named by the error type the server declares.
async fn application_error(client: &Client, method: &str, body: &[u8]) -> Failure {
    let object: ErrorObject<Value> = match Codec::Json.decode(body) {
        Ok(object) => object,
        Err(err) => {
            let message = format!("the application error does not decode: {err}");
            return Failure::Call(CallError::new(Status::Protocol, message));
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
