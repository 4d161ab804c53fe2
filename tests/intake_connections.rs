//! The intake's connection handling: slow, idle and greedy clients cannot tie it up, and a
//! shutdown does not wait forever for a client that never finishes its request.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use portico::intake::server::{ConnectionLimits, serve};

const LIMITS: ConnectionLimits = ConnectionLimits {
    total: 8,
    per_client: Some(3),
    header_timeout: Duration::from_millis(300),
    drain_timeout: Duration::from_millis(500),
};

/// Starts `serve` on a loopback port in a runtime of its own; dropping the sender shuts it down.
fn start(
    limits: ConnectionLimits,
) -> (std::net::SocketAddr, tokio::sync::oneshot::Sender<()>, std::thread::JoinHandle<()>) {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (ready, address) = std::sync::mpsc::channel();
    let thread = std::thread::spawn(move || {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            ready.send(listener.local_addr().unwrap()).unwrap();
            let app = Router::new().route("/health", get(|| async { "ok" }));
            serve(listener, app, limits, async {
                let _ = stopped.await;
            })
            .await;
        });
    });
    (address.recv().unwrap(), stop, thread)
}

/// Whether the server closes the connection (end of stream or a reset) within `wait`.
fn closed_within(stream: &mut TcpStream, wait: Duration) -> bool {
    stream.set_read_timeout(Some(wait)).unwrap();
    let mut buffer = [0u8; 256];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) => {
                use std::io::ErrorKind::{TimedOut, WouldBlock};
                return !matches!(e.kind(), WouldBlock | TimedOut);
            }
        }
    }
}

fn healthy(address: std::net::SocketAddr) -> bool {
    let Ok(mut stream) = TcpStream::connect(address) else { return false };
    stream.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let _ = stream.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer.starts_with("HTTP/1.1 200")
}

#[test]
fn a_client_that_never_finishes_its_headers_is_disconnected() {
    let (address, _stop, _thread) = start(LIMITS);
    let mut slow = TcpStream::connect(address).unwrap();
    slow.write_all(b"POST /referrals HTTP/1.1\r\nHost: x\r\n").unwrap();
    let started = Instant::now();
    assert!(closed_within(&mut slow, Duration::from_secs(3)));
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
    let mut idle = TcpStream::connect(address).unwrap();
    assert!(closed_within(&mut idle, Duration::from_secs(3)), "an idle connection is closed too");
}

#[test]
fn one_client_cannot_hold_every_connection() {
    let (address, _stop, _thread) = start(LIMITS);
    let held: Vec<TcpStream> = (0..3).map(|_| TcpStream::connect(address).unwrap()).collect();
    std::thread::sleep(Duration::from_millis(50));
    let mut extra = TcpStream::connect(address).unwrap();
    let _ = extra.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
    let mut answer = String::new();
    extra.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let _ = extra.read_to_string(&mut answer);
    assert!(answer.is_empty(), "a fourth connection from the same address is refused: {answer}");
    drop(held);
    std::thread::sleep(Duration::from_millis(50));
    assert!(healthy(address), "the allowance comes back when connections close");
}

#[test]
fn shutdown_does_not_wait_forever_for_an_unfinished_request() {
    let limits = ConnectionLimits { header_timeout: Duration::from_secs(60), ..LIMITS };
    let (address, stop, thread) = start(limits);
    let mut stuck = TcpStream::connect(address).unwrap();
    stuck
        .write_all(b"POST /referrals HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
        .unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let started = Instant::now();
    drop(stop);
    thread.join().unwrap();
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
}
