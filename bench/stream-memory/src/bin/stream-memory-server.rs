//! `stream-memory-server --listen ADDR`: serves `mem.flood` and says where on stderr.

use clap::Parser;
use ferry::{Router, Server};
use stream_memory::{Flood, MemServer};

/// Serves the `mem` service.
#[derive(Debug, Parser)]
struct Args {
    /// Where to listen.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: String,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let server = Server::bind(
        args.listen.as_str(),
        Router::new().service(MemServer::new(Flood)),
    )
    .await?;
    eprintln!("listening on {}", server.local_address());
    server.run().await?;
    Ok(())
}
