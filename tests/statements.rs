//! `portico statements` and the bookkeeping commands behind it, run as the real binary against
//! a fixture database and a fixture CSV ledger. Every expected figure is worked out by hand in
//! the comments beside it, from the schedule in `fixtures/statements/partners.yaml`: 1–3 won
//! referrals a year at 10 %, 4–10 at 15 %, 11+ at 20 %; `managed-finops` at 5 %; `diagnostic`
//! at 0 % plus $500; the `strategic` tier (Birch) counts its first win of a year as the 4th.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use portico::intake::store::{NewReferral, ReferralFields, Store, Token};
use tempfile::TempDir;

const PARTNERS_YAML: &str = include_str!("fixtures/statements/partners.yaml");
const LEDGER: &str = include_str!("fixtures/statements/ledger.csv");

/// A program folder with the fixture `partners.yaml` under one band mode.
struct Program {
    dir: TempDir,
}

impl Program {
    fn new(mode: &str) -> Program {
        let dir = tempfile::tempdir().unwrap();
        let yaml = PARTNERS_YAML
            .replace("bands_apply_to: referrals-in-band", &format!("bands_apply_to: {mode}"));
        assert!(yaml.contains(&format!("bands_apply_to: {mode}")));
        std::fs::write(dir.path().join("partners.yaml"), yaml).unwrap();
        Program { dir }
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    fn db(&self) -> PathBuf {
        self.root().join("referrals.db")
    }

    fn portico(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_portico"))
            .args(args)
            .env("NO_COLOR", "1")
            .env("PORTICO_AUTHOR", "Test")
            .env_remove("PORTICO_LOG")
            .output()
            .unwrap()
    }

    /// `portico referrals <args>`, which must succeed.
    fn book(&self, args: &[&str]) {
        let root = self.root().to_str().unwrap();
        let output = self.portico(&[&["referrals", "--root", root], args].concat());
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
    }

    /// `portico statements --period <period> <args>`, writing into `<root>/private`.
    fn statements(&self, period: &str, args: &[&str]) -> Output {
        let root = self.root().to_str().unwrap();
        let out = self.root().join("private");
        let fixed =
            ["statements", "--root", root, "--period", period, "--out", out.to_str().unwrap()];
        self.portico(&[&fixed[..], args].concat())
    }

    fn written(&self, period: &str, file: &str) -> String {
        let path = self.root().join("private").join(period).join(file);
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn success(output: Output) -> Output {
    assert!(output.status.success(), "{}", stderr(&output));
    output
}

/// The rows of a CSV file as maps from column to cell.
fn rows(csv: &str) -> Vec<BTreeMap<String, String>> {
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let headers = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|record| {
            let record = record.unwrap();
            headers.iter().map(String::from).zip(record.iter().map(String::from)).collect()
        })
        .collect()
}

/// The figures of one section of a statement: `item` → `value`.
fn section_figures(csv: &str, name: &str) -> BTreeMap<String, String> {
    section(csv, name).into_iter().map(|row| (row["item"].clone(), row["value"].clone())).collect()
}

/// A statement's summary figures.
fn summary(csv: &str) -> BTreeMap<String, String> {
    section_figures(csv, "summary")
}

fn section(csv: &str, name: &str) -> Vec<BTreeMap<String, String>> {
    rows(csv).into_iter().filter(|row| row["section"] == name).collect()
}

/// One fixture referral: who sent it, the client, and its moves (time, status), the first
/// being its submission.
struct Timeline {
    partner: String,
    client: String,
    moves: Vec<(i64, String)>,
}

/// The referrals of `fixtures/statements/referrals.csv`, in order.
fn timelines() -> Vec<Timeline> {
    let mut reader = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .from_reader(include_str!("fixtures/statements/referrals.csv").as_bytes());
    let mut timelines: Vec<Timeline> = Vec::new();
    for record in reader.records() {
        let record = record.unwrap();
        let at = record[3].parse::<jiff::Timestamp>().unwrap().as_millisecond();
        let number: usize = record[0].parse().unwrap();
        if number > timelines.len() {
            let (partner, client) = (record[1].to_string(), record[2].to_string());
            timelines.push(Timeline { partner, client, moves: Vec::new() });
        }
        timelines[number - 1].moves.push((at, record[4].to_string()));
    }
    timelines
}

/// Stores the fixture referrals through the store, as the intake does, then dates their
/// histories as the fixture says.
async fn store_referrals(program: &Program) {
    let loaded = portico::intake::load_program(program.root()).unwrap();
    let store = portico::intake::open_store(&loaded, &program.db()).unwrap();
    let timelines = timelines();
    for timeline in &timelines {
        let fields = ReferralFields {
            referrer_name: "Ana Ruiz".into(),
            referrer_email: "ana@partner.example".into(),
            client_org: timeline.client.clone(),
            client_domain: None,
            client_contact_name: "Jo Park".into(),
            client_contact_email: None,
            client_contact_phone: None,
            challenge: "Their month-end close takes three weeks.".into(),
            context: None,
            promises: None,
            involvement: "introduce".into(),
            client_consent: true,
        };
        let partner_id = timeline.partner.clone();
        let token = Token::generate();
        store
            .submit(NewReferral { partner_id, fields, idempotency_key: None, token })
            .await
            .unwrap();
    }
    drop(store);
    let conn = rusqlite::Connection::open(program.db()).unwrap();
    for (index, timeline) in timelines.iter().enumerate() {
        let id = index as i64 + 1;
        let submitted = timeline.moves[0].0;
        let last = &timeline.moves[timeline.moves.len() - 1].1;
        let acknowledged = timeline.moves.get(1).map(|(at, _)| *at);
        conn.execute(
            "UPDATE referrals SET submitted_at = ?2, status = ?3, acknowledged_at = ?4 \
             WHERE id = ?1",
            rusqlite::params![id, submitted, last, acknowledged],
        )
        .unwrap();
        let events = "UPDATE events SET at = ?2 WHERE referral_id = ?1";
        conn.execute(events, rusqlite::params![id, submitted]).unwrap();
        for (at, status) in &timeline.moves[1..] {
            conn.execute(
                "INSERT INTO events (referral_id, at, status, author) VALUES (?1, ?2, ?3, 'Test')",
                rusqlite::params![id, at, status],
            )
            .unwrap();
        }
    }
}

/// The fixture database: referrals, their fees, payments and outbound referrals, all recorded
/// with the real commands.
async fn fixture_database(mode: &str) -> Program {
    let program = Program::new(mode);
    store_referrals(&program).await;
    let wins: [&[&str]; 8] = [
        &["won", "1", "--fees", "10000", "--at", "2026-08-10"],
        &["won", "2", "--fees", "20000", "--at", "2026-09-15"],
        &["won", "3", "--fees", "5000", "--engagement", "managed-finops", "--at", "2026-09-20"],
        &["won", "8", "--fees", "8000", "--engagement", "diagnostic", "--at", "2026-10-20"],
        &["won", "4", "--fees", "12500.00", "--at", "2026-11-20"],
        &["won", "9", "--fees", "3000", "--at", "2025-06-01"],
        &["won", "10", "--fees", "10000", "--at", "2026-05-05"],
        &["won", "#11", "--fees", "40000", "--at", "2026-10-25T16:00:00Z"],
    ];
    let books: [&[&str]; 7] = [
        &["paid", "harbor", "300", "--at", "2025-12-20", "--note", "2025 commission"],
        &["paid", "harbor", "3250", "--at", "2026-10-15", "--note", "Q3 commission"],
        &["paid", "birch", "1500", "--at", "2026-10-30", "--note", "=1+1"],
        &["outbound", "harbor", "--client", "Delta Foods", "--at", "2026-10-05"],
        &["outbound", "harbor", "--client", "Echo Labs", "--at", "2026-11-12", "--status", "won"],
        &["outbound", "harbor", "--client", "Old Co", "--at", "2026-08-01"],
        &["outbound", "quiet", "--client", "Nimbus", "--at", "2026-10-20"],
    ];
    for args in wins.iter().chain(&books) {
        program.book(args);
    }
    program
}

#[tokio::test]
async fn database_statements_under_referrals_in_band() {
    let program = fixture_database("referrals-in-band").await;
    let output = success(program.statements("2026-Q4", &[]));
    // #13 is won without fees: it is named so the firm can record them.
    assert!(
        stderr(&output).contains("birch: no fees recorded for won referral #13"),
        "{}",
        stderr(&output)
    );

    // Harbor's 2026 wins in order: #1 $10,000 (no. 1, 10 % = 1,000), #2 $20,000 (no. 2,
    // 10 % = 2,000), #3 $5,000 managed-finops (5 % = 250), #8 $8,000 diagnostic (0 % + 500 =
    // 500), #4 $12,500 (no. 5, 15 % = 1,875). Q4 holds #8 and #4: 500 + 1,875 = 2,375.
    // To date: 2025's #9 (10 % of 3,000 = 300) + 1,000 + 2,000 + 250 + 500 + 1,875 = 5,925.
    // Paid to date: 300 + 3,250 = 3,550, so the balance is 5,925 - 3,550 = 2,375.
    let harbor = program.written("2026-Q4", "statement-harbor.csv");
    let figures = summary(&harbor);
    let expected = [
        ("currency", "USD"),
        // #4, #5, #6 and #7 were submitted in Q4; #8 on 30 September.
        ("referrals_submitted", "4"),
        ("won", "2"),
        ("lost", "1"),
        // Decided in Q4: #8 and #4 won, #5 lost: 2 / 3.
        ("conversion", "66.7%"),
        // 8,000 + 12,500.
        ("revenue", "20500.00"),
        ("commission_earned", "2375.00"),
        ("commission_paid", "3250.00"),
        ("earned_to_date", "5925.00"),
        ("paid_to_date", "3550.00"),
        ("balance", "2375.00"),
    ];
    for (item, value) in expected {
        assert_eq!(figures[item], value, "{item}");
    }
    // Where Q4's four referrals stood at its end: #4 won, #5 lost, #6 meeting, #7 submitted.
    let statuses = section_figures(&harbor, "status");
    for (status, count) in [("submitted", "1"), ("meeting", "1"), ("won", "1"), ("lost", "1")] {
        assert_eq!(statuses[status], count, "{status}");
    }
    assert_eq!(statuses["proposal"], "0");
    let won: Vec<(String, String, String)> = section(&harbor, "won")
        .into_iter()
        .map(|row| (row["item"].clone(), row["rate"].clone(), row["value"].clone()))
        .collect();
    let line =
        |r: &str, rate: &str, value: &str| (r.to_string(), rate.to_string(), value.to_string());
    assert_eq!(won, [line("#8", "0%", "500.00"), line("#4", "15%", "1875.00")]);
    assert!(section(&harbor, "true-up").is_empty(), "bands in place raise no earlier referral");

    // Birch (head start: the year's first win is no. 4): #10 $10,000 at 15 % = 1,500 in Q2;
    // #11 $40,000 at 15 % = 6,000 and #13 (no fees yet) = 0 in Q4. To date 7,500, paid 1,500
    // (in Q4).
    let birch = summary(&program.written("2026-Q4", "statement-birch.csv"));
    assert_eq!(birch["commission_earned"], "6000.00");
    assert_eq!(birch["earned_to_date"], "7500.00");
    assert_eq!(birch["balance"], "6000.00");
    assert_eq!(birch["revenue"], "40000.00");
    assert_eq!(birch["conversion"], "100%");

    let html = program.written("2026-Q4", "statement-harbor.html");
    for text in [
        "Harbor Legal (harbor)",
        "$2,375.00",
        "$5,925.00",
        "$20,500.00",
        "66.7%",
        "Delta Foods",
        "Q3 commission",
    ] {
        assert!(html.contains(text), "{text}");
    }
}

#[tokio::test]
async fn database_statements_under_whole_year_true_up_earlier_referrals() {
    let program = fixture_database("whole-year").await;
    success(program.statements("2026-Q3", &[]));
    success(program.statements("2026-Q4", &[]));
    success(program.statements("2026-10", &[]));

    // By the end of Q3 Harbor has 3 wins, all at 10 %: 1,000 + 2,000 + 250 (managed-finops
    // keeps its 5 %) = 3,250, none earned before Q3 in 2026. To date: 300 (2025) + 3,250.
    let q3 = summary(&program.written("2026-Q3", "statement-harbor.csv"));
    assert_eq!(q3["commission_earned"], "3250.00");
    assert_eq!(q3["earned_to_date"], "3550.00");
    // Paid by the end of Q3: only 2025's 300.
    assert_eq!(q3["balance"], "3250.00");

    // By the end of Q4 it has 5 wins, so every 2026 win earns 15 %: 1,500 + 3,000 + 250 + 500
    // + 1,875 = 7,125. Q4 earned 7,125 - 3,250 = 3,875: its own lines (#8 500, #4 1,875 =
    // 2,375) and a true-up of 1,500 (#1 +500, #2 +1,000).
    let harbor = program.written("2026-Q4", "statement-harbor.csv");
    let q4 = summary(&harbor);
    assert_eq!(q4["commission_earned"], "3875.00");
    assert_eq!(section(&harbor, "true-up")[0]["value"], "1500.00");
    // 300 + 7,125 earned, 3,550 paid.
    assert_eq!(q4["earned_to_date"], "7425.00");
    assert_eq!(q4["balance"], "3875.00");

    // October alone: the 4th win (#8, 20 October) lifts the year into 15 %. Before October:
    // 3,250; by 1 November: 1,500 + 3,000 + 250 + 500 = 5,250. October earned 2,000, of which
    // 1,500 is the true-up.
    let october = program.written("2026-10", "statement-harbor.csv");
    assert_eq!(summary(&october)["commission_earned"], "2000.00");
    assert_eq!(section(&october, "true-up")[0]["value"], "1500.00");

    let html = program.written("2026-Q4", "statement-harbor.html");
    assert!(html.contains("True-up"));
    assert!(html.contains("$3,875.00"));
}

#[tokio::test]
async fn the_scorecard_compares_every_partner() {
    let program = fixture_database("referrals-in-band").await;
    success(program.statements("2026-Q4", &["--partner", "harbor"]));
    let card = rows(&program.written("2026-Q4", "scorecard.csv"));
    let by_partner: BTreeMap<&str, &BTreeMap<String, String>> =
        card.iter().map(|row| (row["partner_id"].as_str(), row)).collect();
    let expect = |partner: &str, figures: &[(&str, &str)]| {
        for (column, value) in figures {
            assert_eq!(by_partner[partner][*column], *value, "{partner} {column}");
        }
    };
    // Harbor sent #4, #5, #6, #7 in Q4 and received Delta Foods and Echo Labs (Old Co was in
    // Q3): 4 - 2 = +2. Acknowledged in Q4: #8 after 24 h (within the 24 h SLA), #4 after 4 h,
    // #5 after 30 h, #6 after 10 h; the median of 4, 10, 24, 30 is (10 + 24) / 2 = 17 h.
    expect(
        "harbor",
        &[
            ("sent", "4"),
            ("received", "2"),
            ("reciprocity", "2"),
            ("won", "2"),
            ("lost", "1"),
            ("conversion", "66.7%"),
            ("revenue", "20500.00"),
            ("acknowledged", "4"),
            ("within_sla", "3"),
            ("median_hours_to_acknowledge", "17.00"),
            ("sla_hours", "24"),
            ("quiet", "no"),
        ],
    );
    // Birch: #11 and #13, acknowledged after 2 h and 3 h: median 2.5 h.
    expect(
        "birch",
        &[
            ("sent", "2"),
            ("received", "0"),
            ("reciprocity", "2"),
            ("median_hours_to_acknowledge", "2.50"),
            ("within_sla", "2"),
        ],
    );
    // The third partner sent nothing since May (Q2), so nothing in Q3 or Q4, and received one.
    expect(
        "quiet",
        &[
            ("sent", "0"),
            ("received", "1"),
            ("reciprocity", "-1"),
            ("conversion", ""),
            ("median_hours_to_acknowledge", ""),
            ("quiet", "yes"),
        ],
    );

    let html = program.written("2026-Q4", "scorecard.html");
    assert!(html.contains("17h 00m"));
    assert!(html.contains("No referral submitted in 2026-Q3 or 2026-Q4: &lt;script&gt;"));
    // --partner chose which statements to write; the scorecard still covers everyone.
    let folder = program.root().join("private/2026-Q4");
    assert!(folder.join("statement-harbor.html").is_file());
    assert!(!folder.join("statement-birch.html").exists());
}

#[test]
fn ledger_statements_in_both_band_modes() {
    for (mode, q4_earned, true_up, earned_to_date, balance) in [
        // HL-1 $10,000, HL-2 $20,000, HL-3 $30,000 at 10 % (1,000 + 2,000 + 3,000); HL-5
        // $40,000 is no. 4 at 15 % = 6,000, all of Q4. To date 12,000; paid 1,000.
        ("referrals-in-band", "6000.00", None, "12000.00", "11000.00"),
        // Whole year: by Q4's end all four earn 15 %: 1,500 + 3,000 + 4,500 + 6,000 = 15,000;
        // by its start three earned 10 %: 6,000. Q4: 9,000 = HL-5's 6,000 + a 3,000 true-up.
        ("whole-year", "9000.00", Some("3000.00"), "15000.00", "14000.00"),
    ] {
        let program = Program::new(mode);
        let ledger = program.root().join("ledger.csv");
        std::fs::write(&ledger, LEDGER).unwrap();
        // No database: the ledger is the only source.
        let output = program.statements("2026-Q4", &["--ledger", ledger.to_str().unwrap()]);
        success(output);
        assert!(!program.db().exists(), "reading a ledger creates no database");
        let harbor = program.written("2026-Q4", "statement-harbor.csv");
        let figures = summary(&harbor);
        assert_eq!(figures["commission_earned"], q4_earned, "{mode}");
        assert_eq!(figures["earned_to_date"], earned_to_date, "{mode}");
        assert_eq!(figures["paid_to_date"], "1000.00", "{mode}");
        assert_eq!(figures["balance"], balance, "{mode}");
        assert_eq!(
            section(&harbor, "true-up").first().map(|row| row["value"].as_str()),
            true_up,
            "{mode}"
        );
        // Q4: HL-5 submitted and won; nothing lost. Revenue: its $40,000.
        assert_eq!(figures["referrals_submitted"], "1");
        assert_eq!(figures["conversion"], "100%");
        assert_eq!(figures["revenue"], "40000.00");
        let submitted = section(&harbor, "submitted");
        assert_eq!(submitted[0]["client"], "'=cmd|' /C calc'!A0", "formula-safe");
        assert_eq!(section(&harbor, "payment")[0]["note"], "'=SUM(A1:A9)", "formula-safe");
        let received = section(&harbor, "received");
        assert_eq!(
            (received[0]["client"].as_str(), received[0]["status"].as_str()),
            ("Echo Partners", "won")
        );
    }
}

/// A program with the fixture referrals in `<root>/referrals.db`, #4 won on 20 November for
/// $12,500, and the fixture ledger beside it.
fn database_and_ledger() -> (Program, PathBuf) {
    let program = Program::new("referrals-in-band");
    let ledger = program.root().join("ledger.csv");
    std::fs::write(&ledger, LEDGER).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(store_referrals(&program));
    program.book(&["won", "4", "--fees", "12500", "--at", "2026-11-20"]);
    (program, ledger)
}

#[test]
fn a_ledger_adds_to_the_database_given_with_db() {
    let (program, ledger) = database_and_ledger();
    let db = program.db();
    let args = ["--ledger", ledger.to_str().unwrap(), "--db", db.to_str().unwrap()];
    let output = success(program.statements("2026-Q4", &args));
    // The ledger's HL-5 (won 11 October, no. 4 of the year after HL-1..3) earns 15 % of
    // 40,000 = 6,000; the database's #4 (won 20 November) is no. 5: 15 % of 12,500 = 1,875.
    let figures = summary(&program.written("2026-Q4", "statement-harbor.csv"));
    assert_eq!(figures["commission_earned"], "7875.00");
    let log = stderr(&output);
    assert!(log.contains(&format!("read the referral database `{}`", db.display())), "{log}");
    assert!(log.contains(&format!("read the ledger `{}`", ledger.display())), "{log}");
}

#[test]
fn a_ledger_alone_leaves_the_default_database_unread() {
    let (program, ledger) = database_and_ledger();
    let output = success(program.statements("2026-Q4", &["--ledger", ledger.to_str().unwrap()]));
    // Only the ledger's HL-5 (no. 4 of the year: 15 % of 40,000); #4 of referrals.db is not
    // counted a second time.
    let figures = summary(&program.written("2026-Q4", "statement-harbor.csv"));
    assert_eq!(figures["commission_earned"], "6000.00");
    let log = stderr(&output);
    assert!(!log.contains("referral database"), "{log}");
    assert!(log.contains(&format!("read the ledger `{}`", ledger.display())), "{log}");
}

/// Runs `portico statements` over a ledger of `text`, which must be refused with each
/// (`line:col`, message) of `problems` and nothing written; answers the log.
fn refused_ledger(text: &str, problems: &[(&str, &str)]) -> String {
    let program = Program::new("referrals-in-band");
    let ledger = program.root().join("ledger.csv");
    std::fs::write(&ledger, text).unwrap();
    let output = program.statements("2026-Q4", &["--ledger", ledger.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let log = stderr(&output);
    for (at, message) in problems {
        let place = format!("{}:{at}", ledger.display());
        assert!(log.contains(&format!("{place}: {message}")), "{at} {message}:\n{log}");
    }
    let summary = format!("the ledger has {} problems; nothing was written", problems.len());
    assert!(log.contains(&summary), "{log}");
    assert!(!program.root().join("private").exists());
    log
}

#[test]
fn bad_ledger_rows_are_reported_with_file_line_and_column() {
    let log = refused_ledger(
        "date,partner,event,referral,status,client,amount,engagement,note\n\
         2026-13-01,harbor,referral,X-1,submitted,Acme,,,\n\
         2026-10-01,harbr,referral,X-2,submitted,Acme,,,\n\
         2026-10-01,harbor,referral,X-3,won,,1000,,\n\
         2026-10-01,harbor,referral,X-4,submitted,Acme,,,\n\
         2026-10-02,harbor,referral,X-4,won,,\"12,500\",,\n\
         2026-10-03,harbor,paid,,,,,,\n\
         2026-10-03,harbor,referral,X-4,won,,100,managed,\n\
         2026-10-03,harbor,refer,X-5,submitted,Acme,,,\n\
         2026-10-03,harbor,referral,X-4,won,,100\n",
        &[
            ("2:1", "`2026-13-01` is not a date"),
            ("3:12", "no partner `harbr` in partners.yaml"),
            ("4:28", "referral `X-3` has no `submitted` row above"),
            ("6:37", "`12,500` is not an amount of USD"),
            ("7:27", "the row has no amount"),
            ("8:41", "unknown engagement type `managed`"),
            ("9:19", "unknown event `refer`"),
            ("10:1", "this row has 7 cells; the header has 9"),
        ],
    );
    assert!(log.contains("did you mean `harbor`?"), "{log}");
    assert!(log.contains("did you mean `managed-finops`?"), "{log}");
}

#[test]
fn statements_are_never_written_into_the_published_site() {
    let program = Program::new("referrals-in-band");
    let ledger = program.root().join("ledger.csv");
    std::fs::write(&ledger, LEDGER).unwrap();
    let root = program.root();
    let elsewhere = root.join("site-output");
    std::fs::create_dir_all(&elsewhere).unwrap();
    std::fs::write(elsewhere.join(".portico-output"), "").unwrap();
    std::fs::create_dir_all(root.join("public")).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(root.join("public"), root.join("link-to-public")).unwrap();
    let mut refused = vec![
        (root.join("public/statements"), "the site's `public/` folder"),
        (root.join("public"), "the site's `public/` folder"),
        (root.join("content/private"), "the site's `content/` folder"),
        (root.join("themes"), "the site's `themes/` folder"),
        (elsewhere.join("tier/private"), "a folder `portico build` writes"),
    ];
    #[cfg(unix)]
    refused.push((root.join("link-to-public/private"), "the site's `public/` folder"));
    for (out, inside) in refused {
        let output = program.portico(&[
            "statements",
            "--root",
            root.to_str().unwrap(),
            "--period",
            "2026-Q4",
            "--ledger",
            ledger.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(!output.status.success(), "{}", out.display());
        let log = stderr(&output);
        assert!(log.contains("refusing to write statements into"), "{log}");
        assert!(log.contains(inside), "{inside}: {log}");
        assert!(!out.join("2026-Q4").exists(), "{}", out.display());
    }
}

#[cfg(unix)]
#[test]
fn statements_are_private_to_their_owner() {
    use std::os::unix::fs::PermissionsExt;
    let program = Program::new("referrals-in-band");
    let ledger = program.root().join("ledger.csv");
    std::fs::write(&ledger, LEDGER).unwrap();
    success(program.statements("2026-Q4", &["--ledger", ledger.to_str().unwrap()]));
    let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    let out = program.root().join("private");
    assert_eq!(mode(&out), 0o700);
    assert_eq!(mode(&out.join("2026-Q4")), 0o700);
    for entry in std::fs::read_dir(out.join("2026-Q4")).unwrap() {
        let path = entry.unwrap().path();
        assert_eq!(mode(&path), 0o600, "{}", path.display());
    }
    // A second run replaces the files whole: still four files per partner pair plus the
    // scorecard, no temporary file left behind.
    success(program.statements("2026-Q4", &["--ledger", ledger.to_str().unwrap()]));
    assert_eq!(std::fs::read_dir(out.join("2026-Q4")).unwrap().count(), 3 * 2 + 2);
}

#[tokio::test]
async fn csv_cells_are_formula_safe_and_html_is_escaped() {
    let program = fixture_database("referrals-in-band").await;
    success(program.statements("2026-Q4", &[]));
    let birch = program.written("2026-Q4", "statement-birch.csv");
    let submitted = section(&birch, "submitted");
    assert_eq!(submitted[0]["client"], "'=HYPERLINK(\"http://evil.example\",\"x\")");
    assert_eq!(section(&birch, "payment")[0]["note"], "'=1+1");
    // Figures stay numbers: a negative one would not start a formula.
    assert_eq!(section(&birch, "payment")[0]["value"], "1500.00");
    let card = program.written("2026-Q4", "scorecard.csv");
    assert!(card.contains("<script>alert"), "CSV is not HTML: the firm's name is kept");

    let quiet = program.written("2026-Q4", "statement-quiet.html");
    assert!(quiet.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Sons"));
    assert!(!quiet.contains("<script"), "no script of any kind");
    let html = program.written("2026-Q4", "statement-birch.html");
    assert!(html.contains("=HYPERLINK(&quot;http://evil.example&quot;"));
    for page in [&quiet, &html, &program.written("2026-Q4", "scorecard.html")] {
        assert!(page.contains("@media print"), "a print stylesheet");
        assert!(!page.contains("<link") && !page.contains("src="), "self-contained");
    }
}

#[test]
fn recording_the_books_checks_what_it_is_given() {
    let program = Program::new("referrals-in-band");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(store_referrals(&program));
    let root = program.root().to_str().unwrap().to_string();
    let refused = |args: &[&str], message: &str| {
        let output = program.portico(&[&["referrals", "--root", &root], args].concat());
        assert!(!output.status.success(), "{args:?}");
        assert!(stderr(&output).contains(message), "{args:?}: {}", stderr(&output));
    };
    refused(&["won", "1", "--fees", "12,500"], "`12,500` is not an amount of USD");
    refused(&["won", "1", "--fees=-5"], "`-5` is not an amount of USD");
    refused(
        &["won", "1", "--fees", "100", "--engagement", "managed"],
        "did you mean `managed-finops`?",
    );
    // #7 was submitted on 15 November 2026.
    refused(&["won", "7", "--fees", "100", "--at", "2026-11-01"], "it cannot have been won before");
    // #5 is lost: reopening it takes --force.
    refused(&["won", "5", "--fees", "100"], "cannot move to `won` (pass --force");
    refused(&["paid", "harbr", "10", "--at", "2026-01-01"], "did you mean `harbor`?");
    refused(&["paid", "harbor", "10", "--at", "2999-01-01"], "is in the future");
    refused(&["outbound", "harbor", "--client", " "], "--client is empty");
    program.book(&["won", "5", "--fees", "100", "--at", "2026-12-01T10:00:00Z", "--force"]);

    // A second `won` corrects the fees and keeps the date already recorded.
    program.book(&["won", "1", "--fees", "10000", "--at", "2026-08-10"]);
    program.book(&["won", "1", "--fees", "11000"]);
    success(program.statements("2026-Q3", &["--partner", "harbor"]));
    let harbor = program.written("2026-Q3", "statement-harbor.csv");
    let won = section(&harbor, "won");
    assert_eq!((won[0]["date"].as_str(), won[0]["fees"].as_str()), ("2026-08-10", "11000.00"));
    // 10 % of 11,000.
    assert_eq!(summary(&harbor)["commission_earned"], "1100.00");
}

#[test]
fn the_readme_ledger_example_is_valid() {
    let readme = include_str!("../README.md");
    let start = readme.find("```csv\n").expect("the README shows a ledger") + "```csv\n".len();
    let example = &readme[start..start + readme[start..].find("```").unwrap()];
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let program = portico::program::load(&root.join("partners.yaml")).unwrap();
    let now = jiff::Timestamp::now();
    let activity =
        portico::statements::ledger::parse(Path::new("README.md"), example, &program, now).unwrap();
    assert_eq!(
        (activity.referrals.len(), activity.payments.len(), activity.outbound.len()),
        (1, 1, 1)
    );
    let win = activity.referrals[0].win.as_ref().expect("HL-101 is won");
    assert_eq!(win.fees.map(|f| f.to_string()).as_deref(), Some("12500"));
}

#[cfg(unix)]
#[test]
fn a_linked_period_folder_is_refused() {
    let program = Program::new("referrals-in-band");
    let root = program.root();
    let ledger = root.join("ledger.csv");
    std::fs::write(&ledger, LEDGER).unwrap();
    std::fs::create_dir_all(root.join("public/gold")).unwrap();
    std::fs::create_dir_all(root.join("elsewhere")).unwrap();
    for (target, name) in [("../public/gold", "2026-Q4"), ("../elsewhere", "2026-Q3")] {
        let out = root.join("stm");
        std::fs::create_dir_all(&out).unwrap();
        std::os::unix::fs::symlink(target, out.join(name)).unwrap();
        let output = program.portico(&[
            "statements",
            "--root",
            root.to_str().unwrap(),
            "--period",
            name,
            "--ledger",
            ledger.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]);
        assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
        let log = stderr(&output);
        let folder = out.join(name);
        let message =
            format!("refusing to write statements into `{}`: it is a link", folder.display());
        assert!(log.contains(&message), "{log}");
        assert!(log.contains("remove the link"), "{log}");
    }
    assert_eq!(std::fs::read_dir(root.join("public/gold")).unwrap().count(), 0);
    assert_eq!(std::fs::read_dir(root.join("elsewhere")).unwrap().count(), 0);
}

#[test]
fn sums_too_large_for_the_books_are_an_error_not_a_crash() {
    const HUGE: &str = "79228162514264337593543950335";
    for (books, update) in [
        (
            [
                &["won", "1", "--fees", "1", "--at", "2026-08-10"][..],
                &["won", "2", "--fees", "1", "--at", "2026-09-15"],
            ],
            "UPDATE wins SET fees = ?1",
        ),
        (
            [
                &["paid", "harbor", "1", "--at", "2026-08-10"][..],
                &["paid", "harbor", "1", "--at", "2026-09-10"],
            ],
            "UPDATE payments SET amount = ?1",
        ),
    ] {
        let program = Program::new("referrals-in-band");
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(store_referrals(&program));
        for args in books {
            program.book(args);
        }
        // Amounts this large are refused on the command line; a database may still hold them.
        let conn = rusqlite::Connection::open(program.db()).unwrap();
        conn.execute(update, [HUGE]).unwrap();
        drop(conn);
        let output = program.statements("2026-Q3", &[]);
        let log = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{update}: {log}");
        assert!(!log.contains("panicked"), "{log}");
        assert!(log.contains("is too large"), "{update}: {log}");
        assert!(log.contains("harbor"), "{update}: {log}");
        assert!(!program.root().join("private/2026-Q3").exists());
    }
}

#[test]
fn periods_beyond_the_calendar_are_refused() {
    let program = Program::new("referrals-in-band");
    for period in ["9999", "9999-Q4", "9999-12", "0000", "1899-01"] {
        let output = program.statements(period, &[]);
        let log = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{period}: {log}");
        assert!(!log.contains("panicked"), "{log}");
        assert!(log.contains("write a year from 1900 to 9998"), "{period}: {log}");
    }
    assert!(!program.root().join("private").exists());
}

#[test]
fn ledger_cells_without_a_place_and_future_dates_are_refused() {
    refused_ledger(
        "date,partner,event,referral,status,client,amount,engagement,note\n\
         2026-10-01,harbor,referral,X-1,submitted,Acme,,,\n\
         2026-10-02,harbor,referral,X-1,acknowledged,,,,called back\n\
         2026-10-01,harbor,referral,X-2,submitted,Acme,,,met at a fair\n\
         2026-10-01,harbor,outbound,O-1,,Birch,,,\n\
         2026-10-02,harbor,outbound,O-1,won,Birch,,,\n\
         2026-10-03,harbor,outbound,O-2,,Cedar,,,a note\n\
         2999-01-01,harbor,paid,,,,100,,\n",
        &[
            ("3:48", "`note` has no place on this row: notes are shown with payments only"),
            ("4:49", "`note` has no place on this row"),
            ("6:36", "`client` has no place on this row: the client is named on `O-1`'s first row"),
            ("7:41", "`note` has no place on this row"),
            ("8:1", "`2999-01-01` is in the future"),
        ],
    );
}

#[test]
fn statements_name_engagements_and_rates_as_the_site_does() {
    let program = Program::new("referrals-in-band");
    let yaml = std::fs::read_to_string(program.root().join("partners.yaml")).unwrap();
    let yaml = yaml
        .replace("rate: 20%", "rate: 20.0 %")
        .replace("{ id: managed-finops,", "{ id: managed-finops, name: Managed FinOps,");
    std::fs::write(program.root().join("partners.yaml"), yaml).unwrap();
    let ledger = program.root().join("ledger.csv");
    std::fs::write(
        &ledger,
        "date,partner,event,referral,status,client,amount,engagement,note\n\
         2026-10-01,harbor,referral,X-1,submitted,Acme,,,\n\
         2026-10-02,harbor,referral,X-1,won,,1000,managed-finops,\n",
    )
    .unwrap();
    success(program.statements("2026-Q4", &["--ledger", ledger.to_str().unwrap()]));
    let html = program.written("2026-Q4", "statement-harbor.html");
    assert!(html.contains("<td>Managed FinOps</td>"), "{html}");
    assert!(html.contains("Engagement type Managed FinOps: 5%."), "{html}");
    assert!(html.contains("11+ at 20%"), "{html}");
    assert!(!html.contains("managed-finops") && !html.contains("20.0 %"), "{html}");
    let csv = program.written("2026-Q4", "statement-harbor.csv");
    assert_eq!(section(&csv, "won")[0]["engagement"], "Managed FinOps");
}

#[test]
fn outbound_referrals_are_logged_without_the_client() {
    let program = Program::new("referrals-in-band");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(store_referrals(&program));
    let root = program.root().to_str().unwrap();
    let output = success(program.portico(&[
        "referrals",
        "--root",
        root,
        "outbound",
        "harbor",
        "--client",
        "Birch Secret Holdings",
        "--at",
        "2026-11-02",
    ]));
    let log = stderr(&output);
    assert!(!log.contains("Birch"), "{log}");
    assert!(log.contains("recorded outbound referral 1 to `harbor`"), "{log}");
}
