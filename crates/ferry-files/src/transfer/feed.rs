//! A blocking thread fed through a bounded channel: the writer side of a transfer, so that
//! reading the socket and writing the disk overlap, with memory bounded by a few messages.

use std::{
    panic,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
};

use tokio::{sync::mpsc, task::JoinHandle};

/// How many messages may wait for the thread.
const QUEUED: usize = 4;

/// The async side: hands messages to a blocking thread and collects what it returns.
///
/// Dropping it unfinished (the call failed, or its future was dropped) *abandons* the feed:
/// the thread's [`Feed`] ends without the messages still queued, and
/// [`Feed::abandoned`] says so, for it to save what it can and stop soon.
#[derive(Debug)]
pub struct Writer<M, R> {
    tx: Option<mpsc::Sender<M>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<R>>,
}

/// The thread's side: the messages, in order, until the writer finished or abandoned it.
#[derive(Debug)]
pub struct Feed<M> {
    rx: mpsc::Receiver<M>,
    stop: Arc<AtomicBool>,
}

impl<M: Send + 'static, R: Send + 'static> Writer<M, R> {
    /// Runs `work` on a blocking thread with the feed of what [`send`](Writer::send) hands it.
    pub fn spawn(work: impl FnOnce(Feed<M>) -> R + Send + 'static) -> Writer<M, R> {
        let (tx, rx) = mpsc::channel(QUEUED);
        let stop = Arc::new(AtomicBool::new(false));
        let feed = Feed {
            rx,
            stop: stop.clone(),
        };
        Writer {
            tx: Some(tx),
            stop,
            thread: Some(tokio::task::spawn_blocking(move || work(feed))),
        }
    }

    /// Hands `message` to the thread, waiting while it is a few messages behind. `false`:
    /// the thread stopped reading (its work ended, usually by failing); [`finish`] says why.
    ///
    /// [`finish`]: Writer::finish
    pub async fn send(&mut self, message: M) -> bool {
        match &self.tx {
            Some(tx) => tx.send(message).await.is_ok(),
            None => false,
        }
    }

    /// Ends the feed after the messages sent, and waits for what the thread returns. A panic
    /// on the thread is resumed here.
    pub async fn finish(mut self) -> R {
        self.tx = None;
        let thread = self.thread.take().expect("finished once");
        match thread.await {
            Ok(result) => result,
            Err(err) if err.is_panic() => panic::resume_unwind(err.into_panic()),
            Err(err) => panic!("the blocking pool dropped a transfer's writer: {err}"),
        }
    }
}

impl<M, R> Drop for Writer<M, R> {
    fn drop(&mut self) {
        if self.thread.is_some() {
            // Before the channel closes: the thread then skips what is still queued.
            self.stop.store(true, Ordering::Release);
        }
        self.tx = None;
    }
}

impl<M> Feed<M> {
    /// Whether the writer was dropped unfinished: the feed ended early, and what its messages
    /// were to complete will not be completed.
    pub fn abandoned(&self) -> bool {
        self.stop.load(Ordering::Acquire)
    }
}

impl<M> Iterator for Feed<M> {
    type Item = M;

    /// The next message, waiting for it; `None` once the writer finished or abandoned the feed.
    fn next(&mut self) -> Option<M> {
        if self.abandoned() {
            return None;
        }
        self.rx.blocking_recv().filter(|_| !self.abandoned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_thread_gets_every_message_then_its_result_comes_back() {
        let mut writer = Writer::spawn(|feed: Feed<u32>| {
            let abandoned = feed.abandoned();
            (feed.sum::<u32>(), abandoned)
        });
        for i in 1..=100 {
            assert!(writer.send(i).await);
        }
        assert_eq!(writer.finish().await, (5050, false));
    }

    #[tokio::test]
    async fn a_thread_that_stopped_refuses_more_and_its_result_says_why() {
        let mut writer = Writer::spawn(|mut feed: Feed<u32>| feed.find(|n| *n == 3));
        let mut refused = false;
        for i in 1..=100 {
            if !writer.send(i).await {
                refused = true;
                break;
            }
        }
        assert!(refused, "sends after the thread returned are refused");
        assert_eq!(writer.finish().await, Some(3));
    }

    #[tokio::test]
    async fn a_dropped_writer_abandons_its_feed_without_what_was_queued() {
        let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
        let (done_tx, done_rx) = tokio::sync::oneshot::channel();
        let mut writer = Writer::spawn(move |feed: Feed<u32>| {
            go_rx.recv().expect("told to go");
            let abandoned = feed.abandoned();
            let _ = done_tx.send((feed.count(), abandoned));
        });
        for i in 0..3 {
            assert!(writer.send(i).await);
        }
        drop(writer);
        go_tx.send(()).unwrap();
        assert_eq!(done_rx.await.expect("the thread reports"), (0, true));
    }
}
