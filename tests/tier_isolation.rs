//! The core promise: content gated above a tier never reaches that tier's output, in any file.
//!
//! Unique marker strings are planted in every place gated content can hide (title, body,
//! description, tag, slug, alias, date, co-located asset name and contents, section intro) and
//! each tier's output tree, feed, sitemap and search index included, is searched byte by byte.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use portico::build::{BuildOptions, build};

/// Tier terms and the directory carry markers too: a tier compares only itself and the tiers
/// below it, and only `strategic` sees the directory.
const PROGRAM: &str = "program:
  name: Marker Program
  base_url: https://portal.example/
  contact: partners@portal.example
  directory:
    tiers: [strategic]
tiers:
  - id: strategic
    name: Tier 1 Strategic
    benefits: [qqstrategicmarker benefit]
    commission: qqstrategicmarker commission
    support: qqstrategicmarker support
    move_up: qqstrategicmarker move up
    review: qqstrategicmarker review
  - id: active
    name: Tier 2 Active
    benefits: [qqactivemarker benefit]
    support: qqactivemarker support
    move_up: qqactivemarker move up
  - id: referral-network
    name: Tier 3 Referral Network
partners:
  - id: listed
    firm: qqstrategicmarker Listed LLP
    tier: referral-network
    offers: [qqstrategicmarker service]
    regions: [qqstrategicmarker region]
    contacts: [{ name: Ann Lee, email: ann@qqstrategicmarker.example }]
    directory: true
";

/// Markers for content gated to `strategic` (`S`) and to `active` (`A`).
const S: &str = "qqstrategicmarker";
const A: &str = "qqactivemarker";

fn write(root: &Path, relative: &str, contents: &str) {
    let path = root.join(relative);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, contents).unwrap();
}

/// A site with gated material for `marker` at `tier`, in a gated section and as gated pages
/// in open sections.
fn plant(root: &Path, tier: &str, marker: &str) {
    write(
        root,
        &format!("content/{marker}-desk/_index.md"),
        &format!(
            "---\ntitle: Desk {marker}\ndescription: Intro {marker}\ntier: {tier}\naliases: [/old-desk-{marker}/]\n---\nSection body {marker}.\n"
        ),
    );
    write(
        root,
        &format!("content/{marker}-desk/plan-{marker}/index.md"),
        &format!(
            "---\ntitle: Plan {marker}\ndescription: Desc {marker}\ntags: [{marker}-tag, shared]\ndate: 2026-01-02\n\
             updated: 2026-12-30\naliases: [/old-plan-{marker}/]\n---\n\
             Body {marker}. ![chart]({marker}-chart.svg) [file]({marker}-sheet.csv)\n"
        ),
    );
    write(
        root,
        &format!("content/{marker}-desk/plan-{marker}/{marker}-chart.svg"),
        &format!("<svg><title>{marker}</title></svg>"),
    );
    write(
        root,
        &format!("content/{marker}-desk/plan-{marker}/{marker}-sheet.csv"),
        &format!("a,b\n{marker},1\n"),
    );
    write(
        root,
        &format!("content/open/gated-{marker}.md"),
        &format!(
            "---\ntitle: Gated {marker}\ntier: {tier}\ndescription: D {marker}\ntags: [{marker}-only, shared]\n\
             date: 2026-02-03\naliases: [open/old-{marker}]\nsubject: Subject {marker}\nextra:\n  note: {marker}\n---\n# Heading {marker}\n\nText {marker}.\n"
        ),
    );
    write(
        root,
        &format!("content/open/assets-{marker}/index.md"),
        &format!("---\ntitle: Bundle {marker}\ntier: {tier}\n---\nB\n"),
    );
    write(root, &format!("content/open/assets-{marker}/{marker}.pdf"), &format!("%PDF {marker}"));
}

fn site() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "partners.yaml", PROGRAM);
    write(root, "content/_index.md", "---\ntitle: Home\n---\nWelcome.\n");
    write(root, "content/open/_index.md", "---\ntitle: Open\n---\n");
    // Open pages that link to gated ones: the link text is theirs, the address is not.
    write(
        root,
        "content/open/linker.md",
        &format!(
            "---\ntitle: Linker\ntags: [shared]\ndate: 2025-01-01\n---\nSee [the plan](../{S}-desk/plan-{S}/index.md), \
             [the gated page](gated-{A}.md#heading-{A}) and ![a chart](../{S}-desk/plan-{S}/{S}-chart.svg).\n"
        ),
    );
    write(root, "content/open/first.md", "---\ntitle: First\nweight: 1\n---\nFirst.\n");
    write(root, "content/open/last.md", "---\ntitle: Last\nweight: 99\n---\nLast.\n");
    plant(root, "strategic", S);
    plant(root, "active", A);
    dir
}

/// Builds the fixture, whose open pages link to gated ones on purpose: what those links become
/// in lower tiers is what several tests check.
fn build_site(root: &Path, output: &Path) {
    let options = BuildOptions {
        root: root.to_path_buf(),
        output: output.to_path_buf(),
        tiers: vec![],
        base_url: None,
        drafts: false,
        allow_broken_links: true,
    };
    build(&options).unwrap();
}

/// Every file of the tier whose path or (decompressed) bytes contain the marker. The search
/// index keeps words stemmed, so the marker is looked for without its last letters.
fn leaks(tier_dir: &Path, marker: &str) -> Vec<String> {
    let stem = &marker.as_bytes()[..marker.len() - 3];
    crate::common::files(tier_dir)
        .into_iter()
        .filter(|path| {
            let bytes = crate::common::readable_bytes(path);
            path.to_string_lossy().contains(marker)
                || bytes.windows(stem.len()).any(|w| w.eq_ignore_ascii_case(stem))
        })
        .map(|p| p.strip_prefix(tier_dir).unwrap().display().to_string())
        .collect()
}

/// The pages in a tier's search index: the URL of every fragment, as Pagefind stores them.
fn indexed_urls(tier_dir: &Path) -> BTreeSet<String> {
    crate::common::files(&tier_dir.join("pagefind/fragment"))
        .iter()
        .map(|path| {
            let bytes = crate::common::readable_bytes(path);
            // Pagefind puts a short signature in front of each file's JSON.
            let json = bytes.strip_prefix(b"pagefind_dcd").expect("a Pagefind fragment");
            let fragment: serde_json::Value = serde_json::from_slice(json).unwrap();
            fragment["url"].as_str().unwrap().to_string()
        })
        .collect()
}

/// The site paths of a tier's sitemap (every page and section the tier sees), as `/path/`.
fn sitemap_urls(tier_dir: &Path, tier: &str) -> BTreeSet<String> {
    let sitemap = fs::read_to_string(tier_dir.join("sitemap.xml")).unwrap();
    let prefix = format!("https://portal.example/{tier}");
    sitemap
        .split("<loc>")
        .skip(1)
        .map(|rest| rest.split("</loc>").next().unwrap().strip_prefix(&prefix).unwrap().to_string())
        .collect()
}

#[test]
fn gated_content_never_reaches_a_lower_tier() {
    let site = site();
    let output = site.path().join("public");
    build_site(site.path(), &output);
    let active = output.join("active");
    let network = output.join("referral-network");
    // Lower tiers have a feed of their own dated pages, so it is searched too.
    assert!(active.join("feed.xml").is_file() && network.join("feed.xml").is_file());

    assert_eq!(leaks(&active, S), Vec::<String>::new(), "strategic content in the active tier");
    assert_eq!(leaks(&network, S), Vec::<String>::new(), "strategic content in the network tier");
    assert_eq!(leaks(&network, A), Vec::<String>::new(), "active content in the network tier");
    // Gated pages' dates do not move a lower tier's feed or sitemap dates either.
    for file in ["feed.xml", "sitemap.xml"] {
        let text = fs::read_to_string(network.join(file)).unwrap();
        assert!(!text.contains("2026-12-30") && !text.contains("2026-02-03"), "{file}: {text}");
    }
}

#[test]
fn gated_content_reaches_its_own_tier_and_those_above() {
    let site = site();
    let output = site.path().join("public");
    build_site(site.path(), &output);
    let strategic = output.join("strategic");
    let active = output.join("active");
    for (tier_dir, marker) in [(&strategic, S), (&strategic, A), (&active, A)] {
        let found = leaks(tier_dir, marker);
        for expected in [
            format!("{marker}-desk/index.html"),
            format!("{marker}-desk/plan-{marker}/index.html"),
            format!("{marker}-desk/plan-{marker}/{marker}-chart.svg"),
            format!("{marker}-desk/plan-{marker}/{marker}-sheet.csv"),
            format!("open/gated-{marker}/index.html"),
            format!("open/assets-{marker}/{marker}.pdf"),
            format!("tags/{marker}-only/index.html"),
            format!("old-desk-{marker}/index.html"),
            format!("old-plan-{marker}/index.html"),
            format!("open/old-{marker}/index.html"),
            "sitemap.xml".to_string(),
            "feed.xml".to_string(),
            "index.html".to_string(),
            // The search index, whose files are compressed: the scan must read through that.
            "pagefind/fragment/".to_string(),
            "pagefind/index/".to_string(),
            "pagefind/filter/".to_string(),
        ] {
            assert!(
                found.iter().any(|f| f.starts_with(&expected)),
                "{expected} missing from {}: {found:?}",
                tier_dir.display()
            );
        }
    }
}

#[test]
fn each_tier_indexes_for_search_exactly_the_pages_it_sees() {
    let site = site();
    let output = site.path().join("public");
    build_site(site.path(), &output);
    let mut counts = Vec::new();
    for tier in ["strategic", "active", "referral-network"] {
        let tier_dir = output.join(tier);
        let indexed = indexed_urls(&tier_dir);
        assert_eq!(indexed, sitemap_urls(&tier_dir, tier), "{tier}");
        let entry = fs::read_to_string(tier_dir.join("pagefind/pagefind-entry.json")).unwrap();
        let entry: serde_json::Value = serde_json::from_str(&entry).unwrap();
        assert_eq!(entry["languages"]["en"]["page_count"], indexed.len(), "{tier}");
        counts.push(indexed.len());
    }
    // Open pages, plus the strategic and the active material where each is visible.
    assert!(counts[0] > counts[1] && counts[1] > counts[2], "{counts:?}");
    let plan = format!("/{S}-desk/plan-{S}/");
    let gated = format!("/open/gated-{A}/");
    let strategic = indexed_urls(&output.join("strategic"));
    assert!(strategic.contains(&plan) && strategic.contains(&gated), "{strategic:?}");
    let active = indexed_urls(&output.join("active"));
    assert!(active.contains(&gated) && !active.contains(&plan), "{active:?}");
    let network = indexed_urls(&output.join("referral-network"));
    assert!(!network.contains(&gated) && !network.contains(&plan), "{network:?}");
}

#[test]
fn links_to_gated_pages_keep_their_text_but_lose_their_address() {
    let site = site();
    let output = site.path().join("public");
    build_site(site.path(), &output);
    let lower = fs::read_to_string(output.join("referral-network/open/linker/index.html")).unwrap();
    assert!(lower.contains("<span class=\"link-unavailable\">the plan</span>"), "{lower}");
    assert!(lower.contains("<span class=\"image-unavailable\">a chart</span>"), "{lower}");
    let top = fs::read_to_string(output.join("strategic/open/linker/index.html")).unwrap();
    assert!(
        top.contains(&format!("<a href=\"/strategic/{S}-desk/plan-{S}/\">the plan</a>")),
        "{top}"
    );
    assert!(top.contains(&format!("href=\"/strategic/open/gated-{A}/#heading-{A}\"")), "{top}");
}

#[test]
fn previous_and_next_skip_pages_the_tier_cannot_see() {
    let site = site();
    let output = site.path().join("public");
    build_site(site.path(), &output);
    let first = fs::read_to_string(output.join("referral-network/open/first/index.html")).unwrap();
    assert!(first.contains("rel=\"next\" href=\"/referral-network/open/"), "{first}");
    assert!(!first.contains("gated-"), "{first}");
}

fn bare_site() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "partners.yaml", PROGRAM);
    write(dir.path(), "content/_index.md", "---\ntitle: Home\n---\n");
    write(dir.path(), "content/open/_index.md", "---\ntitle: Open\n---\n");
    dir
}

/// The single error a build of `root` stops on.
fn only_error(root: &Path) -> portico::diagnostic::Diagnostic {
    let options = BuildOptions {
        root: root.to_path_buf(),
        output: root.join("public"),
        tiers: vec![],
        base_url: None,
        drafts: false,
        allow_broken_links: false,
    };
    match build(&options) {
        Err(portico::build::BuildError::Invalid(mut problems)) if problems.len() == 1 => {
            problems.remove(0)
        }
        other => panic!("expected one error, got {other:?}"),
    }
}

#[test]
fn errors_on_front_matter_that_would_be_ignored() {
    let cases = [
        (
            "\n---\ntitle: T\ntier: strategic\n---\n",
            "front matter must start on the first line of the file",
        ),
        (
            "<!-- note -->\n---\ntitle: T\ntier: strategic\n---\n",
            "front matter must start on the first line of the file",
        ),
        ("+++\ntitle = \"T\"\ntier = \"strategic\"\n+++\n", "TOML front matter is not supported"),
        (
            "---\ntitle: T\nteir: strategic\n---\n",
            "unknown key `teir`: a misspelt `tier` would show this page to every tier",
        ),
        ("---\ntitle: T\ntier:\n---\n", "`tier` is empty"),
        (
            "---\ntitle: T\ntier: strategic\nTier: referral-network\n---\n",
            "duplicate key `tier` on lines 3 and 4 (keys ignore case)",
        ),
        (
            "---\ntitle: T\nextra:\n  tier: strategic\n---\n",
            "`tier` inside `extra` does not gate the page",
        ),
    ];
    for (text, message) in cases {
        let site = bare_site();
        write(site.path(), &format!("content/open/gated-{S}.md"), text);
        let error = only_error(site.path());
        assert_eq!(error.message, message, "for {text:?}");
        assert!(!site.path().join("public").exists(), "wrote output for {text:?}");
    }
}

#[test]
fn errors_on_a_slug_that_leaves_its_folder() {
    for slug in ["../../active/open/x", "/tmp/x", "a/b", "..", ""] {
        let site = bare_site();
        write(site.path(), "content/open/p.md", &format!("---\ntitle: P\nslug: \"{slug}\"\n---\n"));
        let error = only_error(site.path());
        assert_eq!(error.message, format!("`{slug}` is not a valid slug"));
        assert_eq!(error.location(), "content/open/p.md:3:7");
    }
}

#[test]
fn errors_on_markdown_files_with_another_extension() {
    let site = bare_site();
    write(site.path(), "content/open/upper.MD", "---\ntitle: U\ntier: strategic\n---\n");
    let error = only_error(site.path());
    assert_eq!(error.message, "markdown files must end in `.md`");
    assert_eq!(error.help.as_deref(), Some("rename it to `open/upper.md`"));
}

#[test]
fn files_in_a_folder_beside_a_gated_page_stay_with_it() {
    let site = bare_site();
    write(
        site.path(),
        &format!("content/open/plan-{S}.md"),
        &format!("---\ntitle: P\ntier: strategic\n---\n[deck](plan-{S}/deck.pdf)\n"),
    );
    write(site.path(), &format!("content/open/plan-{S}/deck.pdf"), &format!("%PDF {S}"));
    write(site.path(), &format!("content/open/plan-{S}.md.orig"), &format!("tier: strategic {S}"));
    build_site(site.path(), &site.path().join("public"));
    let output = site.path().join("public");
    assert!(output.join(format!("strategic/open/plan-{S}/deck.pdf")).is_file());
    assert_eq!(leaks(&output.join("active"), S), Vec::<String>::new());
    assert_eq!(leaks(&output.join("referral-network"), S), Vec::<String>::new());
}

#[test]
fn email_copy_text_names_no_gated_address() {
    let site = bare_site();
    write(
        site.path(),
        &format!("content/open/plan-{S}.md"),
        "---\ntitle: P\ntier: strategic\n---\n",
    );
    write(
        site.path(),
        "content/open/mail.md",
        &format!("---\ntitle: M\nsubject: Hi\n---\nSee [our plan](plan-{S}.md).\n"),
    );
    build_site(site.path(), &site.path().join("public"));
    let output = site.path().join("public");
    assert_eq!(leaks(&output.join("referral-network"), S), Vec::<String>::new());
    let top = fs::read_to_string(output.join("strategic/open/mail/index.html")).unwrap();
    assert!(
        top.contains(&format!("See our plan (https://portal.example/strategic/open/plan-{S}/).")),
        "{top}"
    );
}

/// Builds `files` into a fresh site and returns the errors, or `None` when it built.
fn errors_of(files: &[(&str, &str)]) -> Option<Vec<String>> {
    let site = bare_site();
    for (path, text) in files {
        write(site.path(), path, text);
    }
    let options = BuildOptions {
        root: site.path().to_path_buf(),
        output: site.path().join("public"),
        tiers: vec![],
        base_url: None,
        drafts: false,
        allow_broken_links: false,
    };
    match build(&options) {
        Ok(_) => {
            let output = site.path().join("public");
            for lower in ["active", "referral-network"] {
                assert_eq!(leaks(&output.join(lower), S), Vec::<String>::new(), "{files:?}");
            }
            None
        }
        Err(portico::build::BuildError::Invalid(problems)) => {
            Some(problems.iter().map(|p| p.message.clone()).collect())
        }
        Err(other) => panic!("{other}"),
    }
}

#[test]
fn a_folder_cannot_hold_the_files_of_two_owners() {
    let gated = format!("---\ntitle: Deal\ntier: strategic\nslug: room-{S}\n---\n");
    let bundle_and_page = errors_of(&[
        ("content/open/deal/index.md", &gated),
        (&format!("content/open/deal/contract-{S}.pdf"), S),
        ("content/open/deal.md", "---\ntitle: Public\n---\n"),
    ]);
    assert!(bundle_and_page.unwrap()[0].contains("belongs both to this page and to"));
    let section_and_page = errors_of(&[
        ("content/open/deal/_index.md", &gated),
        ("content/open/deal/terms.md", "---\ntitle: Terms\n---\n"),
        (&format!("content/open/deal/contract-{S}.pdf"), S),
        ("content/open/deal.md", "---\ntitle: Public\n---\n"),
    ]);
    assert!(section_and_page.unwrap()[0].contains("belongs both to this page and to"));
}

#[test]
fn errors_on_a_file_published_inside_a_stricter_page_folder() {
    let errors = errors_of(&[
        (&format!("content/open/Secret-{S}.md"), "---\ntitle: Secret\ntier: strategic\n---\n"),
        (&format!("content/open/secret-{S}/plan.pdf"), S),
    ])
    .unwrap();
    assert!(errors[0].contains("which fewer tiers may see"), "{errors:?}");
}

#[test]
fn leftover_copies_and_miscased_index_files_are_not_published() {
    let gated = format!("---\ntitle: Gated {S}\ntier: strategic\n---\n{S}\n");
    assert_eq!(errors_of(&[(&format!("content/open/p-{S}.md.save"), &gated)]), None);
    let miscased = errors_of(&[("content/vault/_Index.md", &gated)]).unwrap();
    assert_eq!(miscased, ["`_Index.md` is not read as `_index.md`"]);
}

#[test]
fn errors_on_a_tier_line_outside_recognised_front_matter() {
    for first in ["----", " ---", "\u{a0}---", "\u{200b}---"] {
        let text = format!("{first}\ntitle: T\ntier: strategic\n{first}\n{S}\n");
        let errors = errors_of(&[(&format!("content/open/odd-{S}.md"), &text)]);
        assert!(errors.is_some(), "published a file starting with {first:?}");
    }
}
