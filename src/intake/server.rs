//! Accepting connections: the limits that keep slow or idle clients from tying the service
//! up, and a shutdown that finishes requests in flight without waiting forever for a client
//! that never finishes its own.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// How many connections the service holds open, and for how long it waits on a client.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// Open connections in all.
    pub total: usize,
    /// Open connections from one address; `None` behind a proxy, where every client shares
    /// the proxy's address.
    pub per_client: Option<usize>,
    /// How long a client may take to send a request's headers, or stay idle between requests.
    pub header_timeout: Duration,
    /// How long a shutdown waits for requests in flight.
    pub drain_timeout: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> ConnectionLimits {
        ConnectionLimits {
            total: 1024,
            per_client: Some(64),
            header_timeout: Duration::from_secs(10),
            drain_timeout: Duration::from_secs(15),
        }
    }
}

/// Serves `app` on `listener` until `shutdown` resolves, then finishes the requests in flight.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let open = Arc::new(Semaphore::new(limits.total));
    let per_client = Arc::new(Mutex::new(HashMap::<IpAddr, usize>::new()));
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_buf_size(64 * 1024);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors, say: back off instead of spinning.
                    tracing::warn!("cannot accept a connection: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(permit) = Arc::clone(&open).try_acquire_owned() else { continue };
        let Some(slot) = ClientSlot::take(&per_client, peer.ip(), limits.per_client) else {
            continue;
        };
        let service =
            TowerToHyperService::new(app.clone().layer(axum::Extension(ConnectInfo(peer))));
        let connection = http.serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            let _ = connection.await;
            drop((permit, slot));
        });
    }
    drop(listener);
    if tokio::time::timeout(limits.drain_timeout, graceful.shutdown()).await.is_err() {
        tracing::warn!(
            "requests still unfinished after {} s were cut off; nothing they sent was stored",
            limits.drain_timeout.as_secs()
        );
    }
}

/// One open connection counted against its client's allowance until dropped; not counted
/// when there is no per-client limit.
struct ClientSlot {
    counts: Option<Arc<Mutex<HashMap<IpAddr, usize>>>>,
    client: IpAddr,
}

impl ClientSlot {
    fn take(
        counts: &Arc<Mutex<HashMap<IpAddr, usize>>>,
        client: IpAddr,
        limit: Option<usize>,
    ) -> Option<ClientSlot> {
        let Some(limit) = limit else { return Some(ClientSlot { counts: None, client }) };
        let mut map = counts.lock().unwrap_or_else(|e| e.into_inner());
        let open = map.entry(client).or_insert(0);
        if *open >= limit {
            return None;
        }
        *open += 1;
        Some(ClientSlot { counts: Some(Arc::clone(counts)), client })
    }
}

impl Drop for ClientSlot {
    fn drop(&mut self) {
        let Some(counts) = &self.counts else { return };
        let mut map = counts.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(open) = map.get_mut(&self.client) {
            *open -= 1;
            if *open == 0 {
                map.remove(&self.client);
            }
        }
    }
}
