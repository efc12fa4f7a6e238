//! `ferry get ADDR REMOTE [LOCAL]`: a file from a server's `--files` store into `LOCAL.part`,
//! resumed when the part already there is a prefix of it, landed by rename once its BLAKE3
//! matches the server's.

use std::{
    fs::{File, OpenOptions},
    os::unix::fs::FileExt,
    path::{Path, PathBuf},
};

use anyhow::{anyhow, Context as _};
use ferry::Bytes;
use ferry_files::{Feed, FilesClient, Flusher, Writer};
use tokio::time::Instant;

use crate::{
    failure::Failure,
    transfer::{self, hash_prefix, sync_dir, Pace, Progress, Report, TransferArgs},
};

/// `ferry get ADDR REMOTE [LOCAL] [--json] [--limit-rate BYTES]`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Fetches REMOTE from the files service of a `ferry serve --files DIR` into LOCAL (default:
REMOTE's last component, in the current directory; an existing directory receives the file
under that name). Bytes go to LOCAL.part first: a LOCAL.part left by an earlier attempt is
kept when its BLAKE3 matches the same prefix of the remote file, and only the rest is fetched;
otherwise it is started again. LOCAL.part becomes LOCAL, by rename, only once the whole file
hashes to what the server said; a mismatch leaves LOCAL untouched.

Examples:
  ferry get 127.0.0.1:7070 images/big.iso
  ferry get 127.0.0.1:7070 images/big.iso /tmp/big.iso --limit-rate 10M
  ferry get 127.0.0.1:7070 report.pdf --json

Exit codes: 0 the file landed verified, 2 anything else (the reason on one line).")]
pub(crate) struct GetArgs {
    /// The server: HOST:PORT, unix:PATH, a list HOST:PORT,HOST:PORT or etcd://HOST:PORT (one
    /// server is chosen by the path, so a resumed transfer reaches the same one).
    #[arg(value_name = "ADDR")]
    address: String,
    /// The file under the server's --files DIR.
    #[arg(value_name = "REMOTE")]
    remote: String,
    /// Where it lands [default: REMOTE's last component, in the current directory].
    #[arg(value_name = "LOCAL")]
    local: Option<PathBuf>,
    #[command(flatten)]
    transfer: TransferArgs,
}

/// The part file being filled: open, its length so far, their hash.
struct Part {
    path: PathBuf,
    file: File,
    offset: u64,
    hasher: blake3::Hasher,
}

/// Fetches the file, then prints the report.
pub(crate) async fn run(args: GetArgs) -> Result<(), Failure> {
    let started = Instant::now();
    let local = local_path(&args)?;
    let files = transfer::connect(&args.address, &args.remote, &args.transfer).await?;
    let info = files.stat(args.remote.clone()).await?;
    let blake3 = match info.blake3 {
        Some(blake3) if !info.is_dir => blake3,
        _ => return Err(anyhow!("{} is a directory, not a file", args.remote).into()),
    };
    let part = open_part(&files, &args.remote, &local, info.size).await?;
    let resumed_from = part.offset;
    let progress = Progress::new(info.size, resumed_from);
    let pace = Pace::new(args.transfer.limit_rate);
    let received = receive(&files, &args.remote, &blake3, part, pace, &progress).await;
    progress.clear();
    let (part, got, hash) = received?;
    if (got, hash.as_str()) != (info.size, blake3.as_str()) {
        return Err(anyhow!(
            "verification failed: {} holds {got} bytes hashing to {hash}, but {} is {} bytes hashing to {blake3}; {} was not replaced",
            part.display(), args.remote, info.size, local.display()
        )
        .into());
    }
    land(&part, &local)?;
    let report = Report {
        path: local.display().to_string(),
        bytes: info.size,
        blake3,
        seconds: started.elapsed().as_secs_f64(),
        resumed_from,
    };
    report.print(args.transfer.json, "fetched")
}

/// LOCAL (or, for a directory, the file in it), or REMOTE's last component here.
fn local_path(args: &GetArgs) -> anyhow::Result<PathBuf> {
    let name = args.remote.trim_end_matches('/').rsplit('/').next();
    let name = name.filter(|name| !name.is_empty() && *name != "." && *name != "..");
    match &args.local {
        Some(local) if !local.is_dir() => Ok(local.clone()),
        local => {
            let name = name.ok_or_else(|| {
                anyhow!(
                    "{:?} has no file name to store it under; name the LOCAL path",
                    args.remote
                )
            })?;
            Ok(local
                .as_deref()
                .map_or_else(|| name.into(), |dir| dir.join(name)))
        }
    }
}

/// `LOCAL.part`, beside LOCAL.
fn part_path(local: &Path) -> PathBuf {
    let mut name = local.file_name().unwrap_or_default().to_owned();
    name.push(".part");
    local.with_file_name(name)
}

/// Opens `LOCAL.part`, keeping what it holds when that hashes as the same prefix of the
/// remote file does, else emptying it.
async fn open_part(
    files: &FilesClient,
    remote: &str,
    local: &Path,
    size: u64,
) -> Result<Part, Failure> {
    let path = part_path(local);
    let shown = path.display();
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .with_context(|| format!("cannot open {shown}"))?;
    let held = file
        .metadata()
        .with_context(|| format!("cannot stat {shown}"))?
        .len();
    if held > 0 && held <= size {
        let (ours, theirs) = tokio::join!(
            hash_prefix(&file, held),
            files.prefix_hash(remote.to_owned(), held)
        );
        let hasher = ours.with_context(|| format!("cannot hash {shown}"))?;
        if hasher.finalize().to_hex().as_str() == theirs? {
            return Ok(Part {
                path,
                file,
                offset: held,
                hasher,
            });
        }
    }
    file.set_len(0)
        .with_context(|| format!("cannot empty {shown}"))?;
    Ok(Part {
        path,
        file,
        offset: 0,
        hasher: blake3::Hasher::new(),
    })
}

/// Streams the rest of the file into the part through a writer thread, paced; the part's
/// path, its length and its hash once every byte is written and fsynced.
async fn receive(
    files: &FilesClient,
    remote: &str,
    blake3: &str,
    part: Part,
    mut pace: Pace,
    progress: &Progress,
) -> Result<(PathBuf, u64, String), Failure> {
    let mut chunks = files
        .get(remote.to_owned(), part.offset, Some(blake3.to_owned()))
        .await?;
    let mut writer = Writer::spawn(move |feed| write_all(part, feed));
    while let Some(chunk) = chunks.recv().await {
        let chunk = chunk?;
        let len = chunk.len();
        // A writer that stopped taking chunks failed; `finish` below says why.
        if !writer.send(chunk).await {
            break;
        }
        progress.advance(len);
        pace.take(len).await;
    }
    Ok(writer.finish().await?)
}

/// The part is flushed every this many bytes, on a thread beside the writes: the disk writes
/// while more arrives, instead of all of it after the last byte.
const SYNC_EVERY: u64 = 64 * 1024 * 1024;

/// The writer thread: each chunk appended and hashed, the part flushed as it grows (one flush
/// at a time, beside the writes) and fsynced at the end.
fn write_all(mut part: Part, feed: Feed<Bytes>) -> anyhow::Result<(PathBuf, u64, String)> {
    let shown = part.path.display().to_string();
    let mut unsynced = 0;
    let mut flusher = Flusher::default();
    let unflushed = |err| anyhow::Error::new(err).context(format!("cannot sync {shown}"));
    for chunk in feed {
        part.file
            .write_all_at(&chunk, part.offset)
            .with_context(|| format!("cannot write {shown}"))?;
        part.hasher.update(&chunk);
        part.offset += chunk.len() as u64;
        unsynced += chunk.len() as u64;
        if unsynced >= SYNC_EVERY {
            let file = part.file.try_clone().map_err(unflushed)?;
            flusher.start(move || file.sync_data()).map_err(unflushed)?;
            unsynced = 0;
        }
    }
    flusher.wait().map_err(unflushed)?;
    part.file
        .sync_all()
        .with_context(|| format!("cannot sync {shown}"))?;
    Ok((
        part.path,
        part.offset,
        part.hasher.finalize().to_hex().to_string(),
    ))
}

/// Renames the verified part over LOCAL and fsyncs their directory.
fn land(part: &Path, local: &Path) -> anyhow::Result<()> {
    std::fs::rename(part, local)
        .with_context(|| format!("cannot rename {} to {}", part.display(), local.display()))?;
    let dir = local.parent().filter(|dir| !dir.as_os_str().is_empty());
    sync_dir(dir.unwrap_or(Path::new(".")))
}
