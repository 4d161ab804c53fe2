//! The referral form's script against a mock intake, and the "referral received" page's
//! tracking link, in a small one-tier site whose `intake_url` is the mock's.

use serde_json::{Value, json};
use tempfile::TempDir;

use super::mock_intake::{Answer, MockIntake};
use super::{Browser, Portal, Tab, chromium_or_skip, wait_for, write_files};

/// A base64url token of the length the intake makes: 256 bits.
const TOKEN: &str = "Abcdefghijklmnopqrstuvwxyz0123456789-_ABCDE";

/// A one-tier site with a referral page, posting to `intake_url`.
fn write_site(intake_url: &str) -> TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let partners = format!(
        "program:\n  name: Test Network\n  base_url: https://partners.example.com/\n  \
         contact: partners@example.com\n  intake_url: {intake_url}\n  response_sla: 24h\n\
         tiers:\n  - id: active\n    name: Active\n"
    );
    let refer = "---\ntitle: Refer\ntemplate: referral-form.html\n---\nTell us.\n";
    let files = [
        ("partners.yaml", partners.as_str()),
        ("content/_index.md", "---\ntitle: Home\n---\n"),
        ("content/refer.md", refer),
    ];
    write_files(dir.path(), &files);
    dir
}

fn answer(status: u16, body: Value) -> Answer {
    Answer { status, headers: Vec::new(), body }
}

const FILL: &str = r#"(() => {
    const form = document.querySelector("form.referral-form");
    const values = { partner_id: "harbor", referrer_name: "Ana Ruiz",
        referrer_email: "ana@harbor.example", client_org: "Acme Manufacturing",
        client_domain: "acme", client_contact_name: "Jo Park, CFO",
        challenge: "Their close takes three weeks." };
    for (const [name, value] of Object.entries(values)) form.elements[name].value = value;
    form.elements.client_consent.checked = true;
})()"#;

/// Submits the form as a person would, after the browser's own checks, and waits for the
/// script to report the answer.
fn submit(tab: &mut Tab<'_>, state: &str) -> String {
    tab.eval(r#"document.querySelector("form.referral-form").requestSubmit()"#).expect("submit");
    let done = format!(
        r#"document.querySelector(".form-status").getAttribute("data-state") === "{state}"
           && !document.querySelector("form.referral-form button").disabled
           && document.querySelector(".form-status").textContent"#
    );
    wait_for(tab, &done).as_str().expect("status text").to_owned()
}

#[test]
fn the_referral_form_shows_field_errors_keeps_its_key_on_failure_then_shows_the_tracking_link() {
    let Some(chromium) = chromium_or_skip() else { return };
    let intake = MockIntake::start();
    let site = write_site(&intake.url());
    let portal = Portal::build(site.path());
    intake.allow_origin(&portal.origin());
    let mut browser = Browser::launch(&chromium);
    let mut tab = browser.open_tab();
    assert_eq!(tab.load(&portal.url("active/refer/")), 200);
    tab.eval(FILL).expect("fill the form");

    shows_a_field_error_beside_its_field(&mut tab, &intake);
    keeps_the_form_when_nothing_was_stored(&mut tab, &intake);
    shows_the_tracking_link_once_stored(&mut tab, &intake);
    let posts = intake.received();
    assert_eq!(posts.len(), 4);
    let key = posts[0].body["idempotency_key"].as_str().expect("a key").to_owned();
    assert!(key.len() >= 32, "{key}");
    for post in &posts {
        assert_eq!(post.content_type, "application/json");
        assert_eq!(post.body["idempotency_key"], key.as_str(), "retries must reuse the key");
        assert_eq!(post.body["client_consent"], true);
        assert_eq!(post.body["website"], "");
        assert_eq!(post.body["involvement"], "introduce");
    }
    assert_eq!(posts[3].body["client_domain"], "acme.example");
    assert_forgets_the_client_and_renews_the_key(&mut tab, &key);
    // The 422, 429 and 503 answers are logged as failed loads; nothing else may go wrong.
    let problems: Vec<String> =
        tab.problems().into_iter().filter(|p| !p.contains("Failed to load resource")).collect();
    assert_eq!(problems, Vec::<String>::new());
}

fn shows_a_field_error_beside_its_field(tab: &mut Tab<'_>, intake: &MockIntake) {
    let fields = json!({ "client_domain": "`acme` is not a domain name" });
    intake.queue(answer(422, json!({ "error": "some fields need fixing", "fields": fields })));
    let status = submit(tab, "error");
    assert!(status.contains("`acme` is not a domain name"), "{status}");
    let field = tab.eval(
        r#"(() => { const f = document.getElementById("client_domain");
            const m = document.getElementById("error-client_domain");
            return [f.getAttribute("aria-invalid"), f.getAttribute("aria-describedby"),
                    m.hidden, m.textContent, document.activeElement.id]; })()"#,
    );
    let expected = json!([
        "true",
        "error-client_domain",
        false,
        "`acme` is not a domain name",
        "client_domain"
    ]);
    assert_eq!(field, Ok(expected));
    tab.eval(r#"document.getElementById("client_domain").value = "acme.example""#).unwrap();
}

fn keeps_the_form_when_nothing_was_stored(tab: &mut Tab<'_>, intake: &MockIntake) {
    let mut busy = answer(429, json!({ "error": "too many requests from your address" }));
    busy.headers.push(("Retry-After", "30".to_owned()));
    intake.queue(busy);
    let status = submit(tab, "error");
    assert!(status.contains("not stored") && status.contains("30 seconds"), "{status}");
    intake.queue(answer(503, json!({ "error": "the referral store is unavailable" })));
    let status = submit(tab, "error");
    assert!(status.contains("not stored"), "{status}");
    let kept = tab.eval(r#"document.getElementById("client_org").value"#);
    assert_eq!(kept, Ok(json!("Acme Manufacturing")), "the form must stay filled");
}

fn shows_the_tracking_link_once_stored(tab: &mut Tab<'_>, intake: &MockIntake) {
    let tracking = format!("{}/{TOKEN}", intake.url());
    let stored = json!({ "id": 7, "status": "submitted", "submitted_at": "2026-12-04T10:00:00Z",
                         "tracking_url": tracking });
    intake.queue(answer(201, stored));
    let status = submit(tab, "success");
    assert!(status.contains("#7"), "{status}");
    let link = tab.eval(
        r#"(() => { const a = document.querySelector(".form-status a");
            return a && [a.getAttribute("href"), a.textContent]; })()"#,
    );
    assert_eq!(link, Ok(json!([tracking, tracking])));
    let invalid = r#"document.getElementById("client_domain").hasAttribute("aria-invalid")"#;
    assert_eq!(tab.eval(invalid), Ok(json!(false)), "the old error is cleared");
}

/// After a stored referral the form is empty but for the partner's own details, and the next
/// referral gets a key of its own.
fn assert_forgets_the_client_and_renews_the_key(tab: &mut Tab<'_>, key: &str) {
    let after = tab.eval(
        r#"(() => { const f = document.querySelector("form.referral-form").elements;
            return { client: [f.client_org.value, f.challenge.value, f.client_consent.checked],
                     partner: [f.partner_id.value, f.referrer_email.value],
                     key: f.idempotency_key.value, stored: Object.keys(localStorage).sort() };
        })()"#,
    );
    let after = after.expect("read the form");
    assert_eq!(after["client"], json!(["", "", false]));
    assert_eq!(after["partner"], json!(["harbor", "ana@harbor.example"]));
    let new_key = after["key"].as_str().unwrap_or_default();
    assert!(!new_key.is_empty() && new_key != key, "the key was not renewed: {after}");
    let remembered = json!([
        "portico.referral.partner_id",
        "portico.referral.referrer_email",
        "portico.referral.referrer_name"
    ]);
    assert_eq!(after["stored"], remembered, "only the partner's own details are kept");
}

#[test]
fn the_received_page_shows_only_a_tracking_link_of_the_intake() {
    let Some(chromium) = chromium_or_skip() else { return };
    let intake_url = "https://intake.example.com/referrals";
    let site = write_site(intake_url);
    let portal = Portal::build(site.path());
    let mut browser = Browser::launch(&chromium);
    let mut tab = browser.open_tab();

    let genuine = format!("{intake_url}/{TOKEN}");
    assert_eq!(shown_link(&mut tab, &portal, &genuine), json!([false, genuine, genuine, true]));
    for crafted in [
        "https://evil.example/x".to_owned(),
        format!("javascript:alert(1)//{intake_url}/{TOKEN}"),
        format!("{intake_url}/{}", &TOKEN[1..]),
        format!("{intake_url}/{TOKEN}/x"),
        format!("{intake_url}/{TOKEN}?next=https://evil.example/"),
        format!("{intake_url}.evil.example/{TOKEN}"),
        format!("{intake_url}/{}<b>", &TOKEN[3..]),
    ] {
        let shown = shown_link(&mut tab, &portal, &crafted);
        assert_eq!(shown, json!([true, null, "", false]), "{crafted} was shown");
    }
    assert_eq!(tab.problems(), Vec::<String>::new());
}

/// Opens the received page with `tracking` in its address and reports whether the tracking
/// box is hidden, the link's `href` and text, and whether the "no link" notice is hidden.
fn shown_link(tab: &mut Tab<'_>, portal: &Portal, tracking: &str) -> Value {
    let url = portal.url(&format!(
        "active/referral-received/?tracking={}",
        url::form_urlencoded::byte_serialize(tracking.as_bytes()).collect::<String>()
    ));
    assert_eq!(tab.load(&url), 200, "{url}");
    let script = r#"(() => { const a = document.querySelector(".tracking-link");
        return [document.querySelector(".tracking").hidden, a.getAttribute("href"),
                a.textContent, document.querySelector(".tracking-missing").hidden]; })()"#;
    tab.eval(script).expect("read the page")
}
