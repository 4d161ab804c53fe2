//! Front matter and `partners.yaml` as a user writes them: byte order marks, Windows line
//! endings, YAML 1.1 booleans, typos and broken fences. Every problem must name the file and
//! the line and column in the whole file, and say what to do.

use crate::common::{PARTNERS_YAML, Site, list};
use portico::diagnostic::{Diagnostic, Severity};
use serde_json::json;

/// The only problem the build reports.
fn only_problem(site: &Site) -> Diagnostic {
    let problems = site.build_err();
    assert_eq!(problems.len(), 1, "expected one problem, got:\n{}", list(&problems));
    problems.into_iter().next().unwrap()
}

/// Asserts a diagnostic's `path:line:col`, message and help.
#[track_caller]
fn assert_diagnostic(d: &Diagnostic, location: &str, message: &str, help: Option<&str>) {
    assert_eq!((d.location().as_str(), d.message.as_str()), (location, message), "\n{d}");
    assert_eq!(d.help.as_deref(), help, "\n{d}");
}

/// The titles of the pages `content/` yields, by file.
fn page_titles(site: &Site) -> Vec<(String, String)> {
    let model = portico::build::load(site.root(), false).expect("the site loads");
    model.site.pages.iter().map(|p| (p.file.display().to_string(), p.title.clone())).collect()
}

const BOM: &str = "\u{feff}";

#[test]
fn can_build_a_file_that_starts_with_a_byte_order_mark() {
    let site = Site::new().file("content/bom.md", format!("{BOM}---\ntitle: Marked\n---\nBody\n"));
    site.build_ok();
    assert_eq!(page_titles(&site), [("bom.md".to_string(), "Marked".to_string())]);
}

#[test]
fn errors_after_a_byte_order_mark_point_at_the_file_line_and_column() {
    let text = format!("{BOM}---\ntitle: Marked\ndraft: maybe\n---\nBody\n");
    let site = Site::new().file("content/bom.md", text);
    let problem = only_problem(&site);
    assert_diagnostic(
        &problem,
        "content/bom.md:3:8",
        "`draft` must be `true` or `false`, found `maybe`",
        Some("write `draft: true` or `draft: false`"),
    );
    assert_eq!(problem.source_line.as_deref(), Some("draft: maybe"));
}

#[test]
fn can_build_files_with_crlf_and_mixed_line_endings() {
    let site = Site::new()
        .file("content/crlf.md", "---\r\ntitle: Windows\r\nweight: 1\r\n---\r\nBody\r\n")
        .file("content/mixed.md", "---\ntitle: Mixed\r\nweight: 2\n---\r\nBody\n");
    site.build_ok();
    assert_eq!(
        page_titles(&site),
        [("crlf.md".to_string(), "Windows".to_string()), ("mixed.md".into(), "Mixed".into())]
    );
    let html = site.read_output("referral-network/crlf/index.html");
    assert!(html.contains("<h1>Windows</h1>"), "{html}");
}

#[test]
fn errors_in_crlf_front_matter_point_at_the_file_line() {
    let site = Site::new()
        .file("content/crlf.md", "---\r\ntitle: Windows\r\n\r\nweight: heavy\r\n---\r\nBody\r\n");
    let problem = only_problem(&site);
    assert_diagnostic(
        &problem,
        "content/crlf.md:4:9",
        "`weight` must be a whole number, found `heavy`",
        None,
    );
    assert_eq!(problem.source_line.as_deref(), Some("weight: heavy"));
}

#[test]
fn errors_in_mixed_line_endings_point_at_the_file_line() {
    let site = Site::new()
        .file("content/mixed.md", "---\ntitle: Mixed\r\ndate: 2024-13-45\n---\r\nBody\n");
    assert_diagnostic(
        &only_problem(&site),
        "content/mixed.md:3:7",
        "`date` `2024-13-45` is not a date",
        Some("write the date as YYYY-MM-DD, or YYYY-MM-DDTHH:MM:SSZ with a time"),
    );
}

#[test]
fn errors_on_duplicate_front_matter_key() {
    let site = Site::new()
        .file("content/twice.md", "---\ntitle: First\ndescription: d\ntitle: Second\n---\n");
    assert_diagnostic(
        &only_problem(&site),
        "content/twice.md:4:1",
        "duplicate key `title` on lines 2 and 4",
        Some("keep one `title` entry and delete the other"),
    );
}

#[test]
fn errors_on_duplicate_front_matter_key_after_bom_and_crlf() {
    let text = format!("{BOM}---\r\ntitle: First\r\ntags: [a]\r\ntags: [b]\r\n---\r\n");
    let site = Site::new().file("content/twice.md", text);
    assert_diagnostic(
        &only_problem(&site),
        "content/twice.md:4:1",
        "duplicate key `tags` on lines 3 and 4",
        Some("keep one `tags` entry and delete the other"),
    );
}

#[test]
fn keeps_yes_no_and_on_as_text_in_free_form_fields() {
    let text = "---\ntitle: Norway\nextra:\n  country: NO\n  answer: N\n  agreed: yes\n  \
                switch: on\nregion: NO\n---\nBody\n";
    let site = Site::new().file("content/norway.md", text);
    let warnings = site.build_ok();
    let model = portico::build::load(site.root(), false).unwrap();
    let extra = serde_json::Value::Object(model.site.pages[0].meta.extra.clone());
    let expected = json!({"country": "NO", "answer": "N", "agreed": "yes", "switch": "on",
        "region": "NO"});
    assert_eq!(extra, expected);
    assert_eq!(warnings.len(), 1, "{}", list(&warnings));
    assert_eq!(warnings[0].severity, Severity::Warning);
    assert_diagnostic(
        &warnings[0],
        "content/norway.md:8:1",
        "unknown front-matter key `region`",
        Some("it is kept under `extra`; move it there to silence this warning"),
    );
}

#[test]
fn warns_on_misspelled_front_matter_key_with_hint() {
    let site = Site::new().file("content/typo.md", "---\ntitle: Typo\ntitel: yes\n---\n");
    let warnings = site.build_ok();
    assert_eq!(warnings.len(), 1, "{}", list(&warnings));
    assert_eq!(warnings[0].severity, Severity::Warning);
    assert_diagnostic(
        &warnings[0],
        "content/typo.md:3:1",
        "unknown front-matter key `titel`",
        Some("did you mean `title`?"),
    );
    let model = portico::build::load(site.root(), false).unwrap();
    assert_eq!(model.site.pages[0].meta.extra["titel"], "yes");
}

#[test]
fn errors_on_yes_as_draft() {
    let site = Site::new().file("content/draft.md", "---\ntitle: Draft\ndraft: yes\n---\n");
    assert_diagnostic(
        &only_problem(&site),
        "content/draft.md:3:8",
        "`draft` must be `true` or `false`, found `yes`",
        Some("write `draft: true` or `draft: false`"),
    );
}

#[test]
fn errors_on_unclosed_front_matter() {
    let site = Site::new().file("content/open.md", "---\ntitle: Open\n\n# Body\n");
    assert_diagnostic(
        &only_problem(&site),
        "content/open.md:1:1",
        "front matter is never closed",
        Some("add a line with just `---` after the last front-matter line"),
    );
}

#[test]
fn errors_on_missing_opening_fence() {
    let site = Site::new().file("content/closed.md", "title: x\ntier: active\n---\n# Body\n");
    assert_diagnostic(
        &only_problem(&site),
        "content/closed.md:1:1",
        "front matter has no opening `---`",
        Some("add a line with just `---` before the first front-matter line"),
    );
}

#[test]
fn errors_on_front_matter_without_title() {
    let site = Site::new().file("content/untitled.md", "---\ndescription: d\n---\n# Heading\n");
    assert_diagnostic(
        &only_problem(&site),
        "content/untitled.md:1:1",
        "front matter has no `title`",
        Some("add a line such as `title: Referral etiquette` to the front matter"),
    );
}

#[test]
fn errors_on_misspelled_title_key_pointing_at_it() {
    let site = Site::new().file("content/typo.md", "---\ndescription: d\ntitel: Hello\n---\n");
    assert_diagnostic(
        &only_problem(&site),
        "content/typo.md:3:1",
        "front matter has no `title`",
        Some("rename `titel` to `title`"),
    );
}

#[test]
fn can_take_title_from_first_heading_without_front_matter() {
    let site =
        Site::new().file("content/plain.md", "Intro.\n\n## Joint *pitch* guide\n\n# Later\n");
    site.build_ok();
    let html = site.read_output("referral-network/plain/index.html");
    assert!(html.contains("<title>Joint pitch guide · Referral Network</title>"), "{html}");
    assert!(html.contains("<h1>Joint pitch guide</h1>"), "{html}");
}

#[test]
fn a_leading_heading_that_becomes_the_title_is_shown_once() {
    let site = Site::new().file("content/plain.md", "# Referral policy\n\nBody text.\n");
    site.build_ok();
    let html = site.read_output("referral-network/plain/index.html");
    assert_eq!(html.matches("Referral policy</h1>").count(), 1, "{html}");
    assert!(html.contains("<p>Body text.</p>"), "{html}");
}

#[test]
fn can_take_title_from_file_name_without_front_matter_or_heading() {
    let site = Site::new().file("content/co-selling_basics.md", "Just text.\n");
    site.build_ok();
    let html = site.read_output("referral-network/co-selling-basics/index.html");
    assert!(html.contains("<title>Co Selling Basics · Referral Network</title>"), "{html}");
    assert!(html.contains("<h1>Co Selling Basics</h1>"), "{html}");
}

#[test]
fn errors_on_unknown_tier_with_hint() {
    let site = Site::new().file("content/gated.md", "---\ntitle: Gated\ntier: activ\n---\n");
    assert_diagnostic(
        &only_problem(&site),
        "content/gated.md:3:7",
        "unknown tier `activ`",
        Some("did you mean `active`?"),
    );
}

#[test]
fn errors_when_a_page_loosens_its_section_tier() {
    let site = Site::new()
        .file("content/playbooks/_index.md", "---\ntitle: Playbooks\ntier: active\n---\n")
        .file(
            "content/playbooks/open.md",
            "---\ntitle: Open\ndescription: d\ntier: referral-network\n---\n",
        );
    assert_diagnostic(
        &only_problem(&site),
        "content/playbooks/open.md:4:7",
        "this `tier` is looser than its section's: a page cannot loosen its section's tier",
        Some("remove the `tier` line, or name the section's tier or a higher one"),
    );
}

#[test]
fn errors_on_file_that_is_not_utf8() {
    let site =
        Site::new().file("content/latin1.md", b"---\ntitle: Caf\xe9 notes\n---\n".as_slice());
    assert_diagnostic(
        &only_problem(&site),
        "content/latin1.md:2:11",
        "the file is not valid UTF-8",
        Some("save the file with UTF-8 encoding"),
    );
}

#[test]
fn errors_on_file_that_is_not_utf8_after_a_byte_order_mark() {
    let site = Site::new().file("content/latin1.md", b"\xef\xbb\xbf\xe9---\ntitle: x\n---\n");
    assert_diagnostic(
        &only_problem(&site),
        "content/latin1.md:1:1",
        "the file is not valid UTF-8",
        Some("save the file with UTF-8 encoding"),
    );
}

#[test]
fn errors_on_value_with_colon_suggest_quotes() {
    let site = Site::new().file("content/colon.md", "---\ntitle: Note: read me\n---\n");
    assert_diagnostic(
        &only_problem(&site),
        "content/colon.md:2:12",
        "mapping values are not allowed in this context",
        Some("put quotes around a value that contains `: `"),
    );
}

#[test]
fn errors_on_over_indented_key_say_so() {
    let site = Site::new().file("content/indent.md", "---\ntitle: x\n  tier: active\n---\n");
    assert_diagnostic(
        &only_problem(&site),
        "content/indent.md:3:7",
        "mapping values are not allowed in this context",
        Some("this key is indented further than the keys above it; line it up with them"),
    );
}

#[test]
fn errors_on_tab_indentation_point_at_the_tab() {
    let site = Site::new().file("content/tab.md", "---\r\ntitle: x\r\n\tdescription: d\r\n---\r\n");
    assert_diagnostic(
        &only_problem(&site),
        "content/tab.md:3:1",
        "while scanning a plain scalar, found a tab",
        Some("YAML indents with spaces only; replace the tabs with spaces"),
    );
}

#[test]
fn reports_every_bad_file_and_leaves_previous_output_untouched() {
    let site = Site::new()
        .file("content/a.md", "---\ntitle: A\n---\n")
        .file("content/b.md", "---\ntitle: B\n---\n")
        .file("content/c/_index.md", "---\ntitle: C\ntier: active\n---\n")
        .file("content/c/d.md", "---\ntitle: D\n---\n");
    let first = site.run();
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    let before = site.output_tree();
    assert!(before.keys().any(|p| p.ends_with("a/index.html")));

    site.write("content/a.md", "---\ntitle: A\ndraft: yes\n---\n");
    site.write("content/b.md", "---\ntitle: B\ntitle: B again\n---\n");
    site.write("content/c/d.md", "---\ntitle: D\ntier: referral-network\n---\n");
    let second = site.run();
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(!second.status.success(), "{stderr}");
    for location in ["content/a.md:3:8", "content/b.md:3:1", "content/c/d.md:3:7"] {
        assert!(stderr.contains(location), "`{location}` missing from:\n{stderr}");
    }
    assert!(stderr.contains("the build stopped on 3 errors; nothing was written"), "{stderr}");
    assert_eq!(site.output_tree(), before, "the previous output changed");
}

#[test]
fn errors_on_unknown_partners_key_with_hint() {
    let site = Site::with_partners(&PARTNERS_YAML.replace("  contact:", "  contcat:"));
    assert_diagnostic(
        &only_problem(&site),
        "partners.yaml:4:3",
        "unknown key `contcat`",
        Some("did you mean `contact`?"),
    );
}

#[test]
fn errors_on_unknown_partners_key_listing_the_allowed_keys() {
    let site = Site::with_partners(&PARTNERS_YAML.replace("    name: Active", "    color: red"));
    assert_diagnostic(
        &only_problem(&site),
        "partners.yaml:9:5",
        "unknown key `color`",
        Some(
            "remove `color`; the keys allowed here are: id, name, benefits, review, commission, \
             commission_starts_at, support, move_up, base_url",
        ),
    );
}

#[test]
fn errors_on_duplicate_key_in_a_partner_entry() {
    let partner = "  - id: northwind\n    firm: Northwind\n    id: southwind\n    tier: active\n";
    let site = Site::with_partners(&format!("{PARTNERS_YAML}partners:\n{partner}"));
    assert_diagnostic(
        &only_problem(&site),
        "partners.yaml:15:5",
        "duplicate key `id` on lines 13 and 15",
        Some("keep one `id` entry and delete the other"),
    );
}

#[test]
fn errors_on_partners_file_that_is_not_utf8() {
    let mut bytes = PARTNERS_YAML.as_bytes().to_vec();
    bytes[PARTNERS_YAML.find("Active").unwrap()] = 0xc4;
    let site = Site::new().file("partners.yaml", bytes);
    assert_diagnostic(
        &only_problem(&site),
        "partners.yaml:9:11",
        "the file is not valid UTF-8",
        Some("save the file with UTF-8 encoding"),
    );
}

#[test]
fn errors_on_unknown_partner_tier_with_hint() {
    let partners = "partners:\n  - id: northwind\n    firm: Northwind\n    tier: strategc\n";
    let site = Site::with_partners(&format!("{PARTNERS_YAML}{partners}"));
    assert_diagnostic(
        &only_problem(&site),
        "partners.yaml:15:11",
        "unknown tier `strategc`",
        Some("did you mean `strategic`?"),
    );
}

#[test]
fn errors_on_duplicate_partner_id() {
    let partner = "  - id: northwind\n    firm: Northwind\n    tier: active\n";
    let site = Site::with_partners(&format!("{PARTNERS_YAML}partners:\n{partner}{partner}"));
    assert_diagnostic(
        &only_problem(&site),
        "partners.yaml:16:9",
        "duplicate partner id `northwind` (first used on line 13)",
        Some("give each partner its own id"),
    );
}

#[test]
fn errors_on_an_updated_that_is_not_a_date() {
    let site = Site::new().file("content/p.md", "---\ntitle: P\nupdated: soon\n---\n");
    assert_diagnostic(
        &only_problem(&site),
        "content/p.md:3:10",
        "`updated` `soon` is not a date",
        Some("write the date as YYYY-MM-DD, or YYYY-MM-DDTHH:MM:SSZ with a time"),
    );
}

#[test]
fn errors_on_an_updated_before_the_date() {
    let site = Site::new()
        .file("content/p.md", "---\ntitle: P\nupdated: 2026-01-01\ndate: 2026-02-01\n---\n");
    assert_diagnostic(
        &only_problem(&site),
        "content/p.md:3:10",
        "`updated` (2026-01-01) is earlier than `date` (2026-02-01)",
        Some("`updated` is when the page last changed: make it `date` or later"),
    );
}
