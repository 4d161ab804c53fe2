//! Real partner handbooks build into a portal: GitLab's and Sourcegraph's published partner,
//! channel and sales-enablement pages from `../shared/corpus/partner-handbook` (see its
//! `SOURCE.md`), each mounted as the `content/` of a site with `tests/fixtures/corpus/`'s
//! `partners.yaml`.
//!
//! The corpus is real-world input nobody wrote for portico: unknown front-matter keys, a
//! capitalised `Title`, links to pages outside the excerpt, files without front matter, an empty
//! file, a CRLF file and Marketo tokens that look like template syntax. The build must take all
//! of it, turning what it cannot use into warnings that name file and line.
//!
//! The corpus lives beside the repository, not in it. When it is absent these tests print why
//! they skip and pass, except under `CI=true`, where a missing corpus fails them.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Once, OnceLock};

use portico::build::{BuildOptions, BuildReport, build, load};
use portico::diagnostic::Severity;

const TOP_TIER: &str = "strategic";
const TIERS: [&str; 3] = ["strategic", "active", "referral-network"];

/// A corpus folder built as a portal's `content/`, kept for every test in this file.
struct Portal {
    root: PathBuf,
    output: PathBuf,
    report: BuildReport,
}

impl Portal {
    fn html(&self, tier: &str, site_path: &str) -> String {
        let file = self.output.join(tier).join(site_path).join("index.html");
        std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()))
    }

    /// The markdown files of the corpus folder, relative to it.
    fn markdown_files(&self) -> Vec<PathBuf> {
        let content = self.root.join("content");
        let mut files: Vec<PathBuf> = walkdir::WalkDir::new(&content)
            .into_iter()
            .map(|e| e.expect("the corpus is readable"))
            .filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "md"))
            .map(|e| e.path().strip_prefix(&content).expect("inside").to_path_buf())
            .collect();
        files.sort();
        files
    }
}

/// `../shared/corpus`, or `None` (after saying why, once) when it is absent outside CI.
fn corpus_dir() -> Option<PathBuf> {
    static SKIP_NOTICE: Once = Once::new();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if dir.is_dir() {
        return Some(dir);
    }
    let message = format!(
        "the real-world corpus `{}` is absent; check out the shared corpus beside the repository",
        dir.display()
    );
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{message} (CI=true, so this is a failure)");
    }
    // Straight to stderr: the test harness would swallow `eprintln!` from a passing test.
    SKIP_NOTICE.call_once(|| {
        let _ = writeln!(std::io::stderr(), "skipping the corpus tests: {message}");
    });
    None
}

/// Builds every tier of `corpus/<folder>` as a portal once per test run, under cargo's
/// per-target scratch folder so nothing is left in the system's temp folder.
fn portal(
    cell: &'static OnceLock<Option<Portal>>,
    name: &str,
    folder: &str,
) -> Option<&'static Portal> {
    cell.get_or_init(|| {
        let content = corpus_dir()?.join(folder);
        assert!(content.is_dir(), "the corpus has no `{}`", content.display());
        let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("corpus").join(name);
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).expect("the site folder");
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/corpus");
        std::fs::copy(fixture.join("partners.yaml"), root.join("partners.yaml"))
            .expect("the fixture program");
        link_content(&content, &root.join("content"));
        let output = root.join("public");
        let options = BuildOptions {
            root: root.clone(),
            output: output.clone(),
            tiers: Vec::new(),
            base_url: None,
            drafts: false,
            allow_broken_links: true,
        };
        let report = build(&options).unwrap_or_else(|e| panic!("`{folder}` does not build: {e}"));
        Some(Portal { root, output, report })
    })
    .as_ref()
}

#[cfg(unix)]
fn link_content(corpus: &Path, content: &Path) {
    std::os::unix::fs::symlink(corpus, content).expect("the content link");
}

#[cfg(not(unix))]
fn link_content(corpus: &Path, content: &Path) {
    for entry in walkdir::WalkDir::new(corpus) {
        let entry = entry.expect("the corpus is readable");
        let target = content.join(entry.path().strip_prefix(corpus).expect("inside"));
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).expect("a content folder");
        } else {
            std::fs::copy(entry.path(), &target).expect("a content file");
        }
    }
}

fn gitlab() -> Option<&'static Portal> {
    static CELL: OnceLock<Option<Portal>> = OnceLock::new();
    portal(&CELL, "gitlab", "partner-handbook/gitlab/content/handbook")
}

fn sourcegraph() -> Option<&'static Portal> {
    static CELL: OnceLock<Option<Portal>> = OnceLock::new();
    portal(&CELL, "sourcegraph", "partner-handbook/sourcegraph/content")
}

/// The text of the first `<h1>` of a page: the page header's, which shows the page's title.
fn first_h1(html: &str) -> &str {
    let start = html.find("<h1").expect("the page has an <h1>");
    let open_end = start + html[start..].find('>').expect("a closed tag") + 1;
    let close = open_end + html[open_end..].find("</h1>").expect("a closing </h1>");
    &html[open_end..close]
}

/// Every markdown file is a page or a section page in the top tier, except drafts, which are in
/// no tier. Counts the files both ways, so a file the model silently dropped shows up.
fn assert_every_file_is_a_page(portal: &Portal, expected: (usize, usize, usize)) {
    let files = portal.markdown_files();
    let model = load(&portal.root, false).unwrap_or_else(|e| panic!("the corpus loads: {e}"));
    let pages: Vec<(&Path, &str, bool)> = model
        .site
        .pages
        .iter()
        .map(|p| (p.file.as_path(), p.path.as_str(), p.meta.draft))
        .collect();
    let sections: Vec<(&Path, &str, bool)> = model
        .site
        .sections
        .iter()
        .filter_map(|s| Some((s.file.as_deref()?, s.path.as_str(), s.meta.draft)))
        .collect();
    let drafts = pages.iter().chain(&sections).filter(|(_, _, draft)| *draft).count();
    assert_eq!(
        (files.len(), sections.len(), drafts),
        expected,
        "(markdown files, files that became section pages, drafts) in the corpus"
    );
    let mut built: Vec<&Path> = pages.iter().chain(&sections).map(|(file, _, _)| *file).collect();
    built.sort();
    assert_eq!(built, files, "every markdown file becomes exactly one page or section");
    for (file, path, draft) in pages.iter().chain(&sections) {
        for tier in TIERS {
            let index = portal.output.join(tier).join(path).join("index.html");
            // The corpus gates nothing, so what the top tier has, every tier has.
            assert_eq!(
                index.is_file(),
                !draft,
                "`content/{}` should {}produce `{tier}/{path}index.html`",
                file.display(),
                if *draft { "not " } else { "" }
            );
        }
    }
    let listed = pages.len() - pages.iter().filter(|(_, _, draft)| *draft).count();
    for (tier, count) in &portal.report.tiers {
        assert_eq!(*count, listed, "`{tier}` should list every page that is not a draft");
    }
}

/// Every warning names a corpus file and a line in it, so an author can find the problem.
fn assert_warnings_point_at_lines(portal: &Portal) {
    assert!(!portal.report.warnings.is_empty(), "real-world content raises some warnings");
    for warning in &portal.report.warnings {
        assert_eq!(warning.severity, Severity::Warning, "{warning}");
        assert!(portal.root.join(&warning.path).is_file(), "names no corpus file: {warning}");
        assert!(warning.position.is_some_and(|p| p.line >= 1), "names no line: {warning}");
    }
}

#[test]
fn gitlab_handbook_builds_every_file_into_a_page() {
    let Some(portal) = gitlab() else { return };
    // 136 files: 37 `_index.md` section pages, 99 pages, of which one is `draft: true`.
    assert_every_file_is_a_page(portal, (136, 37, 1));
}

#[test]
fn gitlab_handbook_problems_are_warnings_with_lines() {
    let Some(portal) = gitlab() else { return };
    assert_warnings_point_at_lines(portal);
    let messages: Vec<&str> = portal.report.warnings.iter().map(|w| w.message.as_str()).collect();
    assert!(messages.contains(&"`Title` is read as `title`"), "the capitalised key is noticed");
    assert!(messages.contains(&"unknown front-matter key `twitter_image`"));
    assert!(messages.iter().any(|m| m.starts_with("link to `/handbook/")), "dangling links");
    let enablement = portal.html(TOP_TIER, "sales/training/sales-enablement-sessions/enablement/");
    assert_eq!(first_h1(&enablement), "Enablement", "`Title:` still gives the title");
}

#[test]
fn marketo_tokens_are_shown_as_written() {
    let Some(portal) = gitlab() else { return };
    let source =
        std::fs::read_to_string(portal.root.join("content/marketing/channel-marketing/_index.md"))
            .expect("the channel-marketing page");
    let html = portal.html(TOP_TIER, "marketing/channel-marketing/");
    for token in ["{{my.Partner Name}}", "{{my.event name}}", "{{my.event date}}"] {
        assert_eq!(
            html.matches(token).count(),
            source.matches(token).count(),
            "`{token}` should appear in the page exactly as often as in its source"
        );
    }
    assert!(html.contains("<code>{{my.Partner Name}}</code>"), "the token in a code span");
    assert!(html.contains("ALLIANCE LEAD with {{my.Partner Name}} visited Booth at"));
}

#[test]
fn crlf_section_page_builds_like_any_other() {
    let Some(portal) = gitlab() else { return };
    let source = std::fs::read_to_string(
        portal.root.join("content/sales/field-operations/channel-operations/_index.md"),
    )
    .expect("the CRLF page");
    assert!(source.starts_with("---\r\ntitle:"), "the corpus file should still be CRLF");
    let html = portal.html(TOP_TIER, "sales/field-operations/channel-operations/");
    assert_eq!(first_h1(&html), "Ecosystem Operations", "the title comes from CRLF front matter");
    assert!(!html.contains("title: \"Ecosystem Operations\""), "no front matter in the body");
    assert!(!html.contains('\r'), "no carriage returns reach the HTML");
    let headings = source.lines().filter(|l| l.starts_with("## ")).count();
    let rendered = html.matches("<h2 id=").count();
    assert!(rendered >= headings, "{rendered} of {headings} `##` headings rendered");
}

#[test]
fn sourcegraph_handbook_builds_every_file_into_a_page() {
    let Some(portal) = sourcegraph() else { return };
    // 10 files: three folders' `index.md` become their section pages; no drafts.
    assert_every_file_is_a_page(portal, (10, 3, 0));
    assert_warnings_point_at_lines(portal);
}

#[test]
fn pages_without_front_matter_take_their_first_heading_as_title() {
    let Some(portal) = sourcegraph() else { return };
    for (path, title) in [
        (
            "departments/sales/tools/referral-and-reseller-policy/",
            "Referral and Reseller Program Summaries",
        ),
        // The first heading counts even when it is not a level-1 heading.
        ("departments/sales/tools/gcp-marketplace-guidance/", "GCP Marketplace"),
        // A folder's `index.md` names its section.
        ("departments/sales/tools/", "Sales Tools &amp; Resources"),
    ] {
        let html = portal.html(TOP_TIER, path);
        assert_eq!(first_h1(&html), title, "{path}");
        assert!(html.contains(&format!("<title>{title} · ")), "{path}: the title in <title>");
    }
}

#[test]
fn empty_file_renders_with_its_file_name_as_title() {
    let Some(portal) = sourcegraph() else { return };
    let source =
        portal.root.join("content/departments/sales/sales-enablement/contentmanagement.md");
    assert_eq!(std::fs::metadata(source).expect("the empty file").len(), 0);
    for tier in TIERS {
        let html = portal.html(tier, "departments/sales/sales-enablement/contentmanagement/");
        assert_eq!(first_h1(&html), "Contentmanagement", "{tier}");
        assert!(html.trim_end().ends_with("</html>"), "{tier}: a whole page");
    }
}

#[test]
fn broken_link_in_a_heading_is_reported_on_the_heading_line() {
    let Some(portal) = sourcegraph() else { return };
    let file = Path::new("content/departments/sales/tools/common_customer_questions.md");
    let lines: Vec<usize> = portal
        .report
        .warnings
        .iter()
        .filter(|w| w.path == file && w.message.contains("messaging.md#sourcegraph-value"))
        .filter_map(|w| w.position.map(|p| p.line))
        .collect();
    // Line 9 is `## [What is Sourcegraph?](../../marketing/process/messaging.md#…)`.
    assert_eq!(lines, [9, 11], "warnings for the heading's link and the paragraph's");
}

/// Findings of `check` on a corpus portal, counted by kind and severity.
fn check_counts(portal: &Portal) -> (String, std::collections::BTreeMap<String, usize>) {
    let options = portico::check::CheckOptions {
        root: portal.root.clone(),
        tiers: Vec::new(),
        drafts: false,
        external: None,
    };
    let report = portico::check::check(&options);
    let json = serde_json::to_string(&report.findings).expect("findings serialize");
    let mut counts = std::collections::BTreeMap::new();
    for finding in &report.findings {
        *counts.entry(format!("{} ({})", finding.kind, finding.severity)).or_insert(0) += 1;
    }
    (json, counts)
}

#[test]
fn handbook_check_runs_to_completion_with_the_same_findings_each_time() {
    for (name, portal) in [("gitlab", gitlab()), ("sourcegraph", sourcegraph())] {
        let Some(portal) = portal else { return };
        let (first, counts) = check_counts(portal);
        let (second, _) = check_counts(portal);
        assert_eq!(first, second, "`check` findings of {name} differ between runs");
        insta::assert_debug_snapshot!(format!("check_counts_{name}"), counts);
    }
}
