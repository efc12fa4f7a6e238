//! What a handler reads its caller's stream from.

use std::{
    pin::Pin,
    task::{Context, Poll},
};

use futures_util::Stream;
use serde::de::DeserializeOwned;

use super::{ItemStream, RawSource, StreamError};
use crate::{Codec, NoError};

/// The caller's stream of `T`, as a handler reads it: items, then `None` once the caller
/// finished it, or an `Err` (then `None`) when the caller gave up, an item did not fit `T`, or
/// the connection broke. Dropping it tells the caller to stop sending; the call goes on.
#[derive(Debug)]
pub struct Source<T> {
    items: ItemStream<T, NoError>,
}

impl<T: DeserializeOwned + 'static> Source<T> {
    pub(crate) fn new(raw: RawSource, codec: Codec) -> Source<T> {
        Source {
            items: ItemStream::new(raw, codec).read_by_handler(),
        }
    }

    /// The next item, `None` once the stream is over.
    pub async fn recv(&mut self) -> Option<Result<T, StreamError>> {
        Some(self.items.recv().await?.map_err(StreamError::from))
    }
}

impl<T: DeserializeOwned + 'static> Stream for Source<T> {
    type Item = Result<T, StreamError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let items = Pin::new(&mut self.get_mut().items);
        items
            .poll_next(cx)
            .map(|next| next.map(|item| item.map_err(StreamError::from)))
    }
}
