//! `portico check`: every kind of finding, with its place and the tiers it holds in, as the
//! JSON output gives them; exit codes; and `build` stopping on the same broken links.

use std::process::{Command, Output};

use crate::common::Site;
use serde_json::Value;

/// A site with one finding of each kind that depends on the tier.
fn site_with_findings() -> Site {
    Site::new()
        .file("content/open/_index.md", "---\ntitle: Open\n---\n")
        .file(
            "content/open/guide.md",
            "---\ntitle: Guide\n---\n# Fees\n\nSee [the desk](../desk/pricing.md).\n\n\
             Read [the fees](#fees) and [the terms](#terms).\n\n\
             Also [the overview](overview.md#scope) and [missing](nowhere.md).\n",
        )
        .file("content/open/overview.md", "---\ntitle: Overview\n---\n## Scope of work\n\nText.\n")
        .file("content/desk/_index.md", "---\ntitle: Desk\ntier: strategic\n---\n")
        .file("content/desk/pricing.md", "---\ntitle: Pricing\n---\nPrices.\n")
        .file("content/training/_index.md", "---\ntitle: Training\n---\n")
        .file("content/training/advanced.md", "---\ntitle: Advanced\ntier: strategic\n---\nDeep.\n")
}

fn check(site: &Site, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_portico"))
        .arg("check")
        .arg("--root")
        .arg(site.root())
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("PORTICO_LOG")
        .output()
        .expect("the portico binary runs")
}

fn findings(site: &Site) -> (Output, Value) {
    let output = check(site, &["--format", "json"]);
    let json = serde_json::from_slice(&output.stdout).expect("check prints JSON");
    (output, json)
}

/// Each finding as `kind path:line:col [tiers]`.
fn summary(json: &Value) -> Vec<String> {
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| format!("{} {}", f["kind"].as_str().unwrap(), crate::common::finding_place(f)))
        .collect()
}

#[test]
fn reports_each_kind_of_link_finding_with_its_place_and_tiers() {
    let site = site_with_findings();
    let (output, json) = findings(&site);
    assert_eq!(output.status.code(), Some(1), "errors fail the check");
    assert_eq!(
        summary(&json),
        [
            "tier-crossing-link content/open/guide.md:6:5 [active,referral-network]",
            "broken-anchor content/open/guide.md:8:28 [strategic,active,referral-network]",
            "broken-anchor content/open/guide.md:10:6 [strategic,active,referral-network]",
            "broken-link content/open/guide.md:10:44 [strategic,active,referral-network]",
            "empty-section content/training/_index.md:1:1 [active,referral-network]",
        ]
    );
    let crossing = &json["findings"][0];
    assert_eq!(crossing["severity"], "error");
    assert!(crossing["message"].as_str().unwrap().contains("`/desk/pricing/`"));
    let anchor = &json["findings"][2];
    assert_eq!(anchor["help"], "did you mean `scope-of-work`?");
    assert_eq!(json["findings"][4]["severity"], "warning");
    assert_eq!(json["errors"], 4);
    assert_eq!(json["warnings"], 1);
}

#[test]
fn human_output_names_file_line_tiers_and_a_fix() {
    let site = site_with_findings();
    let output = check(&site, &[]);
    let text = String::from_utf8_lossy(&output.stderr);
    assert!(text.contains("error: content/open/guide.md:6:5: links to `/desk/pricing/`, which is gated above tiers that see this page"), "{text}");
    assert!(text.contains("in tiers: active, referral-network"), "{text}");
    assert!(text.contains("checked 3 tiers: 4 errors, 1 warning"), "{text}");
}

#[test]
fn warnings_pass_unless_denied() {
    let site = Site::new().file("content/training/_index.md", "---\ntitle: Training\n---\n").file(
        "content/training/advanced.md",
        "---\ntitle: Advanced\ntier: strategic\n---\nDeep.\n",
    );
    assert_eq!(check(&site, &[]).status.code(), Some(0));
    assert_eq!(check(&site, &["--deny-warnings"]).status.code(), Some(1));
    assert_eq!(check(&Site::new(), &["--deny-warnings"]).status.code(), Some(0));
}

#[test]
fn a_link_checked_only_in_the_tiers_asked_for() {
    let site = site_with_findings();
    let output = check(&site, &["--format", "json", "--tier", "strategic"]);
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(
        summary(&json).iter().all(|f| !f.starts_with("tier-crossing-link")),
        "{:?}",
        summary(&json)
    );
    assert_eq!(json["tiers"], serde_json::json!(["strategic"]));
}

#[test]
fn invalid_content_is_reported_like_build_reports_it() {
    let site = Site::new().file("content/bad.md", "---\ntitle: Bad\ntier: activ\n---\n");
    let (output, json) = findings(&site);
    assert_eq!(output.status.code(), Some(1));
    let finding = &json["findings"][0];
    assert_eq!(finding["kind"], "invalid");
    assert_eq!(
        (finding["path"].as_str().unwrap(), &finding["line"], &finding["column"]),
        ("content/bad.md", &serde_json::json!(3), &serde_json::json!(7))
    );
    assert_eq!(finding["help"], "did you mean `active`?");
}

#[test]
fn build_stops_on_a_link_into_a_hidden_tier_unless_allowed() {
    let site = site_with_findings();
    let problems = site.build_err();
    let crossing =
        problems.iter().find(|p| p.kind == Some("tier-crossing-link")).expect("reported");
    assert_eq!(crossing.location(), "content/open/guide.md:6:5");
    assert!(
        crossing.message.ends_with("(in tiers active, referral-network)"),
        "{}",
        crossing.message
    );
    assert!(!site.output().exists(), "nothing is written");
    let allowed = Command::new(env!("CARGO_BIN_EXE_portico"))
        .args(["build", "--allow-broken-links", "--root"])
        .arg(site.root())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(allowed.status.success(), "{}", String::from_utf8_lossy(&allowed.stderr));
    assert!(
        String::from_utf8_lossy(&allowed.stderr).contains("warning: content/open/guide.md:6:5")
    );
}

#[test]
fn the_example_portal_checks_clean() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let output = Command::new(env!("CARGO_BIN_EXE_portico"))
        .args(["check", "--deny-warnings", "--format", "json", "--root"])
        .arg(root)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stdout));
}

#[test]
fn finds_pages_that_nothing_in_their_tier_leads_to() {
    let quiet = "{% extends \"base.html\" %}{% block content %}<h1>{{ section.title }}</h1>\
        {% endblock content %}";
    let site = Site::new()
        .file("themes/default/templates/quiet-section.html", quiet)
        .file("content/attic/_index.md", "---\ntitle: Attic\ntemplate: quiet-section.html\n---\n")
        .file("content/attic/old.md", "---\ntitle: Old\n---\nOld news.\n")
        .file("content/vault/_index.md", "---\ntitle: Vault\ntemplate: quiet-section.html\n---\n")
        .file("content/vault/kept.md", "---\ntitle: Kept\n---\nStill linked.\n")
        .file("content/guides/guide.md", "---\ntitle: Guide\n---\nSee [it](../vault/kept.md).\n");
    let (output, json) = findings(&site);
    assert_eq!(output.status.code(), Some(0), "unreachable pages are warnings");
    assert_eq!(
        summary(&json),
        ["unreachable-page content/attic/old.md:1:1 [strategic,active,referral-network]"]
    );
}
