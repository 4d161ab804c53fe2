//! `aliases:` in front matter: a redirect page at each old URL, in exactly the tiers that can
//! see the page, and errors with `path:line:col` for aliases that are not site paths or that
//! take a URL something else has.

use crate::common::{Site, list};
use portico::build::BuildError;
use portico::diagnostic::Diagnostic;

/// The only problem the build reports.
fn only_problem(site: &Site) -> Diagnostic {
    let problems = site.build_err();
    assert_eq!(problems.len(), 1, "expected one problem, got:\n{}", list(&problems));
    problems.into_iter().next().unwrap()
}

#[track_caller]
fn assert_problem(site: &Site, location: &str, message: &str) {
    let problem = only_problem(site);
    assert_eq!((problem.location().as_str(), problem.message.as_str()), (location, message));
    assert!(problem.help.is_some(), "no help: {problem}");
}

fn gated_site() -> Site {
    Site::new()
        .file("content/guides/_index.md", "---\ntitle: Guides\naliases: [/handbook/]\n---\n")
        .file(
            "content/guides/pricing.md",
            "---\ntitle: Pricing & terms\ntier: active\naliases: [/old/pricing/, legacy/price-list]\n---\nP\n",
        )
        .file("content/guides/open.md", "---\ntitle: Open\naliases:\n  - /old/open/\n---\nO\n")
}

#[test]
fn alias_redirects_in_the_tiers_that_see_the_page() {
    let site = gated_site();
    site.build_ok();
    for tier in ["strategic", "active"] {
        let page = site.read_output(&format!("{tier}/old/pricing/index.html"));
        let url = format!("/{tier}/guides/pricing/");
        assert!(page.contains(&format!("<meta http-equiv=\"refresh\" content=\"0; url={url}\">")));
        assert!(page.contains(&format!(
            "<link rel=\"canonical\" href=\"https://partners.example.com{url}\">"
        )));
        assert!(page.contains(&format!("<a href=\"{url}\">Pricing &amp; terms</a>")), "{page}");
        assert!(page.contains("<meta name=\"robots\" content=\"noindex\">"));
        assert!(site.output().join(tier).join("legacy/price-list/index.html").is_file());
    }
    let network = site.output().join("referral-network");
    assert!(!network.join("old/pricing").exists(), "a redirect to a page the tier cannot see");
    assert!(!network.join("legacy").exists());
    let open = site.read_output("referral-network/old/open/index.html");
    assert!(open.contains("url=/referral-network/guides/open/"), "{open}");
    let section = site.read_output("referral-network/handbook/index.html");
    assert!(section.contains("url=/referral-network/guides/"), "{section}");
}

#[test]
fn aliases_are_not_listed_anywhere() {
    let site = gated_site();
    site.build_ok();
    let sitemap = site.read_output("strategic/sitemap.xml");
    assert!(!sitemap.contains("/old/") && !sitemap.contains("/handbook/"), "{sitemap}");
    for listing in ["strategic/index.html", "strategic/guides/index.html"] {
        let html = site.read_output(listing);
        assert!(!html.contains("/old/") && !html.contains("/handbook/"), "{listing}: {html}");
    }
}

#[test]
fn errors_on_aliases_that_are_not_site_paths() {
    let cases = [
        (
            "aliases: [/ok/, \"https://a.example/x\"]",
            "3:17",
            "`https://a.example/x` is a full address, not a site path",
        ),
        ("aliases: [//a.example/x]", "3:11", "`//a.example/x` is a full address, not a site path"),
        ("aliases: [/a/../b/]", "3:11", "`/a/../b/` has a `.` or `..` segment"),
        ("aliases: \"\"", "3:10", "an alias must name a path below the site root"),
        ("aliases: [/]", "3:11", "an alias must name a path below the site root"),
        (
            "aliases: [/a?page=2]",
            "3:11",
            "`/a?page=2` has a query or fragment, which an alias cannot",
        ),
        ("aliases: [/a#top]", "3:11", "`/a#top` has a query or fragment, which an alias cannot"),
        (
            "aliases:\n  - /fine/\n  - /has space/",
            "5:5",
            "`/has space/` has the character ` `, which an alias cannot",
        ),
        ("aliases: [/fine/, '/a/./b']", "3:19", "`/a/./b` has a `.` or `..` segment"),
    ];
    for (line, location, message) in cases {
        let site = Site::new().file("content/p.md", format!("---\ntitle: P\n{line}\n---\n"));
        assert_problem(&site, &format!("content/p.md:{location}"), message);
    }
}

#[test]
fn errors_on_an_alias_that_takes_a_page_or_section_url() {
    let site = Site::new()
        .file("content/guides/_index.md", "---\ntitle: Guides\n---\n")
        .file("content/guides/a.md", "---\ntitle: A\n---\n")
        .file("content/b.md", "---\ntitle: B\naliases: [/x/, /Guides/A/]\n---\n");
    assert_problem(
        &site,
        "content/b.md:3:16",
        "the alias `/Guides/A/` is the URL of `content/guides/a.md`",
    );
    let site = Site::new()
        .file("content/guides/a.md", "---\ntitle: A\n---\n")
        .file("content/b.md", "---\ntitle: B\naliases: [guides]\n---\n");
    assert_problem(
        &site,
        "content/b.md:3:11",
        "the alias `/guides/` is the URL of `content/guides`",
    );
    let site = Site::new().file("content/b.md", "---\ntitle: B\naliases: [/b/]\n---\n");
    assert_problem(&site, "content/b.md:3:11", "the alias `/b/` is this file's own URL");
}

#[test]
fn errors_on_an_alias_that_another_page_has_too() {
    let site = Site::new()
        .file("content/a.md", "---\ntitle: A\naliases: [/old/]\n---\n")
        .file("content/b.md", "---\ntitle: B\n\naliases: [old]\n---\n");
    assert_problem(
        &site,
        "content/b.md:4:11",
        "the alias `/old/` is also an alias of `content/a.md` (line 3)",
    );
    let site = Site::new().file("content/a.md", "---\ntitle: A\naliases: [/old/, old/]\n---\n");
    assert_problem(
        &site,
        "content/a.md:3:18",
        "the alias `/old/` is listed twice (first on line 3)",
    );
}

#[test]
fn errors_on_an_alias_in_a_folder_the_build_fills() {
    let cases = [
        ("/tags/old/", "the alias `/tags/old/` is inside `/tags/`, taken by the tag pages"),
        (
            "/referral-received/",
            "the alias `/referral-received/` is inside `/referral-received/`, taken by the page shown after a referral is sent",
        ),
        ("/feed.xml/", "the alias `/feed.xml/` needs a folder where the build writes `feed.xml`"),
    ];
    for (alias, message) in cases {
        let site =
            Site::new().file("content/a.md", format!("---\ntitle: A\naliases: [{alias}]\n---\n"));
        assert_problem(&site, "content/a.md:3:11", message);
    }
}

#[test]
fn errors_on_an_alias_inside_a_folder_fewer_tiers_see() {
    let site = Site::new()
        .file("content/desk/_index.md", "---\ntitle: Desk\ntier: strategic\n---\n")
        .file("content/desk/plan.md", "---\ntitle: Plan\n---\n")
        .file("content/open.md", "---\ntitle: Open\naliases: [/desk/old-open/]\n---\n");
    assert_problem(
        &site,
        "content/open.md:3:11",
        "the alias `/desk/old-open/` is inside `/desk/` (`content/desk/_index.md`), which fewer tiers may see than this page",
    );
}

#[test]
fn an_alias_that_needs_a_theme_file_as_its_folder_stops_the_render() {
    let site = Site::new().file("content/a.md", "---\ntitle: A\naliases: [/style.css/old/]\n---\n");
    match site.build() {
        Err(BuildError::Render(error)) => {
            let message = error.to_string();
            assert!(message.contains("`style.css`"), "{message}");
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
}
