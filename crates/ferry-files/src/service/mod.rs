//! The `files` service on the native protocol: [`Files`](crate::Files) over a [`Root`].

mod blocking;
mod get;
mod put;

use ferry::{Bytes, CallError, Sink, Source};

use crate::{Entry, FileInfo, Files, PutEvent, PutItem, Root};
use blocking::blocking;

/// The [`Files`] service over one [`Root`]: every path is confined to it, every failure is
/// answered with the [`FilesError`](crate::FilesError)'s status and message, and the
/// file-system work runs on blocking threads, so a slow disk never stalls the connection.
///
/// ```no_run
/// use ferry_files::{FilesServer, FilesService, Root, RootConfig};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let root = Root::open(std::path::Path::new("./store"), RootConfig::default())?;
/// let router = ferry::Router::new().service(FilesServer::new(FilesService::new(root)));
/// # drop(router);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct FilesService {
    root: Root,
}

impl FilesService {
    /// The service over `root`.
    pub fn new(root: Root) -> FilesService {
        FilesService { root }
    }

    /// The store it serves.
    pub fn root(&self) -> &Root {
        &self.root
    }
}

impl Files for FilesService {
    async fn stat(&self, path: String) -> Result<FileInfo, CallError> {
        let root = self.root.clone();
        blocking(move || root.stat(&path)).await
    }

    async fn list(&self, path: String) -> Result<Vec<Entry>, CallError> {
        let root = self.root.clone();
        blocking(move || root.list(&path)).await
    }

    async fn prefix_hash(&self, path: String, len: u64) -> Result<String, CallError> {
        let root = self.root.clone();
        blocking(move || root.prefix_hash(&path, len)).await
    }

    async fn put(
        &self,
        path: String,
        size: u64,
        modified_ns: i64,
        blake3: String,
        data: Source<PutItem>,
        out: Sink<PutEvent>,
    ) -> Result<(), CallError> {
        let source = crate::Source {
            size,
            modified_ns,
            blake3,
        };
        put::put(self.root.clone(), path, source, data, out).await
    }

    async fn get(
        &self,
        path: String,
        offset: u64,
        blake3: Option<String>,
        out: Sink<Bytes>,
    ) -> Result<(), CallError> {
        get::get(self.root.clone(), path, offset, blake3, out).await
    }
}
