//! `ferry instances ADDR [SERVICE]`: the servers a registry lists, and whether each answers.

use std::{
    collections::BTreeMap,
    fmt,
    time::{Duration, SystemTime},
};

use ferry::{Client, ClientConfig};
use ferry_discovery::{Instance, Registered};
use futures_util::future::join_all;
use serde_json::{json, Value};
use tokio::time::Instant;

use crate::{connect, failure::Failure, output::print};

/// How long a server has to answer the ping.
const PING_TIMEOUT: Duration = Duration::from_secs(1);

/// `ferry instances ADDR [SERVICE] [--json]`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
One line per server: its address, then weight, version, age (since it started), whether it
answers a ping now (a connection and the ferry preface exchange within 1 s, with the time it
took), and the services it is registered for. The ping is made now, from this machine.

Examples:
  ferry instances etcd://127.0.0.1:2379
  ferry instances etcd://127.0.0.1:2379 calc --json
  ferry instances 127.0.0.1:7070,127.0.0.1:7071

Exit codes: 0 listed (even when none answers), 2 the registry could not be read.")]
pub(crate) struct InstancesArgs {
    /// The registry: etcd://HOST:PORT[,HOST:PORT...], or a list HOST:PORT,HOST:PORT.
    #[arg(value_name = "ADDR")]
    address: String,
    /// Only the servers of this service.
    #[arg(value_name = "SERVICE")]
    service: Option<String>,
    /// Print a JSON array of {address, weight, version, started_at, age_seconds, answers,
    /// ping_ms, services}.
    #[arg(long)]
    json: bool,
}

/// One server, as listed, and what its ping found.
struct Listed {
    instance: Instance,
    services: Vec<String>,
    ping: Result<Duration, String>,
}

/// Lists the servers and pings them all at once.
pub(crate) async fn run(args: InstancesArgs) -> Result<(), Failure> {
    let registered = registered(&args).await?;
    let pings = registered
        .values()
        .map(|(instance, _)| ping(&instance.address));
    let pings = join_all(pings).await;
    let listed: Vec<Listed> = registered
        .into_values()
        .zip(pings)
        .map(|((instance, services), ping)| Listed {
            instance,
            services,
            ping,
        })
        .collect();
    if args.json {
        let array: Vec<Value> = listed.iter().map(Listed::to_json).collect();
        return print(format_args!("{}\n", Value::Array(array)));
    }
    for server in &listed {
        print(format_args!("{server}\n"))?;
    }
    Ok(())
}

/// Each server the registry lists for the service (or any), with its services, by address.
async fn registered(
    args: &InstancesArgs,
) -> Result<BTreeMap<String, (Instance, Vec<String>)>, Failure> {
    let listed = connect::target(&args.address)?
        .registry()
        .list(args.service.as_deref())
        .await
        .map_err(|err| Failure::Other(anyhow::anyhow!("{}: {err}", args.address)))?;
    let mut servers = BTreeMap::new();
    for Registered {
        service, instance, ..
    } in listed
    {
        let entry = servers
            .entry(instance.address.clone())
            .or_insert_with(|| (instance, Vec::new()));
        if !service.is_empty() {
            entry.1.push(service);
        }
    }
    Ok(servers)
}

/// How long connecting and the preface exchange took, or why they failed.
async fn ping(address: &str) -> Result<Duration, String> {
    let started = Instant::now();
    let config = ClientConfig::default().connect_timeout(PING_TIMEOUT);
    match Client::connect_with(address, config).await {
        Ok(_) => Ok(started.elapsed()),
        Err(err) => Err(err.message().unwrap_or("no answer").to_owned()),
    }
}

impl Listed {
    fn age(&self) -> Option<Duration> {
        self.instance.age(SystemTime::now())
    }

    fn to_json(&self) -> Value {
        let instance = &self.instance;
        json!({
            "address": instance.address,
            "weight": instance.weight,
            "version": instance.version,
            "started_at": instance.started_at,
            "age_seconds": self.age().map(|age| age.as_secs()),
            "answers": self.ping.is_ok(),
            "ping_ms": self.ping.as_ref().ok().map(|took| took.as_secs_f64() * 1000.0),
            "services": self.services,
        })
    }
}

impl fmt::Display for Listed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let instance = &self.instance;
        let version = if instance.version.is_empty() {
            "-"
        } else {
            &instance.version
        };
        let age = self.age().map_or_else(
            || "-".to_owned(),
            |age| humantime::format_duration(Duration::from_secs(age.as_secs())).to_string(),
        );
        write!(
            f,
            "{}  weight {}  version {version}  age {age}  ",
            instance.address, instance.weight
        )?;
        match &self.ping {
            Ok(took) => write!(f, "answers ({:.1} ms)", took.as_secs_f64() * 1000.0)?,
            Err(why) => write!(f, "no answer ({why})")?,
        }
        if !self.services.is_empty() {
            write!(f, "  {}", self.services.join(", "))?;
        }
        Ok(())
    }
}
