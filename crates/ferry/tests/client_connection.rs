//! How the client uses and gives up its connection, seen from a peer posing as the server.

mod common;

use common::raw::{accept_one, RawConn};
use ferry::{ByteStr, Bytes, CallOptions, Client, Status};
use ferry_wire::{Frame, Response};

/// A client connected to a peer posing as the server.
async fn connected() -> (Client, RawConn) {
    let (address, accepted) = accept_one().await;
    let client = Client::connect(address).await.unwrap();
    (client, accepted.await.unwrap())
}

/// Answers call `call_id` on `peer` with `body`.
async fn respond(peer: &mut RawConn, call_id: u32, body: Bytes) {
    let response = Response {
        call_id,
        status: Status::Ok,
        body,
    };
    peer.send(&Frame::Response(response)).await;
}

#[tokio::test]
async fn calls_from_many_tasks_share_the_connection_and_each_gets_its_own_answer() {
    let (client, mut peer) = connected().await;
    let method = ByteStr::from_static("test.echo");
    let calls: Vec<_> = (0..3u8)
        .map(|n| {
            let (client, method) = (client.clone(), method.clone());
            tokio::spawn(async move {
                let body = Bytes::from(vec![n]);
                client.call_raw(&method, &body, &CallOptions::new()).await
            })
        })
        .collect();
    // Answered in reverse order, each echoing its own request's body.
    let mut requests = Vec::new();
    for _ in 0..3 {
        let Some(Frame::Request(request)) = peer.next_frame().await else {
            panic!("expected a request");
        };
        requests.push(request);
    }
    for request in requests.iter().rev() {
        respond(&mut peer, request.call_id, request.body.clone()).await;
    }
    for (n, call) in calls.into_iter().enumerate() {
        let reply = call.await.unwrap().unwrap();
        assert_eq!(
            reply.body[..],
            [n as u8],
            "call {n} got another call's answer"
        );
    }
}

#[tokio::test]
async fn dropping_the_last_handle_closes_the_connection() {
    let (client, mut peer) = connected().await;
    let method = ByteStr::from_static("test.echo");
    let call = {
        let client = client.clone();
        tokio::spawn(async move {
            client
                .call_raw(&method, &Bytes::new(), &CallOptions::new())
                .await
        })
    };
    let Some(Frame::Request(request)) = peer.next_frame().await else {
        panic!("expected a request");
    };
    respond(&mut peer, request.call_id, Bytes::from_static(b"done")).await;
    let reply = call.await.unwrap().unwrap();
    assert_eq!(reply.body, Bytes::from_static(b"done"));
    drop(client);
    assert!(
        peer.closed_by_peer().await,
        "the connection stayed open after every handle was dropped"
    );
}
