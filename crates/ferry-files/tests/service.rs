//! The `files` service on a real socket of 127.0.0.1, called through its generated client:
//! the refusals a well-behaved `ferry put` / `ferry get` never provokes, so only a test can.

mod common;

use ferry::{Bytes, CallError, Client, ClientConfig, Router, Server, Status};
use ferry_files::{FilesClient, FilesServer, FilesService, PutEvent, PutItem, RootConfig};
use tokio::sync::mpsc;

use common::{pattern, Tree};

/// A server of the files service over `tree`'s root, and a client of it without deadlines.
async fn serve(tree: &Tree) -> FilesClient {
    let root = tree.open(RootConfig::default());
    let router = Router::new().service(FilesServer::new(FilesService::new(root)));
    let server = Server::bind("127.0.0.1:0", router).await.expect("bind");
    let address = server.local_address();
    tokio::spawn(server.run());
    let config = ClientConfig::default().default_timeout(None);
    let client = Client::connect_with(address, config)
        .await
        .expect("connect");
    FilesClient::new(client)
}

fn hex(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}

/// A put of `bytes` to `path` whose items the test sends itself, after the offer.
async fn open_put(
    files: &FilesClient,
    path: &str,
    bytes: &[u8],
) -> (
    ferry::ItemStream<PutEvent>,
    mpsc::UnboundedSender<PutItem>,
    u64,
) {
    let (items, mut rx) = mpsc::unbounded_channel();
    let stream = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx));
    let mut events = files
        .put(path.to_owned(), bytes.len() as u64, 7, hex(bytes), stream)
        .await
        .expect("the put opens");
    match events.recv().await {
        Some(Ok(PutEvent::Offer { resume_from, .. })) => (events, items, resume_from),
        other => panic!("not an offer: {other:?}"),
    }
}

/// The status and message the call ended with.
async fn failure(mut events: ferry::ItemStream<PutEvent>) -> CallError {
    loop {
        match events.recv().await {
            Some(Ok(PutEvent::Offer { .. })) => continue,
            Some(Ok(landed)) => panic!("landed: {landed:?}"),
            Some(Err(err)) => return err,
            None => panic!("ended without an answer"),
        }
    }
}

#[tokio::test]
async fn a_get_of_a_version_that_changed_or_past_the_end_is_refused() {
    let tree = Tree::new("service-get");
    tree.put_file("a.bin", &pattern(1000, 3));
    let files = serve(&tree).await;

    let stale = hex(b"another version");
    let err = files
        .get("a.bin".to_owned(), 0, Some(stale.clone()))
        .await
        .expect("the call opens")
        .recv()
        .await
        .expect("an end")
        .expect_err("refused");
    assert_eq!(err.status(), Status::InvalidArgs);
    let message = err.message().unwrap_or_default().to_owned();
    assert!(
        message.contains("changed") && message.contains(&stale),
        "{message}"
    );

    let mut past = files.get("a.bin".to_owned(), 1001, None).await.unwrap();
    let err = past.recv().await.expect("an end").expect_err("refused");
    assert_eq!(err.status(), Status::InvalidArgs, "{err}");

    let mut tail = files.get("a.bin".to_owned(), 900, None).await.unwrap();
    let mut got = Vec::new();
    while let Some(chunk) = tail.recv().await {
        let chunk: Bytes = chunk.expect("a chunk");
        got.extend_from_slice(&chunk);
    }
    assert_eq!(got, pattern(1000, 3)[900..]);
}

#[tokio::test]
async fn a_restart_after_data_or_a_short_upload_is_refused_and_nothing_lands() {
    let tree = Tree::new("service-put");
    let files = serve(&tree).await;
    let bytes = pattern(10_000, 4);

    let (events, items, from) = open_put(&files, "late.bin", &bytes).await;
    assert_eq!(from, 0);
    items
        .send(PutItem::Data(Bytes::from(bytes[..10].to_vec())))
        .unwrap();
    items.send(PutItem::Restart).unwrap();
    let err = failure(events).await;
    assert_eq!(err.status(), Status::InvalidArgs);
    assert!(err.to_string().contains("restart"), "{err}");

    let (events, items, _) = open_put(&files, "short.bin", &bytes).await;
    items
        .send(PutItem::Data(Bytes::from(bytes[..10].to_vec())))
        .unwrap();
    drop(items);
    let err = failure(events).await;
    assert_eq!(err.status(), Status::InvalidArgs);
    assert!(
        err.to_string().contains("10 of the declared 10000"),
        "{err}"
    );

    assert!(!tree.root_dir().join("late.bin").exists());
    assert!(!tree.root_dir().join("short.bin").exists());
}

#[tokio::test]
async fn of_two_live_puts_to_one_path_the_second_is_told_it_is_busy() {
    let tree = Tree::new("service-busy");
    let files = serve(&tree).await;
    let bytes = pattern(10_000, 5);

    let (mut first, items, _) = open_put(&files, "one.bin", &bytes).await;
    let mut second = files
        .put(
            "one.bin".to_owned(),
            10_000,
            7,
            hex(&bytes),
            futures_util::stream::empty(),
        )
        .await
        .expect("the call opens");
    let err = second.recv().await.expect("an end").expect_err("busy");
    assert_eq!(err.status(), Status::Overloaded, "{err}");

    items
        .send(PutItem::Data(Bytes::from(bytes.clone())))
        .unwrap();
    drop(items);
    match first.recv().await {
        Some(Ok(PutEvent::Landed {
            bytes: len, blake3, ..
        })) => {
            assert_eq!((len, blake3), (10_000, hex(&bytes)));
        }
        other => panic!("the first did not land: {other:?}"),
    }
    assert_eq!(
        std::fs::read(tree.root_dir().join("one.bin")).unwrap(),
        bytes
    );
}
