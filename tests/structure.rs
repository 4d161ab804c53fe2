//! How content maps onto each tier's files: tag pages, sections without pages, templates, and
//! clashes between files that want one path.

use crate::common::Site;
use portico::build::BuildError;
use portico::render::RenderError;

#[test]
fn tags_that_make_the_same_slug_share_one_page() {
    let site = Site::new()
        .file("content/a.md", "---\ntitle: Alpha\ntags: [C++]\n---\n")
        .file("content/b.md", "---\ntitle: Beta\ntags: [c]\n---\n");
    site.build_ok();
    let tag = site.read_output("referral-network/tags/c/index.html");
    assert!(tag.contains("Alpha") && tag.contains("Beta"), "{tag}");
}

#[test]
fn a_section_with_an_index_but_no_pages_is_reachable_with_working_breadcrumbs() {
    let site = Site::new().file("content/a/b/_index.md", "---\ntitle: Deep\n---\nIntro.\n");
    site.build_ok();
    let deep = site.read_output("referral-network/a/b/index.html");
    assert!(deep.contains("href=\"/referral-network/a/\""), "{deep}");
    let parent = site.read_output("referral-network/a/index.html");
    assert!(parent.contains("href=\"/referral-network/a/b/\""), "{parent}");
}

#[test]
fn the_home_page_honours_its_template() {
    let site = Site::new()
        .file("content/_index.md", "---\ntitle: Home\ntemplate: section.html\n---\n")
        .file("content/x.md", "---\ntitle: X\n---\n");
    site.build_ok();
    let home = site.read_output("referral-network/index.html");
    assert!(home.contains("<ul class=\"listing\">"), "{home}");
}

#[test]
fn errors_when_a_page_and_a_generated_file_want_one_path_and_writes_nothing() {
    let site = Site::new().file("content/x.md", "---\ntitle: X\nslug: sitemap.xml\n---\n");
    let error = site.build().unwrap_err();
    let BuildError::Render(RenderError::Conflict { path, .. }) = &error else { panic!("{error}") };
    assert_eq!(path, "sitemap.xml");
    assert!(!site.output().exists());
}

#[test]
fn errors_when_a_bundle_file_would_replace_its_page() {
    let site = Site::new()
        .file("content/guide/index.md", "---\ntitle: Guide\n---\n")
        .file("content/guide/index.html", "<p>hand-made</p>");
    let error = site.build().unwrap_err();
    let BuildError::Render(RenderError::Conflict { path, .. }) = &error else { panic!("{error}") };
    assert_eq!(path, "guide/index.html");
}

#[test]
fn errors_on_a_response_time_too_large_to_count() {
    let yaml = "program:\n  name: P\n  base_url: https://p.example/\n  contact: a@p.example\n  \
                response_sla: 999999999d\ntiers:\n  - id: gold\n    name: Gold\n";
    let problems = Site::with_partners(yaml).build_err();
    assert_eq!(problems[0].message, "`999999999d` is not a duration");
}

#[test]
fn reports_a_misnamed_markdown_file_together_with_other_bad_files() {
    let site = Site::new()
        .file("content/a.MD", "---\ntitle: A\n---\n")
        .file("content/c.md", "---\ntitle: C\ntier: nope\n---\n");
    let problems = site.build_err();
    let locations: Vec<String> = problems.iter().map(|p| p.location()).collect();
    assert_eq!(locations, ["content/a.MD", "content/c.md:3:7"]);
}

#[test]
fn errors_when_two_pages_differ_only_in_case() {
    let site = Site::new()
        .file("content/guide.md", "---\ntitle: Lower\n---\n")
        .file("content/other.md", "---\ntitle: Upper\nslug: Guide\n---\n");
    let error = site.build().unwrap_err();
    let BuildError::Render(RenderError::Conflict { .. }) = &error else { panic!("{error}") };
    assert!(!site.output().exists());
}
