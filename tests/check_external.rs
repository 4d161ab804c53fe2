//! `portico check --external` against a server this test starts on loopback: broken, slow,
//! flaky and HEAD-shy addresses, politeness per host, and the cache between runs.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common::Site;
use serde_json::Value;

/// What the server saw: requests per `METHOD path`, and the most connections open at once.
#[derive(Default)]
struct Seen {
    requests: Mutex<HashMap<String, usize>>,
    open: AtomicUsize,
    most_open: AtomicUsize,
}

impl Seen {
    fn count(&self, key: &str) -> usize {
        self.requests.lock().unwrap().get(key).copied().unwrap_or(0)
    }
}

fn serve() -> (SocketAddr, Arc<Seen>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let seen = Arc::new(Seen::default());
    let shared = Arc::clone(&seen);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let seen = Arc::clone(&shared);
            std::thread::spawn(move || answer(stream, &seen));
        }
    });
    (address, seen)
}

fn answer(mut stream: TcpStream, seen: &Seen) {
    let open = seen.open.fetch_add(1, Ordering::SeqCst) + 1;
    seen.most_open.fetch_max(open, Ordering::SeqCst);
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request = String::new();
    let _ = reader.read_line(&mut request);
    let mut line = String::new();
    while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
        line.clear();
    }
    let mut parts = request.split(' ');
    let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let n = {
        let mut requests = seen.requests.lock().unwrap();
        let count = requests.entry(format!("{method} {path}")).or_insert(0);
        *count += 1;
        *count
    };
    std::thread::sleep(Duration::from_millis(30));
    let status = match (method, path) {
        (_, "/ok") => 200,
        (_, "/gone") => 404,
        (_, "/flaky") if n == 1 => 503,
        (_, "/flaky") => 200,
        ("HEAD", "/no-head") => 405,
        (_, "/no-head") => 200,
        (_, "/slow") => {
            std::thread::sleep(Duration::from_secs(3));
            200
        }
        _ => 418,
    };
    let _ = write!(stream, "HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    seen.open.fetch_sub(1, Ordering::SeqCst);
}

fn site(address: SocketAddr) -> Site {
    let url = |path: &str| format!("http://{address}{path}");
    Site::new()
        .file(
            "content/links.md",
            format!(
                "---\ntitle: Links\n---\n[ok]({})\n\n[gone]({})\n\n[flaky]({})\n\n\
                 [no head]({})\n\n[slow]({})\n\n![teapot]({})\n",
                url("/ok"),
                url("/gone"),
                url("/flaky"),
                url("/no-head"),
                url("/slow"),
                url("/teapot")
            ),
        )
        .file(
            "content/desk.md",
            format!("---\ntitle: Desk\ntier: strategic\n---\n[gone]({})\n", url("/gone")),
        )
}

fn check(site: &Site) -> Value {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_portico"))
        .args(["check", "--external", "--external-timeout", "1", "--format", "json", "--root"])
        .arg(site.root())
        .arg("--link-cache")
        .arg(site.root().join("cache.json"))
        .env("NO_PROXY", "*")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap()
}

fn external(json: &Value) -> Vec<String> {
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "broken-external-link")
        .map(|f| {
            let address = f["message"].as_str().unwrap().split('`').nth(1).unwrap();
            let path = &address[address.rfind('/').unwrap()..];
            format!(
                "{} {path} {}",
                f["severity"].as_str().unwrap(),
                crate::common::finding_place(f)
            )
        })
        .collect()
}

#[test]
fn reports_broken_and_unreachable_addresses_where_they_are_linked() {
    let (address, seen) = serve();
    let site = site(address);
    let json = check(&site);
    assert_eq!(
        external(&json),
        [
            "error /gone content/desk.md:5:1 [strategic]",
            "error /gone content/links.md:6:1 [strategic,active,referral-network]",
            "warning /slow content/links.md:12:1 [strategic,active,referral-network]",
            "warning /teapot content/links.md:14:1 [strategic,active,referral-network]",
        ]
    );
    let slow = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["message"].as_str().unwrap().contains("/slow"))
        .unwrap();
    assert!(slow["message"].as_str().unwrap().contains("no answer before the timeout"));
    assert_eq!(seen.count("HEAD /flaky"), 2, "a 503 is tried again");
    assert_eq!(seen.count("GET /no-head"), 1, "a server refusing HEAD is asked with GET");
    assert_eq!(seen.count("HEAD /gone"), 1, "asked once although linked from two pages");
    assert!(seen.most_open.load(Ordering::SeqCst) <= 2, "at most two requests at once to one host");
}

#[test]
fn addresses_that_answered_well_are_not_asked_again_for_a_day() {
    let (address, seen) = serve();
    let site = site(address);
    check(&site);
    let before = (seen.count("HEAD /ok"), seen.count("HEAD /gone"));
    check(&site);
    assert_eq!(seen.count("HEAD /ok"), before.0, "a good answer is remembered");
    assert!(seen.count("HEAD /gone") > before.1, "a broken address is asked again");
}
