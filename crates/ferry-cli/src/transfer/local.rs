//! The local side's file-system work, on blocking threads.

use std::{fs::File, path::Path};

use anyhow::Context as _;

/// The BLAKE3 of the first `len` bytes of `file`, hashed on a blocking thread.
pub(crate) async fn hash_prefix(file: &File, len: u64) -> anyhow::Result<blake3::Hasher> {
    let file = file
        .try_clone()
        .context("cannot open the file again to hash it")?;
    tokio::task::spawn_blocking(move || ferry_files::transfer::hash_prefix(&file, len))
        .await
        .context("the hashing thread failed")?
        .context("cannot read the file to hash it")
}

/// Fsyncs the directory `dir`, so that a file just renamed into it stays there after a crash.
pub(crate) fn sync_dir(dir: &Path) -> anyhow::Result<()> {
    File::open(dir)
        .and_then(|dir| dir.sync_all())
        .with_context(|| format!("cannot sync the directory {}", dir.display()))
}
