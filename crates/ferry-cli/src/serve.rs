//! `ferry serve`: the demo services on a socket until SIGINT or SIGTERM.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
    time::Duration,
};

use anyhow::Context as _;
use ferry::{server::Figures, Address, Router, Server, ServerConfig};
use ferry_files::{FilesServer, FilesService, Root, RootConfig};
use ferry_http::{Http, HttpConfig};

use crate::{
    auth::AuthArgs, failure::Failure, serve_model::Model, serve_register::RegisterArgs,
    serve_tls::ServeTlsArgs,
};

/// The built-in service every router holds, left out of the listening line.
const REFLECT: &str = "ferry.reflect";

/// `ferry serve [--listen ADDR] [--threads N] [--model MODEL] [--www DIR] [--files DIR
/// [--files-max-size BYTES] [--files-fsync-every BYTES]]`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Serves the demo services calc and echo (and ferry.reflect; with --files, files) until SIGINT
or SIGTERM, then finishes the calls in flight and exits 0.

Examples:
  ferry serve
  ferry serve --listen 0.0.0.0:7070
  ferry serve --listen 127.0.0.1:0      # any free port; the listening line names it
  ferry serve --listen unix:/tmp/ferry.sock
  ferry serve --www ./public            # static files beside the HTTP routes
  ferry serve --files ./store           # the files service and GET/PUT /files/PATH,
                                        # confined to ./store
  ferry serve --files ./store --files-max-size 10G --files-fsync-every 16M
  ferry serve --threads 1                # one event loop
  ferry serve --model thread-per-core    # a listener and event loop per core
  ferry serve --listen 127.0.0.1:0 --register etcd://127.0.0.1:2379 --lease-ttl 5
  ferry serve --listen 0.0.0.0:7070 --register etcd://10.0.0.9:2379 --advertise 10.0.0.5:7070
  ferry serve --listen 0.0.0.0:7070 --admin-listen 127.0.0.1:7071   # pages on loopback only
  ferry serve --auth-tokens ./tokens     # calls and pages need a token the file grants

The pages /metrics (Prometheus), /status (a live dashboard), /status.json, /rpcz and /rpcz.json
are on the main port unless --admin-listen moves them (docs/OBSERVABILITY.md).

With --register, one key per service served is put in etcd under a lease and kept alive while
the server serves; on SIGTERM or SIGINT the lease is revoked (the keys go) before the server
drains, so callers stop choosing it first. The layout is in docs/DISCOVERY.md.")]
pub(crate) struct ServeArgs {
    /// Where to listen: HOST:PORT (port 0 picks a free port) or unix:PATH.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:7070")]
    listen: Address,
    /// Worker threads [default: one per core].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    threads: Option<u16>,
    /// How connections spread over the threads: multi-thread (one work-stealing runtime) or
    /// thread-per-core (an event loop and a SO_REUSEPORT listener per thread; TCP only).
    #[arg(long, value_enum, value_name = "MODEL", default_value = "multi-thread")]
    model: Model,
    /// Serve the files of DIR to HTTP GET requests no other route takes.
    #[arg(long, value_name = "DIR")]
    www: Option<PathBuf>,
    /// Store and serve files under DIR (created if missing): the files service for `ferry
    /// put` and `ferry get`, and /files/PATH over HTTP (GET with Range, PUT landing
    /// atomically); nothing outside DIR is ever opened.
    #[arg(long, value_name = "DIR")]
    files: Option<PathBuf>,
    /// The largest file --files accepts [default: 64G]: bytes, or with a suffix K, M, G, T
    /// (powers of 1024; also KiB, MiB, ...) or KB, MB, GB, TB (powers of 1000).
    #[arg(long, value_name = "BYTES", requires = "files", value_parser = crate::args::byte_size)]
    files_max_size: Option<u64>,
    /// How many bytes an upload writes between two fsyncs [default: 64M]: the durability
    /// granularity, at most what a server crash makes a resumed upload send again.
    #[arg(long, value_name = "BYTES", requires = "files", value_parser = crate::args::byte_size)]
    files_fsync_every: Option<u64>,
    /// Serve the pages (/metrics, /status, /status.json, /rpcz, /rpcz.json) and /healthz on
    /// a listener of their own at IP:PORT, and take the pages off the main port.
    #[arg(long, value_name = "ADDR")]
    admin_listen: Option<std::net::SocketAddr>,
    /// Count no calls: they are not timed, counted or kept, and the per-method figures stay
    /// at zero (for measuring what counting costs); connection and byte figures go on.
    #[arg(long)]
    no_metrics: bool,
    /// Connections open at once; one more is answered overloaded (HTTP: 503) and closed, and
    /// those open are served on. Each takes a file descriptor: keep `ulimit -n` above N.
    #[arg(long, value_name = "N", default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..))]
    max_connections: u32,
    /// Ping a connection that sent nothing for SECS seconds, and close it when it then sends
    /// nothing for 20 s more (0: never ping).
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    keepalive: u64,
    /// Compress no bodies: by default, native clients that offer zstd get it both ways over
    /// 1 KiB, and HTTP clients get gzip or zstd answers over 1 KiB as they accept.
    #[arg(long)]
    no_compress: bool,
    /// Export each call's span to the OpenTelemetry collector at URL over OTLP/HTTP
    /// (protobuf), e.g. http://127.0.0.1:4318 (/v1/traces is added to a URL with no path);
    /// needs a ferry built with the otel feature.
    #[arg(long, value_name = "URL")]
    pub(crate) otlp_endpoint: Option<String>,
    #[command(flatten)]
    register: RegisterArgs,
    #[command(flatten)]
    tls: ServeTlsArgs,
    #[command(flatten)]
    auth: AuthArgs,
}

/// Serves until a signal, then drains.
pub(crate) fn run(args: ServeArgs) -> Result<(), Failure> {
    if let Some(www) = &args.www {
        check_www(www)?;
    }
    let files = files_root(&args)?;
    let tls = args.tls.load()?;
    let tls_mode = args.tls.describe();
    let served = args.auth.install(router(files.as_ref()))?;
    let threads = args.threads.map_or_else(cores, usize::from);
    let (model, listen, register) = (args.model, args.listen.clone(), args.register.clone());
    let admin = args.admin_listen.map(bind_admin).transpose()?;
    let admin_address = admin.as_ref().map(|(_, address)| *address);
    let args = Arc::new(args);
    let first = Shared::First(served.clone(), admin.map(|(listener, _)| listener));
    let shared = Arc::new(Mutex::new(first));
    let bind = move |address, config| {
        let shared = (files.clone(), shared.clone(), tls.clone());
        bind(args.clone(), shared, address, config)
    };
    let announce = |address: &Address| {
        eprintln!("ferry: serving {} on {address}", listed(&served));
        if let Some(mode) = tls_mode {
            eprintln!("ferry: {mode} on {address}");
        }
        if let Some(admin) = admin_address {
            eprintln!("ferry: pages on http://{admin}/status (and /metrics, /rpcz)");
        }
        let address = address.clone();
        async move { register.register(&address, registered(&served)).await }
    };
    crate::serve_model::serve(model, threads, listen, bind, announce)
}

/// What the servers of one `ferry serve` share: one router (whose clones share its
/// per-method figures), then the first server's counters.
enum Shared {
    First(Router, Option<std::net::TcpListener>),
    Others(Router, Figures),
}

/// One server of the demo services on `address`; the model binds one per thread or one in all.
/// Every server counts into the first one's figures, so each page shows the whole process.
async fn bind(
    args: Arc<ServeArgs>,
    (files, shared, tls): (
        Option<Root>,
        Arc<Mutex<Shared>>,
        Option<Arc<rustls::ServerConfig>>,
    ),
    address: Address,
    config: ServerConfig,
) -> Result<Server, Failure> {
    let config = connection_limits(&args, config);
    let (router, figures, admin) =
        match &mut *shared.lock().expect("no server panics while binding") {
            Shared::First(router, admin) => (router.clone(), None, admin.take()),
            Shared::Others(router, figures) => (router.clone(), Some(figures.clone()), None),
        };
    let mut config = config.metrics(!args.no_metrics).tls_only(args.tls.tls_only);
    if args.no_compress {
        config = config.compression(ferry::Compression::Off);
    }
    let server = Server::bind_with(address, router.clone(), config)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let mut server = server.with_http(http(&args, files));
    if let Some(tls) = tls {
        server = server.with_tls((*tls).clone());
    }
    match figures {
        Some(figures) => server = server.with_figures(figures),
        None => {
            *shared.lock().expect("no server panics while binding") =
                Shared::Others(router, server.figures());
            if let Some(admin) = admin {
                serve_pages(admin, &server, &args)?;
            }
        }
    }
    Ok(server)
}

/// Binds `--admin-listen` before anything serves, so a taken address fails the start.
fn bind_admin(address: SocketAddr) -> anyhow::Result<(std::net::TcpListener, SocketAddr)> {
    let listener = std::net::TcpListener::bind(address)
        .with_context(|| format!("--admin-listen {address}: cannot listen"))?;
    listener.set_nonblocking(true).context("--admin-listen")?;
    let bound = listener.local_addr().context("--admin-listen")?;
    Ok((listener, bound))
}

/// Serves the pages on the `--admin-listen` listener beside `server`, until it shuts down.
fn serve_pages(
    listener: std::net::TcpListener,
    server: &Server,
    args: &ServeArgs,
) -> Result<(), Failure> {
    let listener = tokio::net::TcpListener::from_std(listener).context("--admin-listen")?;
    let pages = ferry_http::serve_pages(listener, server.dispatcher(), http_config(args, None));
    tokio::spawn(async move {
        if let Err(err) = pages.await {
            tracing::warn!(%err, "the pages' listener stopped");
        }
    });
    Ok(())
}

/// The demo services, and the files service over `--files` when given.
fn router(files: Option<&Root>) -> Router {
    let router = ferry_demo::router();
    match files {
        Some(root) => router.service(FilesServer::new(FilesService::new(root.clone()))),
        None => router,
    }
}

/// The HTTP dialect, serving `--www` and `--files` when given.
fn http(args: &ServeArgs, files: Option<Root>) -> Http {
    Http::new(http_config(args, files))
}

/// The HTTP settings: `--www`, `--files`, and the pages only without `--admin-listen`.
fn http_config(args: &ServeArgs, files: Option<Root>) -> HttpConfig {
    let mut config = HttpConfig::default().pages(args.admin_listen.is_none());
    if let Some(www) = &args.www {
        config = config.www(www);
    }
    if let Some(root) = files {
        config = config.files(root);
    }
    config
}

/// The store of `--files`, opened once before anything listens and shared by every server
/// thread by the HTTP `/files/` routes and the native files service.
fn files_root(args: &ServeArgs) -> anyhow::Result<Option<Root>> {
    let Some(dir) = &args.files else {
        return Ok(None);
    };
    let mut config = RootConfig::default();
    if let Some(max) = args.files_max_size {
        config = config.max_file_size(max);
    }
    if let Some(bytes) = args.files_fsync_every {
        config = config.fsync_every(bytes);
    }
    let root = Root::open(dir, config).with_context(|| format!("--files {}", dir.display()))?;
    Ok(Some(root))
}

/// Refuses a `--www` that is not a readable directory before anything listens.
fn check_www(www: &Path) -> anyhow::Result<()> {
    let metadata = std::fs::metadata(www)
        .with_context(|| format!("--www {}: cannot serve it", www.display()))?;
    anyhow::ensure!(
        metadata.is_dir(),
        "--www {}: not a directory; name the directory to serve",
        www.display()
    );
    Ok(())
}

/// `--max-connections` and `--keepalive` in `config`.
fn connection_limits(args: &ServeArgs, config: ServerConfig) -> ServerConfig {
    let keepalive = (args.keepalive > 0).then(|| Duration::from_secs(args.keepalive));
    config
        .max_connections(args.max_connections as usize)
        .keepalive(keepalive)
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// `calc, echo`: the services a client may call, without the built-in one.
fn listed(router: &Router) -> String {
    let names: Vec<String> = registered(router)
        .into_iter()
        .filter(|name| name != REFLECT)
        .collect();
    names.join(", ")
}

/// Every service the router serves, the built-in one included: a caller of an etcd address
/// finds a server to describe itself (`ferry list etcd://...`) under `ferry.reflect`.
fn registered(router: &Router) -> Vec<String> {
    let services = router.services().iter();
    services.map(|service| service.name.clone()).collect()
}
