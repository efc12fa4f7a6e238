//! What `ferry put` and `ferry get` share: their flags, the connection, the pace, the
//! progress bar and the report at the end.

mod local;
mod pace;
mod progress;
mod report;

use ferry::ClientConfig;
use ferry_discovery::Policy;
use ferry_files::FilesClient;

pub(crate) use local::{hash_prefix, sync_dir};
pub(crate) use pace::Pace;
pub(crate) use progress::Progress;
pub(crate) use report::Report;

use crate::{auth::TokenArgs, connect, failure::Failure};

/// The flags of `ferry put` and `ferry get`.
#[derive(Debug, clap::Args)]
pub(crate) struct TransferArgs {
    /// Print one JSON object at the end: {"path", "bytes", "blake3", "seconds", "resumed_from"}.
    #[arg(long)]
    pub(crate) json: bool,
    /// The most bytes per second to move: bytes, or with a suffix k, M, G (powers of 1024, as
    /// curl reads them).
    #[arg(long, value_name = "BYTES", value_parser = pace::rate)]
    pub(crate) limit_rate: Option<u64>,
    #[command(flatten)]
    pub(crate) tls: crate::tls_args::TlsArgs,
    #[command(flatten)]
    pub(crate) token: TokenArgs,
}

/// The `files` service at `address`; over many servers, the one `remote` hashes to, so a
/// resumed transfer of a path reaches the server holding its part. Transfers have no
/// deadline: a large file or a low `--limit-rate` takes as long as it takes; only the connect
/// is bounded.
pub(crate) async fn connect(
    address: &str,
    remote: &str,
    transfer: &TransferArgs,
) -> Result<FilesClient, Failure> {
    let config = transfer
        .token
        .config(ClientConfig::default().default_timeout(None));
    let config = transfer.tls.native(config)?;
    let client = connect::client(address, config, Policy::Hash).await?;
    Ok(FilesClient::new(client.with_hash_key(remote)))
}
