//! `files.put`: offer what is stored, take the rest through a writer thread, land it.

use ferry::{Bytes, CallError, Sink, Status};

use super::blocking::{answer, blocking};
use crate::{Feed, FilesError, PutEvent, PutItem, Root, Source, Upload, Writer};

/// Uploads `source` to `path`, streamed from `data`; see [`Files::put`](crate::Files::put).
pub(super) async fn put(
    root: Root,
    path: String,
    source: Source,
    mut data: ferry::Source<PutItem>,
    mut out: Sink<PutEvent>,
) -> Result<(), CallError> {
    let upload = blocking(move || root.begin_upload(&path, source)).await?;
    out.send(PutEvent::Offer {
        resume_from: upload.resume_from(),
        prefix_blake3: upload.prefix_blake3().to_owned(),
    })
    .await?;
    let (upload, first) = first_item(upload, &mut data).await?;
    let mut writer = Writer::spawn(move |feed| write_all(upload, feed));
    let mut next = first;
    loop {
        let chunk = match next.take() {
            Some(chunk) => chunk,
            None => match data.recv().await.transpose()? {
                Some(PutItem::Data(chunk)) => chunk,
                Some(PutItem::Restart) => return Err(late_restart()),
                None => break,
            },
        };
        // A writer that stopped taking chunks failed; `finish` below says why.
        if !writer.send(chunk).await {
            break;
        }
    }
    let upload = writer.finish().await.map_err(answer)?;
    let landed = blocking(move || upload.finish()).await?;
    out.send(PutEvent::Landed {
        path: landed.path,
        bytes: landed.bytes,
        blake3: landed.blake3,
    })
    .await?;
    Ok(())
}

/// The upload after the sender's first item: emptied if it asked to restart, with the first
/// chunk of data if it sent one instead.
async fn first_item(
    upload: Upload,
    data: &mut ferry::Source<PutItem>,
) -> Result<(Upload, Option<Bytes>), CallError> {
    match data.recv().await.transpose()? {
        Some(PutItem::Restart) => {
            let mut upload = upload;
            let upload = blocking(move || upload.restart().map(|()| upload)).await?;
            Ok((upload, None))
        }
        Some(PutItem::Data(chunk)) => Ok((upload, Some(chunk))),
        None => Ok((upload, None)),
    }
}

/// The writer thread: every chunk appended in order. When the call ends before the upload
/// does (the sender went away), what arrived is fsynced and recorded, so the next upload of
/// the same source resends none of it.
fn write_all(mut upload: Upload, mut feed: Feed<Bytes>) -> Result<Upload, FilesError> {
    for chunk in feed.by_ref() {
        upload.write(&chunk)?;
    }
    if feed.abandoned() {
        upload.save()?;
    }
    Ok(upload)
}

fn late_restart() -> CallError {
    CallError::new(
        Status::InvalidArgs,
        "restart may only be the first item of a put, before any data; call put again",
    )
}
