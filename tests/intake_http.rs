//! `portico intake` and `portico referrals` as separate processes over real loopback HTTP:
//! the whole path of a referral, what the log may say, crashes and shutdowns.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::common::intake::{
    IntakeServer, ORIGIN, PARTNERS_YAML, encode, form_body, http, json_body, referrals, try_http,
};
use tempfile::TempDir;

struct Setup {
    dir: TempDir,
}

impl Setup {
    fn new() -> Setup {
        let dir = TempDir::new().unwrap();
        std::fs::write(dir.path().join("partners.yaml"), PARTNERS_YAML).unwrap();
        Setup { dir }
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    fn db(&self) -> PathBuf {
        self.dir.path().join("referrals.db")
    }

    fn start(&self, args: &[&str]) -> IntakeServer {
        IntakeServer::start(self.root(), &self.db(), args, &[])
    }

    fn cli(&self, args: &[&str]) -> String {
        let output = referrals(self.root(), &self.db(), args);
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap()
    }

    fn exported(&self) -> Vec<serde_json::Value> {
        serde_json::from_str(&self.cli(&["export", "--format", "json"])).unwrap()
    }
}

#[test]
fn form_post_reaches_the_database_and_its_tracking_page() {
    let setup = Setup::new();
    let server = setup.start(&[]);
    let answer = server.post_form(&form_body(&[]));
    assert_eq!(answer.status, 303, "{answer:?}");
    let location = answer.header("location").unwrap();
    let tracking = portico::site_url::percent_decode(location.split("tracking=").nth(1).unwrap());
    let path = tracking.strip_prefix("https://intake.example.com").unwrap();

    let list = setup.cli(&["list"]);
    assert!(
        list.contains("#1") && list.contains("Acme Manufacturing") && list.contains("submitted"),
        "{list}"
    );
    assert!(!list.contains("jo@acme.example"), "the list shows no personal data");

    let page = http(server.address, "GET", path, &[], b"");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Acme Manufacturing") && page.body.contains("Received"));

    setup.cli(&[
        "status",
        "1",
        "acknowledged",
        "--note",
        "Dana will call on Monday",
        "--internal-note",
        "CFO is a friend",
        "--author",
        "Dana",
    ]);
    let page = http(server.address, "GET", path, &[], b"");
    assert!(page.body.contains("Dana will call on Monday"));
    assert!(!page.body.contains("CFO is a friend"));
    let shown = setup.cli(&["show", "#1"]);
    assert!(shown.contains("CFO is a friend") && shown.contains("by Dana"), "{shown}");
    assert!(shown.contains(&tracking), "show gives the tracking link to resend");
}

#[test]
fn status_changes_follow_the_ladder_unless_forced() {
    let setup = Setup::new();
    let server = setup.start(&[]);
    assert_eq!(server.post_json(&json_body(&[])).status, 201);
    setup.cli(&["status", "1", "meeting"]);
    let backwards = referrals(setup.root(), &setup.db(), &["status", "1", "contacted"]);
    assert!(!backwards.status.success());
    let message = String::from_utf8_lossy(&backwards.stderr);
    assert!(
        message.contains("cannot move to `contacted`") && message.contains("--force"),
        "{message}"
    );
    setup.cli(&["status", "1", "contacted", "--force"]);
    setup.cli(&["status", "1", "won"]);
    assert!(setup.cli(&["list", "--status", "won"]).contains("#1"));
    assert!(setup.cli(&["list", "--partner", "birch"]).contains("0 referrals"));
    let unknown = referrals(setup.root(), &setup.db(), &["status", "1", "pending"]);
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("unknown status `pending`"));
}

#[test]
fn sla_report_lists_unacknowledged_referrals_past_the_deadline() {
    let setup = Setup::new();
    let yaml = PARTNERS_YAML.replace("response_sla: 24h", "response_sla: 0h");
    std::fs::write(setup.root().join("partners.yaml"), yaml).unwrap();
    let server = setup.start(&[]);
    server.post_json(&json_body(&[("idempotency_key", "a")]));
    server.post_json(&json_body(&[("idempotency_key", "b"), ("client_org", "Beta Works")]));
    std::thread::sleep(std::time::Duration::from_millis(20));
    setup.cli(&["status", "2", "acknowledged"]);
    let report = referrals(setup.root(), &setup.db(), &["sla"]);
    let text = String::from_utf8_lossy(&report.stdout);
    assert!(!report.status.success(), "sla exits 1 while a referral waits");
    assert!(text.contains("Acme Manufacturing") && text.contains("overdue by"), "{text}");
    assert!(text.contains("Beta Works") && text.contains("late"), "{text}");
    assert!(setup.cli(&["list", "--overdue"]).contains("Acme Manufacturing"));
    assert!(!setup.cli(&["list", "--overdue"]).contains("Beta Works"));
}

#[test]
fn csv_export_defuses_formula_cells() {
    let setup = Setup::new();
    let server = setup.start(&[]);
    let hostile = [
        ("client_org", "=HYPERLINK(\"http://evil.example\",\"x\")"),
        ("referrer_name", "+cmd|' /C calc'!A0"),
        ("client_contact_name", "@SUM(1+1)"),
        ("challenge", "-2+3"),
        ("context", "\tTabbed"),
    ];
    assert_eq!(server.post_json(&json_body(&hostile)).status, 201);
    let out = setup.dir.path().join("export.csv");
    setup.cli(&["export", "--format", "csv", "--output", out.to_str().unwrap()]);
    let mut reader = csv::Reader::from_path(&out).unwrap();
    let headers = reader.headers().unwrap().clone();
    let row = reader.records().next().unwrap().unwrap();
    let cell =
        |name: &str| row.get(headers.iter().position(|h| h == name).unwrap()).unwrap().to_string();
    assert_eq!(cell("client_org"), "'=HYPERLINK(\"http://evil.example\",\"x\")");
    assert_eq!(cell("referrer_name"), "'+cmd|' /C calc'!A0");
    assert_eq!(cell("client_contact_name"), "'@SUM(1+1)");
    assert_eq!(cell("challenge"), "'-2+3");
    assert_eq!(cell("client_contact_phone"), "'+1 555 010 2030");
    for record in csv::Reader::from_path(&out).unwrap().records() {
        for value in record.unwrap().iter() {
            assert!(!value.starts_with(['=', '+', '-', '@', '\t', '\r']), "{value:?}");
        }
    }
}

#[test]
fn the_log_never_holds_what_partners_submitted() {
    let setup = Setup::new();
    let server = setup.start(&[]);
    let secrets = [
        ("referrer_name", "Quillon Vantreese"),
        ("referrer_email", "quillon@vantreese.example"),
        ("client_org", "Zyxqor Holdings"),
        ("client_contact_name", "Marisol Okonkwo-Brandt"),
        ("client_contact_email", "marisol@zyxqor.example"),
        ("client_contact_phone", "+44 20 7946 0321"),
        ("challenge", "Unmistakable challenge text 7731"),
    ];
    assert_eq!(server.post_json(&json_body(&secrets)).status, 201);
    let invalid =
        json_body(&[("client_org", "Zyxqor Holdings"), ("referrer_email", "quillon-at-vantreese")]);
    assert_eq!(server.post_json(&invalid).status, 422);
    assert_eq!(
        server.post_form(&form_body(&secrets).replace("website=", "website=spam")).status,
        303
    );
    setup.cli(&["status", "1", "acknowledged"]);
    let log = server.log();
    assert!(log.contains("referral #1 stored"), "{log}");
    for (_, secret) in secrets {
        assert!(!log.contains(secret), "the log holds {secret:?}:\n{log}");
        assert!(!log.contains(&encode(secret)));
    }
}

/// Posts referrals from several threads until told to stop, recording every one that was
/// answered 201, with the client organisation that identifies it.
fn load(
    address: std::net::SocketAddr,
    threads: usize,
    stop: Arc<std::sync::atomic::AtomicBool>,
) -> Vec<std::thread::JoinHandle<Vec<(i64, String)>>> {
    (0..threads)
        .map(|thread| {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                let mut acknowledged = Vec::new();
                for n in 0.. {
                    if stop.load(std::sync::atomic::Ordering::Relaxed) {
                        break;
                    }
                    let org = format!("Client {thread}-{n} Ünïcødé");
                    let key = format!("load-{thread}-{n}");
                    let body = json_body(&[
                        ("client_org", &org),
                        ("idempotency_key", &key),
                        ("client_domain", ""),
                    ]);
                    let headers = [
                        ("Origin", ORIGIN),
                        ("Content-Type", "application/json"),
                        ("Accept", "application/json"),
                    ];
                    match try_http(address, "POST", "/referrals", &headers, body.as_bytes()) {
                        Ok(answer) if answer.status == 201 => {
                            acknowledged.push((answer.json()["id"].as_i64().unwrap(), org))
                        }
                        Ok(answer) => assert!(
                            answer.status >= 500 || answer.status == 408,
                            "unexpected {answer:?}"
                        ),
                        Err(_) => break,
                    }
                }
                acknowledged
            })
        })
        .collect()
}

fn assert_all_present(setup: &Setup, acknowledged: &[(i64, String)]) {
    let stored = setup.exported();
    let by_id: std::collections::HashMap<i64, &serde_json::Value> =
        stored.iter().map(|r| (r["id"].as_i64().unwrap(), r)).collect();
    for (id, org) in acknowledged {
        let referral =
            by_id.get(id).unwrap_or_else(|| panic!("referral #{id} was answered 201 but is gone"));
        assert_eq!(referral["client_org"], org.as_str());
        assert_eq!(referral["challenge"], "Their month-end close takes three weeks.");
    }
}

#[test]
fn every_acknowledged_referral_survives_kill_9_under_load() {
    let setup = Setup::new();
    let server = setup.start(&["--rate-limit", "0"]);
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let workers = load(server.address, 8, Arc::clone(&stop));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while server.log().lines().filter(|l| l.starts_with("referral #")).count() < 300
        && std::time::Instant::now() < deadline
    {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    server.kill();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let acknowledged: Vec<(i64, String)> =
        workers.into_iter().flat_map(|w| w.join().unwrap()).collect();
    assert!(acknowledged.len() >= 100, "only {} referrals were acknowledged", acknowledged.len());
    assert_all_present(&setup, &acknowledged);
    let restarted = setup.start(&[]);
    assert_eq!(restarted.post_json(&json_body(&[("idempotency_key", "after")])).status, 201);
}

#[test]
fn sigterm_finishes_requests_in_flight_and_loses_nothing() {
    let setup = Setup::new();
    let server = setup.start(&["--rate-limit", "0"]);
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let workers = load(server.address, 4, Arc::clone(&stop));
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert!(server.terminate(), "the server exits cleanly on SIGTERM");
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let acknowledged: Vec<(i64, String)> =
        workers.into_iter().flat_map(|w| w.join().unwrap()).collect();
    assert!(!acknowledged.is_empty());
    assert_all_present(&setup, &acknowledged);
}

#[test]
fn refuses_to_start_without_an_intake_url_and_says_what_to_set() {
    let setup = Setup::new();
    let yaml = PARTNERS_YAML.replace("  intake_url: https://intake.example.com/referrals\n", "");
    std::fs::write(setup.root().join("partners.yaml"), yaml).unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_portico"))
        .args(["intake", "--listen", "127.0.0.1:0", "--root"])
        .arg(setup.root())
        .arg("--db")
        .arg(setup.db())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(message.contains("sets no `program.intake_url`"), "{message}");
    assert!(!setup.db().exists(), "nothing is created when the service cannot start");
}

#[test]
fn referrals_command_needs_an_existing_database() {
    let setup = Setup::new();
    let output = referrals(setup.root(), &setup.db(), &["list"]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("no referral database at"));
    assert!(!setup.db().exists());
}
