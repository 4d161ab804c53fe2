//! Email templates and one-pagers as a partner uses them: details typed once on one template
//! fill every other one, and what is copied or sent is the template's plain text with those
//! values in place of its placeholders, and nowhere else. Client details stay on their page.

use serde_json::json;
use tempfile::TempDir;

use super::{
    Browser, Portal, ROOT, Tab, built_email_body, chromium_or_skip, one_tier_site, wait_for,
};

const INTRODUCE: &str = "---
title: Introduce the client
subject: \"Introduction: {{client_first_name}} and [Your Firm]\"
---

Hi {{client_first_name}},

As promised, here is [Your Firm]'s note on [specific pain they mentioned] & what comes next.
The [checklist](https://e.example/list) is attached.

Best regards,\\
{{your_name}}\\
{{your_title}}, {{your_firm}}
";

/// The follow-up's subject line, as its front matter gives it, and its body.
const FOLLOW_UP_SUBJECT: &str = "Re: {{client_first_name}} and [Topic], from {{your_name}}";
const FOLLOW_UP_BODY: &str = "
Hi {{client_first_name}},

A quick nudge from {{your_name}} at [Your Firm] about [specific pain they mentioned].
The [notes](https://e.example/?f={{your_firm}}) are filed under `{{your_firm}}`.

Best,\\
{{your_name}}
";

const SHEET: &str = "---
title: At a glance
one_pager: true
---

**Prepared for [Client Name] by [Your Firm]**
";

/// A one-tier site with two email templates and a one-pager.
fn write_site() -> TempDir {
    let follow_up =
        format!("---\ntitle: Follow up\nsubject: \"{FOLLOW_UP_SUBJECT}\"\n---\n{FOLLOW_UP_BODY}");
    one_tier_site(&[
        ("content/mail/_index.md", "---\ntitle: Mail\n---\n"),
        ("content/mail/introduce.md", INTRODUCE),
        ("content/mail/follow-up.md", &follow_up),
        ("content/sheets/_index.md", "---\ntitle: Sheets\n---\n"),
        ("content/sheets/glance.md", SHEET),
    ])
}

/// Types `text` into the field for `key`, as keyboard input.
fn type_into(tab: &mut Tab<'_>, key: &str, text: &str) {
    let field = format!("document.getElementById({})", json!(format!("placeholder-{key}")));
    wait_for(tab, &format!("{field} && !{field}.closest('form').hidden"));
    tab.eval(&format!("{field}.focus(); {field}.select()")).expect("focus the field");
    tab.call("Input.insertText", json!({ "text": text }));
}

/// Fails unless every span for `key` on the page (in the template, the subject and the hidden
/// copy sources alike) shows `text`.
fn assert_shows(tab: &mut Tab<'_>, key: &str, text: &str) {
    let script = format!(
        "[...document.querySelectorAll('[data-placeholder=\"{key}\"]')].map(s => s.textContent)"
    );
    let shown = tab.eval(&script).expect("read the placeholders");
    let shown = shown.as_array().expect("a list");
    assert!(!shown.is_empty(), "no placeholder `{key}` on the page");
    assert!(shown.iter().all(|s| s == text), "`{key}` shows {shown:?}, not {text:?}");
}

/// A text percent-encoded as JavaScript's `encodeURIComponent` does, lines ending in CRLF:
/// the `mailto:` encoding of RFC 6068.
fn mailto_encoded(text: &str) -> String {
    let text = text.replace("\r\n", "\n").replace('\n', "\r\n");
    let mut encoded = String::new();
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' => encoded.push(byte as char),
            b'-' | b'_' | b'.' | b'!' | b'~' | b'*' | b'\'' | b'(' | b')' => {
                encoded.push(byte as char)
            }
            _ => encoded.push_str(&format!("%{byte:02X}")),
        }
    }
    encoded
}

#[test]
fn details_typed_once_fill_every_template_and_what_is_copied_or_sent() {
    let Some(chromium) = chromium_or_skip() else { return };
    let site = write_site();
    let portal = Portal::build(site.path());
    let mut browser = Browser::launch(&chromium);
    browser.grant_clipboard(&portal.origin());
    let mut tab = browser.open_tab();

    // Once, on the first template: the partner's own details, and a client's name.
    assert_eq!(tab.load(&portal.url("active/mail/introduce/")), 200);
    type_into(&mut tab, "your-firm", "Harbor Street Legal");
    type_into(&mut tab, "your-name", "Dana Reyes");
    type_into(&mut tab, "client-first-name", "Jo");
    assert_shows(&mut tab, "your-firm", "Harbor Street Legal");
    assert_shows(&mut tab, "client-first-name", "Jo");
    assert_eq!(tab.problems(), Vec::<String>::new());

    // Another template: the partner's details are there; the client's name is not.
    let page = "active/mail/follow-up/";
    assert_eq!(tab.load(&portal.url(page)), 200);
    wait_for(&mut tab, "!document.querySelector('[data-placeholder-form]').hidden");
    assert_shows(&mut tab, "your-name", "Dana Reyes");
    assert_shows(&mut tab, "your-firm", "Harbor Street Legal");
    assert_shows(&mut tab, "client-first-name", "{{client_first_name}}");
    let stored = tab.eval("JSON.stringify({ ...localStorage })").expect("read the storage");
    assert!(!stored.as_str().unwrap_or("").contains("Jo"), "a client detail was stored: {stored}");
    let prefilled = tab.eval("document.getElementById('placeholder-your-name').value");
    assert_eq!(prefilled, Ok(json!("Dana Reyes")));
    type_into(&mut tab, "client-first-name", "Sam");
    // A field only the subject names.
    type_into(&mut tab, "topic", "the close");

    // The template's plain text as written, and as copied and sent: only its placeholders
    // filled in, not the same text in an address or in code.
    let built = built_email_body(&portal.output.join(page).join("index.html"));
    assert_eq!(
        built,
        "Hi {{client_first_name}},\n\nA quick nudge from {{your_name}} at [Your Firm] about \
         [specific pain they mentioned].\nThe notes (https://e.example/?f={{your_firm}}) are \
         filed under {{your_firm}}.\n\nBest,\n{{your_name}}"
    );
    let subject = "Re: Sam and the close, from Dana Reyes";
    let body = "Hi Sam,\n\nA quick nudge from Dana Reyes at Harbor Street Legal about \
                [specific pain they mentioned].\nThe notes (https://e.example/?f={{your_firm}}) \
                are filed under {{your_firm}}.\n\nBest,\nDana Reyes";

    tab.click_copy_email();
    assert_eq!(tab.wait_for_copy_status(), "Copied to clipboard");
    let clipboard = tab.eval("navigator.clipboard.readText()").expect("clipboard is readable");
    assert_eq!(clipboard, json!(body), "the copied text is not the filled-in template");
    let html = tab.eval(
        "navigator.clipboard.read()
            .then(items => items[0].getType('text/html')).then(blob => blob.text())",
    );
    let html = html.expect("the rich text is readable");
    let html = html.as_str().expect("rich text");
    assert!(html.contains("Harbor Street Legal") && !html.contains("data-placeholder"), "{html}");

    let mailto = tab.eval("document.querySelector('[data-mailto]').getAttribute('href')");
    let expected =
        format!("mailto:?subject={}&body={}", mailto_encoded(subject), mailto_encoded(body));
    assert_eq!(mailto, Ok(json!(expected)));
    assert_eq!(tab.problems(), Vec::<String>::new());

    prints_the_firm_on_a_one_pager_then_forgets(&mut tab, &portal);
}

fn prints_the_firm_on_a_one_pager_then_forgets(tab: &mut Tab<'_>, portal: &Portal) {
    assert_eq!(tab.load(&portal.url("active/sheets/glance/")), 200);
    let credit = "document.querySelector('[data-print-credit]')";
    wait_for(tab, &format!("!{credit}.hidden && {credit}.textContent"));
    assert_eq!(
        tab.eval(&format!("{credit}.textContent")),
        Ok(json!("Shared by Harbor Street Legal"))
    );
    let print_button = tab.eval("!document.querySelector('[data-print]').hidden");
    assert_eq!(print_button, Ok(json!(true)));
    // Printed, the sheet shows the credit and none of the page around it.
    tab.call("Emulation.setEmulatedMedia", json!({ "media": "print" }));
    let printed = tab.eval(&format!(
        "[getComputedStyle({credit}).display, \
          getComputedStyle(document.querySelector('.site-header')).display, \
          getComputedStyle(document.querySelector('[data-placeholder-form]')).display]"
    ));
    assert_eq!(printed, Ok(json!(["block", "none", "none"])));
    tab.call("Emulation.setEmulatedMedia", json!({ "media": "" }));

    tab.eval("document.querySelector('[data-placeholder-forget]').click()").expect("forget");
    assert_shows(tab, "your-firm", "[Your Firm]");
    assert_eq!(tab.eval(&format!("{credit}.hidden")), Ok(json!(true)));
    assert_eq!(tab.eval("localStorage.length"), Ok(json!(0)));
    assert_eq!(tab.problems(), Vec::<String>::new());
}

/// The example portal built and served, and a browser to read it in; `None` without Chromium.
fn serve_example() -> Option<(Portal, Browser)> {
    let chromium = chromium_or_skip()?;
    Some((Portal::build(std::path::Path::new(ROOT)), Browser::launch(&chromium)))
}

#[test]
fn the_example_one_pager_prints_on_one_page_with_the_firm_at_its_foot() {
    use base64::Engine;
    let Some((portal, mut browser)) = serve_example() else { return };
    let mut tab = browser.open_tab();
    let url = portal.url("referral-network/one-pagers/alder-finch-at-a-glance/");
    assert_eq!(tab.load(&url), 200);
    type_into(&mut tab, "your-firm", "Harbor Street Legal");
    let credit = "document.querySelector('[data-print-credit]')";
    wait_for(&mut tab, &format!("!{credit}.hidden"));

    let pdf = tab.call("Page.printToPDF", json!({ "paperWidth": 8.27, "paperHeight": 11.69 }));
    let pdf = base64::engine::general_purpose::STANDARD
        .decode(pdf["data"].as_str().expect("the PDF, in base64"))
        .expect("base64");
    let pdf = String::from_utf8_lossy(&pdf);
    let pages = pdf.matches("/Type /Page").count() - pdf.matches("/Type /Pages").count();
    assert_eq!(pages, 1, "the one-pager prints on {pages} pages");
    assert_eq!(tab.problems(), Vec::<String>::new());
}
