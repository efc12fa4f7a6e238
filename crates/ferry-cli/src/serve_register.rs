//! `ferry serve --register etcd://...`: the server's keys in etcd, one per service, under a
//! lease kept alive while it serves and revoked first when it stops.

use std::{
    net::SocketAddr,
    time::{Duration, SystemTime},
};

use anyhow::{anyhow, Context as _};
use ferry::Address;
use ferry_discovery::{etcd::Registration, Instance, Target};

use crate::failure::Failure;

/// The flags of registration.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct RegisterArgs {
    /// Register in etcd, at etcd://HOST:PORT[,HOST:PORT...]: one key per service served,
    /// /ferry/v1/services/{service}/{address}, under a lease; revoked first on SIGTERM.
    #[arg(long, value_name = "ETCD")]
    register: Option<String>,
    /// Seconds the lease lives without a keepalive (kept alive every third of it).
    #[arg(long, value_name = "SECS", default_value = "10", requires = "register", value_parser = clap::value_parser!(u64).range(1..))]
    lease_ttl: u64,
    /// The address callers should use, when the listen address is not it (0.0.0.0, a NAT)
    /// [default: the address listened on, with the port bound].
    #[arg(long, value_name = "HOST:PORT", requires = "register")]
    advertise: Option<String>,
}

impl RegisterArgs {
    /// Registers `services` as served at `bound` (or `--advertise`), when `--register` asks.
    pub(crate) async fn register(
        &self,
        bound: &Address,
        services: Vec<String>,
    ) -> Result<Option<Registration>, Failure> {
        let Some(register) = &self.register else {
            return Ok(None);
        };
        let endpoints = etcd_endpoints(register)?;
        let address = self.advertised(bound)?;
        let instance =
            Instance::new(address.clone()).described(env!("CARGO_PKG_VERSION"), SystemTime::now());
        let ttl = Duration::from_secs(self.lease_ttl);
        let registration = Registration::start(endpoints, services, instance, ttl)
            .await
            .with_context(|| format!("--register {register}"))?;
        eprintln!("ferry: registered {address} in {register}");
        Ok(Some(registration))
    }

    /// The address to register: `--advertise`, or the one bound when callers can reach it.
    fn advertised(&self, bound: &Address) -> Result<String, Failure> {
        if let Some(advertise) = &self.advertise {
            return Ok(advertise.clone());
        }
        let address = bound.to_string();
        let unspecified = address
            .parse::<SocketAddr>()
            .is_ok_and(|socket| socket.ip().is_unspecified());
        if unspecified {
            return Err(anyhow!(
                "--register: {address} is no address a caller can reach; give --advertise \
                 HOST:PORT (this machine's address, with port {})",
                address.rsplit(':').next().unwrap_or("?")
            )
            .into());
        }
        Ok(address)
    }
}

/// The endpoints of an `etcd://` address.
fn etcd_endpoints(register: &str) -> Result<Vec<String>, Failure> {
    match Target::parse(register) {
        Ok(Target::Etcd { endpoints, .. }) => Ok(endpoints),
        Ok(_) => Err(Failure::usage(format!(
            "--register {register}: write etcd://HOST:PORT[,HOST:PORT...]"
        ))),
        Err(err) => Err(Failure::usage(err.to_string())),
    }
}
