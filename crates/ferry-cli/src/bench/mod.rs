//! `ferry bench`: loads one method of a ferry server and reports rate, latency percentiles and
//! errors by status.

mod body;
mod flags;
mod stream;

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use ferry::{Address, Bytes, CallError, Client, ClientConfig, Codec, Compression};
use ferry_discovery::Balanced;
use ferry_load::{FerryTarget, LoadConfig, LoadError, Report};
use futures_util::future::BoxFuture;
use serde_json::{Map, Value};

use crate::{
    args,
    auth::TokenArgs,
    call_stream,
    connect::{self, BalanceArgs},
    failure::Failure,
    output::print,
};

/// `ferry bench ADDR [--method SERVICE.METHOD] [--conns N] [--inflight N] ...`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Closed loop by default: CONNS connections, each keeping INFLIGHT calls outstanding. With
--rate, an open loop: calls are due on a fixed schedule, are sent on time, and each is timed
from when it was due, so a call that starts late because every slot was busy shows the wait.
The report's send lag is how long after it was due each call was sent. Warmup calls are not
recorded.

The arguments are encoded once: echo.echo gets PAYLOAD bytes, echo.ping a string of PAYLOAD
characters, any other method the --args object (or no arguments).

With --stream down|up, one stream per connection moves --chunk-byte items as fast as flow
control allows, and the report gives MB/s (10^6 bytes of items) and items/s: down reads
echo.source (or the server stream of --method, with --args), up feeds echo.sink (or the
client stream of --method).

Examples:
  ferry bench 127.0.0.1:7070
  ferry bench 127.0.0.1:7070 --conns 8 --inflight 16 --duration 10
  ferry bench 127.0.0.1:7070 --rate 5000 --json
  ferry bench 127.0.0.1:7070 --method calc.add --args '{\"a\": 1, \"b\": 2}'
  ferry bench 127.0.0.1:7070 --stream down --chunk 65536 --json
  ferry bench 127.0.0.1:7070,127.0.0.1:7071,127.0.0.1:7072 --conns 8 --inflight 16 --json
  ferry bench etcd://127.0.0.1:2379 --conns 4 --balance round-robin

With a list or etcd:// address each connection is a balanced client spreading its calls over
every server, and --json adds by_instance: the calls each server answered.

Exit codes: 0 the run happened (failed calls are counted in the report), 2 it could not
start (no connection, bad flags).")]
pub(crate) struct BenchArgs {
    /// The server: HOST:PORT, unix:PATH, a list HOST:PORT,HOST:PORT or etcd://HOST:PORT (each
    /// connection is then a balanced client over every server).
    #[arg(value_name = "ADDR")]
    address: String,
    /// The method to call [default: echo.echo; with --stream, echo.source or echo.sink].
    #[arg(long, value_name = "SERVICE.METHOD")]
    method: Option<String>,
    /// Payload size in bytes, for echo.echo and echo.ping.
    #[arg(long, value_name = "BYTES", default_value = "64")]
    payload: usize,
    /// What echo.echo and echo.ping payloads are made of.
    #[arg(long, value_enum, value_name = "FILL", default_value_t = body::Fill::Letter)]
    fill: body::Fill,
    /// Offer zstd in the preface: with a server that accepts it (ferry serve does unless
    /// --no-compress), bodies over 1 KiB go compressed both ways.
    #[arg(long)]
    compress: bool,
    /// Connections to open.
    #[arg(long, value_name = "N", default_value = "1", value_parser = flags::at_least_one)]
    conns: usize,
    /// Calls outstanding at once on each connection.
    #[arg(long, value_name = "N", default_value = "1", value_parser = flags::at_least_one)]
    inflight: usize,
    /// Seconds measured.
    #[arg(long, value_name = "SECS", default_value = "5", value_parser = args::timeout)]
    duration: Duration,
    /// Seconds of unrecorded calls before measuring; 0 for none.
    #[arg(long, value_name = "SECS", default_value = "1", value_parser = flags::seconds)]
    warmup: Duration,
    /// Open loop: total calls per second, over all connections.
    #[arg(long, value_name = "RPS", value_parser = flags::rate)]
    rate: Option<f64>,
    /// Named arguments as a JSON object, for methods other than echo.echo and echo.ping.
    #[arg(long = "args", value_name = "JSON", value_parser = args::named_args)]
    named: Option<Map<String, Value>>,
    /// The body codec.
    #[arg(long, value_enum, default_value_t = flags::CodecName::Msgpack)]
    codec: flags::CodecName,
    /// Seconds one call may take before it counts as deadline_exceeded.
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = args::timeout)]
    timeout: Duration,
    /// Print the report as one JSON object.
    #[arg(long)]
    json: bool,
    /// Measure a stream instead of calls: down (server to client) or up.
    #[arg(long, value_enum, value_name = "WAY", conflicts_with_all = ["rate", "inflight"])]
    stream: Option<stream::Way>,
    /// Bytes per stream item, with --stream.
    #[arg(long, value_name = "BYTES", default_value = "65536", requires = "stream", value_parser = crate::args::byte_size)]
    chunk: u64,
    #[command(flatten)]
    token: TokenArgs,
    #[command(flatten)]
    balance: BalanceArgs,
    #[command(flatten)]
    tls: crate::tls_args::TlsArgs,
}

impl BenchArgs {
    /// The method loaded.
    fn method(&self) -> &str {
        match (&self.method, self.stream) {
            (Some(method), _) => method,
            (None, None) => "echo.echo",
            (None, Some(way)) => way.default_method(),
        }
    }
}

/// Runs the load and prints the report.
pub(crate) async fn run(args: BenchArgs) -> Result<(), Failure> {
    if let Some(way) = args.stream {
        return stream::run(&args, way).await;
    }
    let codec = Codec::from(args.codec);
    let payload = (args.payload, args.fill);
    let body = body::encode(args.method(), payload, args.named.as_ref(), codec)?;
    let balanced = Arc::new(Mutex::new(Vec::new()));
    let idempotent = is_idempotent(&args).await;
    let target = target(&args, body, &balanced)?.idempotent(idempotent);
    let config = LoadConfig::default()
        .conns(args.conns)
        .inflight(args.inflight)
        .duration(args.duration)
        .warmup(args.warmup)
        .rate(args.rate)
        .payload(args.payload)
        .progress(true);
    let report = ferry_load::run(target, config)
        .await
        .map_err(|err| failure(&args, err))?;
    let by_instance = spread(&balanced);
    if args.json {
        print(format_args!("{}\n", json(&args, &report, by_instance)))
    } else {
        print(format_args!(
            "ferry bench {} {} ({codec})\n{report}",
            args.address,
            args.method()
        ))
    }
}

/// Settings for the bench's clients: the chosen codec, and `--timeout` bounding each call and
/// the connect.
fn client_config(args: &BenchArgs) -> Result<ClientConfig, Failure> {
    let config = args.token.config(ClientConfig::default());
    let connect_timeout = config.connect_timeout.min(args.timeout);
    let compression = if args.compress {
        Compression::zstd()
    } else {
        Compression::Off
    };
    let config = config
        .codec(args.codec.into())
        .default_timeout(Some(args.timeout))
        .connect_timeout(connect_timeout)
        .compression(compression);
    args.tls.native(config)
}

/// What the run calls: one client per connection, each of one server or balanced over the
/// many of the address; the balanced ones are kept in `balanced` to say who answered.
fn target(
    args: &BenchArgs,
    body: Bytes,
    balanced: &Arc<Mutex<Vec<Balanced>>>,
) -> Result<FerryTarget, Failure> {
    let config = client_config(args)?;
    let target = connect::target(&args.address)?;
    if !target.is_many() {
        let address = Address::from(args.address.as_str());
        return Ok(FerryTarget::new(address, config, args.method(), body));
    }
    let registry = target.registry();
    let config = connect::balanced_config(config, args.balance.balance);
    let (name, kept) = (args.address.clone(), balanced.clone());
    let open = move || -> BoxFuture<'static, Result<Client, CallError>> {
        let opened = Balanced::new(name.as_str(), registry.clone(), config.clone());
        let client = opened.client();
        kept.lock()
            .unwrap_or_else(|poison| poison.into_inner())
            .push(opened);
        Box::pin(std::future::ready(Ok(client)))
    };
    Ok(FerryTarget::over(Arc::new(open), args.method(), body))
}

/// Whether a balanced run may send a call that may have run again: when the servers describe
/// the method as idempotent (not when they cannot say). A run against one server asks nothing,
/// so that the server sees only the calls measured.
async fn is_idempotent(args: &BenchArgs) -> bool {
    if !connect::target(&args.address).is_ok_and(|target| target.is_many()) {
        return false;
    }
    let Ok(config) = client_config(args) else {
        return false;
    };
    let config = config.codec(Codec::Json);
    let Ok(client) = connect::client(&args.address, config, args.balance.balance).await else {
        return false;
    };
    call_stream::shape(&client, args.method()).await.idempotent
}

/// The calls each server answered, over every balanced client of the run; `None` when the
/// run called one server.
fn spread(balanced: &Mutex<Vec<Balanced>>) -> Option<Map<String, Value>> {
    let balanced = balanced.lock().unwrap_or_else(|poison| poison.into_inner());
    if balanced.is_empty() {
        return None;
    }
    let mut by_instance = BTreeMap::<String, u64>::new();
    for figures in balanced.iter().flat_map(Balanced::figures) {
        *by_instance.entry(figures.address).or_default() += figures.answered;
    }
    Some(
        by_instance
            .into_iter()
            .map(|(address, calls)| (address, calls.into()))
            .collect(),
    )
}

/// The report as JSON, with what was loaded, and with `by_instance` for a many-server run.
fn json(args: &BenchArgs, report: &Report, by_instance: Option<Map<String, Value>>) -> Value {
    let mut json = report.to_json();
    if let Value::Object(fields) = &mut json {
        fields.insert("address".to_owned(), args.address.clone().into());
        fields.insert("method".to_owned(), args.method().into());
        fields.insert("codec".to_owned(), Codec::from(args.codec).name().into());
        fields.insert("compress".to_owned(), args.compress.into());
        if let Some(by_instance) = by_instance {
            fields.insert("by_instance".to_owned(), Value::Object(by_instance));
        }
    }
    json
}

fn failure(args: &BenchArgs, err: LoadError) -> Failure {
    let err = anyhow::Error::new(err);
    Failure::Other(err.context(format!("cannot bench {}", args.address)))
}
