//! A TLS connection's handshake: once its whole ClientHello is in, it waits for one of a
//! bounded number of handshake slots, and has a deadline to finish.

use std::sync::Arc;

use tokio::{sync::Semaphore, time::Instant};
use tokio_rustls::{server::TlsStream, TlsAcceptor};

use super::Socket;
use crate::{context::Peer, tls::identity_of, TlsPeer};

/// A server's TLS: its configuration and the slots handshakes take.
pub(crate) struct TlsSetup {
    acceptor: TlsAcceptor,
    slots: Arc<Semaphore>,
}

impl TlsSetup {
    pub(crate) fn new(config: rustls::ServerConfig, max_handshakes: usize) -> TlsSetup {
        TlsSetup {
            acceptor: TlsAcceptor::from(Arc::new(config)),
            slots: Arc::new(Semaphore::new(max_handshakes.max(1))),
        }
    }

    /// Runs the handshake on `socket` (which replays the ClientHello), and says who the peer
    /// turned out to be; `None` when a slot or the handshake does not come by `deadline`, or
    /// the handshake fails (no valid client certificate where one is required, say).
    pub(crate) async fn accept(
        &self,
        socket: Socket,
        deadline: Instant,
    ) -> Option<(TlsStream<Socket>, Peer)> {
        let handshake = async {
            let _slot = self.slots.acquire().await.ok()?;
            let peer = socket.peer().clone();
            match self.acceptor.accept(socket).await {
                Ok(stream) => Some(with_tls(stream, peer)),
                Err(err) => {
                    tracing::debug!(%peer, %err, "TLS handshake failed");
                    None
                }
            }
        };
        tokio::time::timeout_at(deadline, handshake).await.ok()?
    }
}

/// The stream and its peer, now with what the handshake settled.
fn with_tls(stream: TlsStream<Socket>, peer: Peer) -> (TlsStream<Socket>, Peer) {
    let (_, session) = stream.get_ref();
    let identity = session
        .peer_certificates()
        .and_then(|chain| chain.first())
        .and_then(identity_of);
    let alpn = session.alpn_protocol().map(<[u8]>::to_vec);
    let peer = match peer.socket_address() {
        Some(address) => Peer::Tls(Arc::new(TlsPeer {
            address,
            identity,
            alpn,
        })),
        None => peer,
    };
    (stream, peer)
}

impl std::fmt::Debug for TlsSetup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsSetup")
            .field("free_slots", &self.slots.available_permits())
            .finish_non_exhaustive()
    }
}
