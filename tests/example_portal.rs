//! The example portal at the repository root: it builds for every tier, and a few of its pages
//! are pinned as snapshots so a change to the theme or renderer shows up in review.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use portico::build::{BuildOptions, build};

/// The example portal, built once for every test in this file.
fn build_example() -> &'static tempfile::TempDir {
    static BUILT: OnceLock<tempfile::TempDir> = OnceLock::new();
    BUILT.get_or_init(build_once)
}

fn build_once() -> tempfile::TempDir {
    let out = tempfile::tempdir().unwrap();
    let options = BuildOptions {
        root: PathBuf::from(env!("CARGO_MANIFEST_DIR")),
        output: out.path().to_path_buf(),
        tiers: vec![],
        base_url: None,
        drafts: false,
        allow_broken_links: false,
    };
    let report = build(&options).unwrap();
    assert!(
        report.warnings.is_empty(),
        "the example portal should build cleanly: {:#?}",
        report.warnings
    );
    out
}

fn page(out: &Path, path: &str) -> String {
    fs::read_to_string(out.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn builds_every_tier_with_its_name_and_sections() {
    let out = build_example();
    for (tier, name) in [
        ("strategic", "Tier 1 Strategic"),
        ("active", "Tier 2 Active"),
        ("referral-network", "Tier 3 Referral Network"),
    ] {
        let home = page(out.path(), &format!("{tier}/index.html"));
        assert!(home.contains(name), "{tier} home lacks its tier name");
        for file in
            ["404.html", "robots.txt", "sitemap.xml", "style.css", "portico.js", "tags/index.html"]
        {
            assert!(out.path().join(tier).join(file).is_file(), "{tier}/{file} missing");
        }
    }
    let network_home = page(out.path(), "referral-network/index.html");
    assert!(!network_home.contains("Strategic partner desk"));
    assert!(page(out.path(), "strategic/index.html").contains("Strategic partner desk"));
}

#[test]
fn email_template_page_shows_subject_body_and_copy_buttons() {
    let out = build_example();
    insta::assert_snapshot!(
        "email_template",
        page(out.path(), "referral-network/email-templates/plant-the-seed/index.html")
    );
}

#[test]
fn case_study_page_shows_its_facts_and_co_located_chart() {
    let out = build_example();
    insta::assert_snapshot!(
        "case_study",
        page(out.path(), "active/case-studies/saas-close-acceleration/index.html")
    );
    assert!(out.path().join("active/case-studies/saas-close-acceleration/results.svg").is_file());
}

#[test]
fn checklist_page_renders_its_task_list() {
    let out = build_example();
    insta::assert_snapshot!(
        "checklist",
        page(out.path(), "referral-network/checklists/referral-readiness/index.html")
    );
}

#[test]
fn referral_page_posts_to_the_intake() {
    let out = build_example();
    insta::assert_snapshot!("referral_form", page(out.path(), "referral-network/refer/index.html"));
}

#[test]
fn every_tier_feed_carries_the_news_and_case_studies() {
    let out = build_example();
    for tier in ["strategic", "active", "referral-network"] {
        let feed = page(out.path(), &format!("{tier}/feed.xml"));
        let base = format!("https://partners.alderfinch.example/{tier}/");
        for path in ["news/hot-opportunity-december-2026/", "case-studies/saas-close-acceleration/"]
        {
            assert!(feed.contains(&format!("<id>{base}{path}</id>")), "{tier}: {path} missing");
        }
    }
}

#[test]
fn the_old_service_levels_url_redirects_to_the_response_sla() {
    let out = build_example();
    let redirect = page(out.path(), "active/program/service-levels/index.html");
    assert!(redirect.contains("url=/active/program/response-sla/"), "{redirect}");
}
