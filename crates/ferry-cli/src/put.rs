//! `ferry put ADDR LOCAL [REMOTE]`: a file to a server's `--files` store, resuming what an
//! earlier attempt stored, verified by BLAKE3 on both sides.

use std::{
    fs::File,
    path::{Path, PathBuf},
    pin::pin,
    time::Duration,
};

use anyhow::{anyhow, Context as _};
use ferry::{CallError, ItemStream, Status};
use ferry_files::{read_chunks, FilesClient, PutEvent, PutItem, Source};
use tokio::{sync::mpsc, time::Instant};

use crate::{
    failure::Failure,
    transfer::{self, hash_prefix, Pace, Progress, Report, TransferArgs},
};

/// `ferry put ADDR LOCAL [REMOTE] [--json] [--limit-rate BYTES]`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Sends LOCAL to the files service of a `ferry serve --files DIR`, to REMOTE under DIR (default:
LOCAL's file name). The file is hashed (BLAKE3) first; the server says how much of this same
file (same size, modification time and hash) an earlier attempt stored durably, and only the
rest is sent. The file lands, atomically, only once its hash matches on the server, and the
hash the server reports is checked here again.

Examples:
  ferry put 127.0.0.1:7070 ./big.iso
  ferry put 127.0.0.1:7070 ./big.iso images/big.iso --limit-rate 10M
  ferry put 127.0.0.1:7070 ./report.pdf --json

Exit codes: 0 the file landed verified, 2 anything else (the reason on one line).")]
pub(crate) struct PutArgs {
    /// The server: HOST:PORT, unix:PATH, a list HOST:PORT,HOST:PORT or etcd://HOST:PORT (one
    /// server is chosen by the path, so a resumed transfer reaches the same one).
    #[arg(value_name = "ADDR")]
    address: String,
    /// The file to send.
    #[arg(value_name = "LOCAL")]
    local: PathBuf,
    /// Where it lands under the server's --files DIR [default: LOCAL's file name].
    #[arg(value_name = "REMOTE")]
    remote: Option<String>,
    #[command(flatten)]
    transfer: TransferArgs,
}

/// How often, and how long apart, a put refused as busy is tried again: the upload holding
/// the path may be this file's own earlier attempt, whose server side is still letting go.
const BUSY_TRIES: u32 = 50;
const BUSY_WAIT: Duration = Duration::from_millis(100);

/// The file being sent, and its identity as the server records it.
struct Local {
    path: PathBuf,
    file: File,
    source: Source,
}

/// A put call whose server has made its offer.
struct Opened {
    events: ItemStream<PutEvent>,
    items: mpsc::Sender<PutItem>,
    resume_from: u64,
    prefix_blake3: String,
}

/// Sends the file, then prints the report.
pub(crate) async fn run(args: PutArgs) -> Result<(), Failure> {
    let started = Instant::now();
    let remote = remote_path(&args)?;
    let local = open_local(&args.local).await?;
    let files = transfer::connect(&args.address, &remote, &args.transfer).await?;
    let opened = open(&files, &remote, &local.source).await?;
    let (from, restart) = start(&local, &opened).await;
    let progress = Progress::new(local.source.size, from);
    let pace = Pace::new(args.transfer.limit_rate);
    let landed = send(opened, &local, from, restart, pace, &progress).await;
    progress.clear();
    let (path, bytes, blake3) = landed?;
    if (bytes, blake3.as_str()) != (local.source.size, local.source.blake3.as_str()) {
        return Err(anyhow!(
            "verification failed: {path} landed as {bytes} bytes hashing to {blake3}, but {} is {} bytes hashing to {}; send it again",
            local.path.display(), local.source.size, local.source.blake3
        )
        .into());
    }
    let report = Report {
        path,
        bytes,
        blake3,
        seconds: started.elapsed().as_secs_f64(),
        resumed_from: from,
    };
    report.print(args.transfer.json, "sent")
}

/// REMOTE, or LOCAL's file name.
fn remote_path(args: &PutArgs) -> anyhow::Result<String> {
    if let Some(remote) = &args.remote {
        return Ok(remote.clone());
    }
    let name = args.local.file_name().and_then(|name| name.to_str());
    name.map(str::to_owned).ok_or_else(|| {
        anyhow!(
            "{} has no UTF-8 file name to store it under; name the REMOTE path",
            args.local.display()
        )
    })
}

/// Opens and hashes the file to send.
async fn open_local(path: &Path) -> anyhow::Result<Local> {
    let shown = path.display();
    let file = File::open(path).with_context(|| format!("cannot open {shown}"))?;
    let metadata = file
        .metadata()
        .with_context(|| format!("cannot stat {shown}"))?;
    anyhow::ensure!(metadata.is_file(), "{shown} is not a regular file");
    let hasher = hash_prefix(&file, metadata.len())
        .await
        .with_context(|| format!("cannot hash {shown}"))?;
    let source = Source {
        size: metadata.len(),
        modified_ns: ferry_files::transfer::modified_ns(&metadata),
        blake3: hasher.finalize().to_hex().to_string(),
    };
    Ok(Local {
        path: path.to_owned(),
        file,
        source,
    })
}

/// Calls `files.put` until the server makes its offer; a busy path is tried again for a while.
async fn open(files: &FilesClient, remote: &str, source: &Source) -> Result<Opened, Failure> {
    let mut tries = 1;
    loop {
        let (items, rx) = mpsc::channel(2);
        let mut events = files
            .put(
                remote.to_owned(),
                source.size,
                source.modified_ns,
                source.blake3.clone(),
                receiver_stream(rx),
            )
            .await?;
        match events.recv().await {
            Some(Ok(PutEvent::Offer {
                resume_from,
                prefix_blake3,
            })) => {
                return Ok(Opened {
                    events,
                    items,
                    resume_from,
                    prefix_blake3,
                })
            }
            Some(Err(err)) if err.status() == Status::Overloaded && tries < BUSY_TRIES => {
                tries += 1;
                tokio::time::sleep(BUSY_WAIT).await;
            }
            Some(Err(err)) => return Err(err.into()),
            Some(Ok(PutEvent::Landed { .. })) | None => {
                return Err(
                    anyhow!("the server ended the upload without offering where to start").into(),
                )
            }
        }
    }
}

/// Where to send from, and whether to tell the server to restart: the offered point when
/// this file's own first bytes hash to the offered prefix, else 0.
async fn start(local: &Local, opened: &Opened) -> (u64, bool) {
    if opened.resume_from == 0 {
        return (0, false);
    }
    let ours = hash_prefix(&local.file, opened.resume_from).await;
    let same = ours.is_ok_and(|hasher| hasher.finalize().to_hex().as_str() == opened.prefix_blake3);
    if same {
        (opened.resume_from, false)
    } else {
        (0, true)
    }
}

/// Streams the file from `from` while waiting for the server's last word: the landed path,
/// size and hash.
async fn send(
    opened: Opened,
    local: &Local,
    from: u64,
    restart: bool,
    pace: Pace,
    progress: &Progress,
) -> Result<(String, u64, String), Failure> {
    let Opened {
        mut events, items, ..
    } = opened;
    let file = local
        .file
        .try_clone()
        .context("cannot open the file again to send it")?;
    let mut pump = pin!(pump(file, local, from, restart, items, pace, progress));
    let mut pumping = true;
    loop {
        tokio::select! {
            event = events.recv() => return landed(event),
            pumped = &mut pump, if pumping => {
                pumping = false;
                pumped?;
            }
        }
    }
}

/// Feeds the call's stream: a restart if agreed, then the file's chunks from `from`, paced.
async fn pump(
    file: File,
    local: &Local,
    from: u64,
    restart: bool,
    items: mpsc::Sender<PutItem>,
    mut pace: Pace,
    progress: &Progress,
) -> anyhow::Result<()> {
    // A send refused means the call ended; its answer, awaited beside this, says how.
    if restart && items.send(PutItem::Restart).await.is_err() {
        return Ok(());
    }
    let mut chunks = read_chunks(file, from, local.source.size);
    while let Some(chunk) = chunks.recv().await {
        let chunk = chunk.with_context(|| format!("cannot read {}", local.path.display()))?;
        let len = chunk.len();
        pace.take(len).await;
        if items.send(PutItem::Data(chunk)).await.is_err() {
            return Ok(());
        }
        progress.advance(len);
    }
    Ok(())
}

/// The server's last word on the upload.
fn landed(event: Option<Result<PutEvent, CallError>>) -> Result<(String, u64, String), Failure> {
    match event {
        Some(Ok(PutEvent::Landed {
            path,
            bytes,
            blake3,
        })) => Ok((path, bytes, blake3)),
        Some(Err(err)) => Err(err.into()),
        Some(Ok(PutEvent::Offer { .. })) | None => {
            Err(anyhow!("the server ended the upload without saying it landed").into())
        }
    }
}

/// A bounded channel as the stream a call sends.
fn receiver_stream<T: Send + 'static>(
    mut rx: mpsc::Receiver<T>,
) -> impl futures_util::Stream<Item = T> + Send + 'static {
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
}
