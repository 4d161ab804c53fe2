//! Notifications leaving `portico intake`: the signed webhook, retried until delivered and kept
//! across restarts, and the partner manager's email, each against a mock receiver on loopback.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::common::intake::{IntakeServer, PARTNERS_YAML, json_body, referrals};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use tempfile::TempDir;

const SECRET: &str = "whsec-test-0123456789";
/// The secret, and no proxy: a proxy from the developer's environment must not see the traffic.
const ENV: &[(&str, &str)] = &[("PORTICO_WEBHOOK_SECRET", SECRET), ("NO_PROXY", "*")];

/// A program folder whose `partners.yaml` has the `intake:` settings given (indented to sit
/// under `program:`), and the path its referral database will have.
fn site(intake: &str) -> (TempDir, PathBuf) {
    let dir = TempDir::new().unwrap();
    let yaml = PARTNERS_YAML.replace("tiers:\n", &format!("  intake:\n{intake}tiers:\n"));
    std::fs::write(dir.path().join("partners.yaml"), yaml).unwrap();
    let db = dir.path().join("referrals.db");
    (dir, db)
}

fn webhook_at(address: SocketAddr, more: &str) -> String {
    format!("    webhook:\n      url: http://{address}/hooks/portico\n{more}")
}

/// A loopback address nothing listens on (until a test binds it again).
fn unused_address() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap()
}

/// Polls `check` until it gives a value; fails after ten seconds.
fn eventually<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        thread::sleep(Duration::from_millis(100));
    }
}

fn show(root: &Path, db: &Path, id: i64) -> String {
    let output = referrals(root, db, &["show", &id.to_string()]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

fn submit(server: &IntakeServer, overrides: &[(&str, &str)]) -> i64 {
    let answer = server.post_json(&json_body(overrides));
    assert_eq!(answer.status, 201, "{}", answer.body);
    answer.json()["id"].as_i64().unwrap()
}

/// One webhook call as the receiver saw it.
#[derive(Debug, Clone)]
struct Call {
    arrived: Instant,
    headers: Vec<(String, String)>,
    body: String,
}

impl Call {
    fn header(&self, name: &str) -> &str {
        let found = self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name));
        found.map_or_else(|| panic!("no `{name}` header in {:?}", self.headers), |(_, v)| v)
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap()
    }
}

/// A webhook receiver on loopback that answers its n-th call (from 0) with `status(n)`.
struct Receiver {
    calls: Arc<Mutex<Vec<Call>>>,
}

impl Receiver {
    fn on(listener: TcpListener, status: impl Fn(usize) -> u16 + Send + 'static) -> Receiver {
        let calls = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&calls);
        thread::spawn(move || {
            for mut stream in listener.incoming().flatten() {
                let Ok(call) = read_call(&stream) else { continue };
                let n = {
                    let mut seen = seen.lock().unwrap();
                    seen.push(call);
                    seen.len() - 1
                };
                let answer = format!(
                    "HTTP/1.1 {} Mock\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                    status(n)
                );
                let _ = stream.write_all(answer.as_bytes());
            }
        });
        Receiver { calls }
    }

    fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }
}

fn read_call(stream: &TcpStream) -> std::io::Result<Call> {
    let mut reader = BufReader::new(stream);
    let mut headers = Vec::new();
    let mut line = String::new();
    reader.read_line(&mut line)?;
    loop {
        line.clear();
        reader.read_line(&mut line)?;
        match line.trim_end().split_once(':') {
            Some((name, value)) => headers.push((name.to_string(), value.trim().to_string())),
            None => break,
        }
    }
    let length = headers.iter().find(|(n, _)| n.eq_ignore_ascii_case("content-length"));
    let mut body = vec![0; length.map_or(0, |(_, v)| v.parse().unwrap())];
    reader.read_exact(&mut body)?;
    let body = String::from_utf8(body).unwrap();
    Ok(Call { arrived: Instant::now(), headers, body })
}

fn assert_signed(call: &Call) {
    let timestamp = call.header("portico-timestamp");
    let age = jiff::Timestamp::now().as_second() - timestamp.parse::<i64>().unwrap();
    assert!((0..60).contains(&age), "`portico-timestamp` is not unix seconds: {timestamp}");
    let hex = call.header("portico-signature").strip_prefix("sha256=").unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(format!("{timestamp}.{}", call.body).as_bytes());
    mac.verify_slice(&hex::decode(hex).unwrap()).expect("the signature verifies");
}

#[test]
fn webhook_is_retried_with_backoff_until_delivered_and_signed() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let (root, db) = site(&webhook_at(listener.local_addr().unwrap(), ""));
    let receiver = Receiver::on(listener, |n| if n < 2 { 500 } else { 200 });
    let server = IntakeServer::start(root.path(), &db, &["--retry-base", "1"], ENV);
    let id = submit(&server, &[]);

    let log = eventually("the third attempt to be logged as delivered", || {
        Some(show(root.path(), &db, id)).filter(|log| log.contains(": delivered"))
    });
    let notifications = log.split("notifications:").nth(1).unwrap();
    let failed = "Webhook referral.submitted: failed (the webhook answered HTTP 500)";
    assert_eq!(notifications.matches(failed).count(), 2, "{log}");
    assert_eq!(notifications.matches("referral.submitted: delivered (HTTP 200)").count(), 1);

    let calls = receiver.calls();
    assert_eq!(calls.len(), 3);
    // The first retry waits the base, the second twice as long.
    assert!(calls[1].arrived - calls[0].arrived >= Duration::from_millis(900));
    assert!(calls[2].arrived - calls[1].arrived >= Duration::from_millis(1900));
    let delivery = calls[0].header("portico-delivery");
    for call in &calls {
        assert_eq!(call.header("portico-delivery"), delivery);
        assert_signed(call);
        let body = call.json();
        assert_eq!(body["event"], "referral.submitted");
        assert_eq!(body["referral"]["id"], id);
        assert!(body["referral"].get("details").is_none(), "{body}");
        for personal in
            ["Ana Ruiz", "ana@harbor", "Acme Manufacturing", "Jo Park", "jo@acme", "555 010"]
        {
            assert!(!call.body.contains(personal), "`{personal}` leaked: {}", call.body);
        }
    }
}

#[test]
fn webhook_carries_details_when_the_program_opts_into_personal_data() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let opt_in = webhook_at(listener.local_addr().unwrap(), "      personal_data: true\n");
    let (root, db) = site(&opt_in);
    let receiver = Receiver::on(listener, |_| 200);
    let server = IntakeServer::start(root.path(), &db, &[], ENV);
    submit(&server, &[]);

    let call = eventually("the webhook call", || receiver.calls().pop());
    assert_signed(&call);
    let details = &call.json()["referral"]["details"];
    assert_eq!(details["referrer_email"], "ana@harbor.example");
    assert_eq!(details["client_org"], "Acme Manufacturing");
    assert_eq!(details["client_contact_name"], "Jo Park");
}

/// Queues three notifications for a receiver that is down, stops the service with `stop`, and
/// checks that a restarted service delivers all three once the receiver is up.
fn pending_notifications_reach_a_receiver_after_restart(stop: impl FnOnce(IntakeServer)) {
    let address = unused_address();
    let (root, db) = site(&webhook_at(address, ""));
    let server = IntakeServer::start(root.path(), &db, &["--retry-base", "1"], ENV);
    let ids: Vec<i64> = ["one.example", "two.example", "three.example"]
        .into_iter()
        .map(|domain| submit(&server, &[("client_domain", domain)]))
        .collect();
    for &id in &ids {
        eventually("a failed attempt", || {
            Some(()).filter(|()| show(root.path(), &db, id).contains(": failed (cannot reach"))
        });
    }
    stop(server);

    let receiver = Receiver::on(TcpListener::bind(address).unwrap(), |_| 200);
    let _server = IntakeServer::start(root.path(), &db, &["--retry-base", "1"], ENV);
    let calls = eventually("three deliveries", || {
        Some(receiver.calls()).filter(|calls| calls.len() >= ids.len())
    });
    let delivered: BTreeSet<i64> =
        calls.iter().map(|c| c.json()["referral"]["id"].as_i64().unwrap()).collect();
    assert_eq!(delivered, ids.into_iter().collect());
}

#[test]
fn pending_notifications_survive_a_restart() {
    pending_notifications_reach_a_receiver_after_restart(|server| assert!(server.terminate()));
}

#[test]
fn pending_notifications_survive_a_killed_process() {
    pending_notifications_reach_a_receiver_after_restart(IntakeServer::kill);
}

/// A minimal SMTP server on loopback that accepts every message; each session's client lines,
/// message included, are kept as one transcript.
fn smtp_mock() -> (SocketAddr, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let sessions = Arc::new(Mutex::new(Vec::new()));
    let kept = Arc::clone(&sessions);
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            if let Ok(transcript) = smtp_session(stream) {
                kept.lock().unwrap().push(transcript);
            }
        }
    });
    (address, sessions)
}

fn smtp_session(mut stream: TcpStream) -> std::io::Result<String> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut transcript = String::new();
    let mut in_data = false;
    stream.write_all(b"220 mock.test ESMTP\r\n")?;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(transcript);
        }
        transcript.push_str(&line);
        let verb = line.get(..4).unwrap_or_default().to_ascii_uppercase();
        let reply = match (in_data, verb.as_str()) {
            (true, _) if line == ".\r\n" => {
                in_data = false;
                "250 queued\r\n"
            }
            (true, _) => continue,
            (false, "EHLO") => "250-mock.test\r\n250 8BITMIME\r\n",
            (false, "DATA") => {
                in_data = true;
                "354 end with <CRLF>.<CRLF>\r\n"
            }
            (false, "QUIT") => {
                stream.write_all(b"221 bye\r\n")?;
                return Ok(transcript);
            }
            _ => "250 ok\r\n",
        };
        stream.write_all(reply.as_bytes())?;
    }
}

#[test]
fn email_reaches_the_partner_manager_over_plain_smtp() {
    let (smtp, sessions) = smtp_mock();
    let (root, db) = site("    email:\n      from: Referral Desk <desk@example.com>\n");
    let url = format!("smtp://{smtp}");
    let server = IntakeServer::start(root.path(), &db, &[], &[("PORTICO_SMTP_URL", &url)]);
    let id = submit(&server, &[]);

    let mail = eventually("the email", || sessions.lock().unwrap().pop());
    assert!(mail.contains("MAIL FROM:<desk@example.com>"), "{mail}");
    assert!(mail.contains("RCPT TO:<partners@example.com>"), "{mail}");
    assert!(mail.contains("\r\nFrom: \"Referral Desk\" <desk@example.com>\r\n"), "{mail}");
    assert!(mail.contains("\r\nTo: partners@example.com\r\n"), "{mail}");
    let subject = "\r\nSubject: New referral #1 from Harbor Legal: Acme Manufacturing\r\n";
    assert!(mail.contains(subject), "{mail}");
    eventually("the email to be logged as delivered", || {
        Some(())
            .filter(|()| show(root.path(), &db, id).contains("Email referral.submitted: delivered"))
    });
}

#[test]
fn refuses_to_start_without_a_long_enough_webhook_secret() {
    let (root, db) = site(&webhook_at(unused_address(), "      secret_env: HARBOR_HOOK_SECRET\n"));
    for secret in [None, Some("fifteen-chars!!")] {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_portico"));
        command.args(["intake", "--listen", "127.0.0.1:0", "--root"]).arg(root.path());
        command.arg("--db").arg(&db).env("NO_COLOR", "1").env_remove("PORTICO_LOG");
        command.env_remove("HARBOR_HOOK_SECRET").stdout(std::process::Stdio::null());
        if let Some(secret) = secret {
            command.env("HARBOR_HOOK_SECRET", secret);
        }
        let mut child = command.stderr(std::process::Stdio::piped()).spawn().unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("portico intake started with the secret {secret:?}");
            }
            thread::sleep(Duration::from_millis(50));
        };
        let mut stderr = String::new();
        child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
        assert!(!status.success(), "started with secret {secret:?}");
        assert!(stderr.contains("at least 16 characters"), "{stderr}");
        assert!(stderr.contains("`HARBOR_HOOK_SECRET`"), "{stderr}");
    }
}

#[test]
fn a_status_change_made_from_the_command_line_reaches_the_webhook_within_seconds() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let (root, db) = site(&webhook_at(listener.local_addr().unwrap(), ""));
    let receiver = Receiver::on(listener, |_| 200);
    let server = IntakeServer::start(root.path(), &db, &[], ENV);
    let id = submit(&server, &[]);
    eventually("the submission's call", || receiver.calls().first().cloned());
    let changed = referrals(root.path(), &db, &["status", &id.to_string(), "acknowledged"]);
    assert!(changed.status.success(), "{}", String::from_utf8_lossy(&changed.stderr));
    let call = eventually("the status change's call", || receiver.calls().get(1).cloned());
    assert_eq!(call.json()["event"], "referral.status_changed");
    assert_eq!(call.json()["referral"]["status"], "acknowledged");
}
