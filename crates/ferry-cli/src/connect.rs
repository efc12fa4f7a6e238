//! How every subcommand reaches ADDR: one server (`HOST:PORT`, `unix:PATH`), a static list
//! (`HOST:PORT,HOST:PORT`) or the servers registered in etcd (`etcd://HOST:PORT[,...]`).

use ferry::{Client, ClientConfig};
use ferry_discovery::{balance::Policy, BalancedConfig, Target};

use crate::failure::Failure;

/// The `--balance` flag of the subcommands that spread calls.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct BalanceArgs {
    /// With a list or etcd:// address, how each call chooses its server: least-in-flight
    /// (power of two choices), round-robin, peak-ewma (power of two choices on latency) or
    /// hash (the same --hash-key reaches the same server).
    #[arg(long, value_name = "POLICY", default_value = "least-in-flight", value_parser = policy)]
    pub(crate) balance: Policy,
}

fn policy(text: &str) -> Result<Policy, String> {
    text.parse()
        .map_err(|err: ferry_discovery::balance::UnknownPolicy| err.to_string())
}

/// The parsed address, or a usage failure saying what addresses look like.
pub(crate) fn target(address: &str) -> Result<Target, Failure> {
    Target::parse(address).map_err(|err| Failure::usage(err.to_string()))
}

/// A client of `address`: connected at once to one server, so a wrong address fails here, or
/// balanced over many with `policy`.
pub(crate) async fn client(
    address: &str,
    config: ClientConfig,
    policy: Policy,
) -> Result<Client, Failure> {
    match target(address)? {
        Target::One(address) => Ok(Client::connect_with(address, config).await?),
        many => Ok(many.client(balanced_config(config, policy))),
    }
}

/// How a balanced client of `policy` chooses, its instances' clients connecting with `config`.
pub(crate) fn balanced_config(config: ClientConfig, policy: Policy) -> BalancedConfig {
    BalancedConfig::default().policy(policy).client(config)
}
