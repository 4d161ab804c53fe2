//! The portal side of referral intake: the form's fields, filled in again with their errors,
//! and the page the intake sends partners to afterwards, built into every tier only when
//! `partners.yaml` names an intake.

use crate::common::{PARTNERS_YAML, Site};

const INTAKE: &str = "https://intake.example.com/referrals";
const TIERS: [&str; 3] = ["strategic", "active", "referral-network"];
const REFER_PAGE: &str = "---\ntitle: Refer\ntemplate: referral-form.html\n\
                          extra:\n  checklist: checklists/ready/\n---\n";

/// The fields people type in, with the intake's character limit and whether it is required.
const FIELDS: [(&str, usize, bool); 11] = [
    ("partner_id", 64, true),
    ("referrer_name", 200, true),
    ("referrer_email", 254, true),
    ("client_org", 200, true),
    ("client_domain", 253, false),
    ("client_contact_name", 200, true),
    ("client_contact_email", 254, false),
    ("client_contact_phone", 40, false),
    ("challenge", 4000, true),
    ("context", 4000, false),
    ("promises", 2000, false),
];

fn site_with_intake() -> Site {
    let contact = "  contact: partners@example.com\n";
    let partners = PARTNERS_YAML.replace(contact, &format!("{contact}  intake_url: {INTAKE}\n"));
    Site::with_partners(&partners)
        .file("content/_index.md", "---\ntitle: Home\n---\n")
        .file("content/refer.md", REFER_PAGE)
}

/// The text from `start` up to and including `end`.
fn between<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let from = html.find(start).unwrap_or_else(|| panic!("no `{start}` in:\n{html}"));
    let to = from + html[from..].find(end).unwrap_or_else(|| panic!("no `{end}` after `{start}`"));
    &html[from..to + end.len()]
}

/// The start tag of the form control named `name`.
fn control<'a>(form: &'a str, name: &str) -> &'a str {
    let at = form.find(&format!(" name=\"{name}\"")).unwrap_or_else(|| panic!("no `{name}`"));
    let start = form[..at].rfind('<').expect("inside a tag");
    &form[start..=at + form[at..].find('>').expect("the tag ends")]
}

#[test]
fn the_received_page_is_built_for_every_tier_when_an_intake_is_set() {
    let site = site_with_intake();
    site.build_ok();
    for tier in TIERS {
        let page = site.read_output(&format!("{tier}/referral-received/index.html"));
        assert!(page.contains(r#"<meta name="robots" content="noindex, nofollow">"#), "{page}");
        assert!(page.contains(&format!(r#"data-tracking-prefix="{INTAKE}/""#)), "{page}");
        assert!(page.contains("within 24 hours"), "{page}");
        assert!(page.contains("after <code>tracking=</code>"), "{page}");
        let sitemap = site.read_output(&format!("{tier}/sitemap.xml"));
        assert!(!sitemap.contains("referral-received"), "{sitemap}");
        let home = site.read_output(&format!("{tier}/index.html"));
        assert!(!home.contains("referral-received"), "{home}");
    }
}

#[test]
fn no_received_page_is_built_without_an_intake() {
    let site = Site::new().file("content/refer.md", REFER_PAGE);
    site.build_ok();
    for tier in TIERS {
        assert!(!site.output().join(tier).join("referral-received").exists(), "{tier}");
        let refer = site.read_output(&format!("{tier}/refer/index.html"));
        assert!(refer.contains("mailto:partners@example.com?subject=Referral"), "{refer}");
    }
}

#[test]
fn the_form_has_every_field_with_its_limit() {
    let site = site_with_intake();
    site.build_ok();
    let page = site.read_output("referral-network/refer/index.html");
    let form = between(&page, "<form class=\"referral-form\"", "</form>");
    assert!(form.contains(&format!(r#"method="post" action="{INTAKE}""#)), "{form}");
    for (name, limit, required) in FIELDS {
        let tag = control(form, name);
        assert!(tag.contains(&format!(r#" maxlength="{limit}""#)), "{tag}");
        assert_eq!(tag.contains(" required"), required, "{tag}");
        assert!(!tag.contains("aria-invalid"), "{tag}");
        assert!(form.contains(&format!(r#"<p class="field-error" id="error-{name}" hidden>"#)));
    }
    for (name, kind) in [
        ("referrer_email", "email"),
        ("client_contact_email", "email"),
        ("client_contact_phone", "tel"),
    ] {
        assert!(control(form, name).contains(&format!(r#"type="{kind}""#)), "{name}");
    }
    assert!(control(form, "client_consent").contains(r#"type="checkbox""#));
    assert!(control(form, "idempotency_key").contains(r#"type="hidden""#));
    let honeypot = control(form, "website");
    assert!(honeypot.contains(r#"tabindex="-1""#) && honeypot.contains(r#"autocomplete="off""#));
    assert!(form.contains(r#"<div class="honeypot" aria-hidden="true">"#), "{form}");
    assert!(!form.contains(r#"name="client_contact""#), "the old single contact field is gone");
    assert!(form.contains(r#"<div class="form-status" role="status" aria-live="polite">"#));
    let checklist = between(&page, "<aside class=\"checklist-box\"", "</aside>");
    assert!(checklist.contains(r#"href="/referral-network/checklists/ready/""#), "{checklist}");
    insta::assert_snapshot!("referral_form_fields", form);
}

#[test]
fn the_fields_show_values_and_errors_they_are_given() {
    // A template of the site's own includes the fields as the intake's retry page does.
    let retry = r#"{% set values = {"partner_id": "\"><b>x</b>", "challenge": "Close\nis late",
        "involvement": "joint", "client_consent": "yes", "idempotency_key": "k-1"} %}
        {% set errors = {"partner_id": "unknown <partner>", "client_consent": "ask the client"} %}
        {% include "referral-fields.html" %}"#;
    let site = site_with_intake()
        .file("themes/default/templates/retry.html", retry)
        .file("content/retry.md", "---\ntitle: Retry\ntemplate: retry.html\n---\n");
    site.build_ok();
    let form = site.read_output("referral-network/retry/index.html");
    let partner = control(&form, "partner_id");
    assert!(partner.contains(r#"value="&quot;&gt;&lt;b&gt;x&lt;/b&gt;""#), "{partner}");
    assert!(partner.contains(r#"aria-invalid="true" aria-describedby="error-partner_id""#));
    assert!(
        form.contains(
            r#"<p class="field-error" id="error-partner_id">unknown &lt;partner&gt;</p>"#
        )
    );
    let consent = control(&form, "client_consent");
    assert!(consent.contains(" checked") && consent.contains("aria-invalid=\"true\""), "{consent}");
    assert!(form.contains(">\nClose\nis late</textarea>"), "{form}");
    assert!(form.contains(r#"<option value="joint" selected>"#), "{form}");
    assert!(control(&form, "idempotency_key").contains(r#"value="k-1""#), "{form}");
    assert!(!control(&form, "referrer_name").contains("aria-invalid"), "{form}");
}
