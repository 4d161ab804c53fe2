//! Each tier's Atom feed and sitemap, read back with a real XML parser: only that tier's pages,
//! absolute URLs under the tier's own base URL (sub-paths included), dates from `updated` else
//! `date`, text escaped exactly once, and the same bytes on every build.

use std::collections::BTreeSet;

use crate::common::Site;

/// A program served under a sub-path, with one tier at an address of its own.
const PARTNERS: &str = "\
program:
  name: Fish & Chips Network
  base_url: https://portal.example/partners/
  contact: partners@portal.example
tiers:
  - id: strategic
    name: Strategic
    base_url: https://strategic.example/deep/path/
  - id: active
    name: Active
  - id: referral-network
    name: Referral Network
";

fn page(title: &str, more: &str) -> String {
    format!("---\ntitle: \"{title}\"\n{more}---\nFirst paragraph of {title}.\n")
}

/// Dated pages at every tier, an undated one, and a title that needs escaping.
fn site() -> Site {
    Site::with_partners(PARTNERS)
        .file("content/_index.md", "---\ntitle: Home\n---\n")
        .file("content/news/_index.md", "---\ntitle: News\n---\n")
        .file("content/news/first.md", page("First", "date: 2026-01-10\n"))
        .file("content/news/second.md", page("Second", "date: 2026-03-01\nupdated: 2026-04-15\n"))
        .file("content/news/active.md", page("Active news", "date: 2026-05-01\ntier: active\n"))
        .file(
            "content/news/strategic.md",
            page("Strategic news", "date: 2026-06-01T09:30:00Z\ntier: strategic\n"),
        )
        .file("content/guides/undated.md", page("Undated", ""))
}

/// An Atom feed as a reader sees it.
#[derive(Debug)]
struct Feed {
    id: String,
    title: String,
    updated: String,
    links: Vec<(String, String)>,
    entries: Vec<Entry>,
}

#[derive(Debug)]
struct Entry {
    id: String,
    title: String,
    updated: String,
    link: String,
    summary: String,
}

const ATOM: &str = "http://www.w3.org/2005/Atom";

fn child_text(node: roxmltree::Node<'_, '_>, name: &str) -> String {
    let child = node.children().find(|c| c.has_tag_name((ATOM, name)));
    let child = child.unwrap_or_else(|| panic!("<{name}> missing in <{}>", node.tag_name().name()));
    child.text().unwrap_or_default().to_string()
}

fn parse_feed(xml: &str) -> Feed {
    let document = roxmltree::Document::parse(xml).expect("the feed is well-formed XML");
    let root = document.root_element();
    assert!(root.has_tag_name((ATOM, "feed")), "not an Atom feed: {xml}");
    let author = root.children().find(|c| c.has_tag_name((ATOM, "author"))).expect("an author");
    assert!(!child_text(author, "name").is_empty());
    let links = root
        .children()
        .filter(|c| c.has_tag_name((ATOM, "link")))
        .map(|l| (l.attribute("rel").unwrap().to_string(), l.attribute("href").unwrap().into()))
        .collect();
    let entries = root
        .children()
        .filter(|c| c.has_tag_name((ATOM, "entry")))
        .map(|e| Entry {
            id: child_text(e, "id"),
            title: child_text(e, "title"),
            updated: child_text(e, "updated"),
            link: e
                .children()
                .find(|c| c.has_tag_name((ATOM, "link")))
                .unwrap()
                .attribute("href")
                .unwrap()
                .to_string(),
            summary: child_text(e, "summary"),
        })
        .collect();
    Feed {
        id: child_text(root, "id"),
        title: child_text(root, "title"),
        updated: child_text(root, "updated"),
        links,
        entries,
    }
}

/// The sitemap's `(loc, lastmod)` pairs.
fn parse_sitemap(xml: &str) -> Vec<(String, Option<String>)> {
    const NS: &str = "http://www.sitemaps.org/schemas/sitemap/0.9";
    let document = roxmltree::Document::parse(xml).expect("the sitemap is well-formed XML");
    let text = |url: roxmltree::Node<'_, '_>, name: &str| {
        url.children().find(|c| c.has_tag_name((NS, name))).and_then(|c| c.text()).map(String::from)
    };
    document
        .root_element()
        .children()
        .filter(|c| c.has_tag_name((NS, "url")))
        .map(|url| (text(url, "loc").expect("a loc"), text(url, "lastmod")))
        .collect()
}

#[test]
fn each_tier_feed_lists_only_its_dated_pages_newest_first() {
    let site = site();
    site.build_ok();
    let cases = [
        (
            "strategic",
            "https://strategic.example/deep/path/",
            &["strategic", "active", "second", "first"][..],
        ),
        ("active", "https://portal.example/partners/active/", &["active", "second", "first"]),
        (
            "referral-network",
            "https://portal.example/partners/referral-network/",
            &["second", "first"],
        ),
    ];
    for (tier, base, pages) in cases {
        let feed = parse_feed(&site.read_output(&format!("{tier}/feed.xml")));
        assert_eq!(feed.id, base);
        assert!(feed.links.contains(&("self".into(), format!("{base}feed.xml"))), "{feed:?}");
        assert!(feed.links.contains(&("alternate".into(), base.to_string())), "{feed:?}");
        let urls: Vec<&str> = feed.entries.iter().map(|e| e.id.as_str()).collect();
        let expected: Vec<String> = pages.iter().map(|p| format!("{base}news/{p}/")).collect();
        assert_eq!(urls, expected, "tier {tier}");
        for entry in &feed.entries {
            assert_eq!(entry.link, entry.id);
        }
        // The feed's date is its newest visible entry's: a gated page's date does not show.
        assert_eq!(feed.updated, feed.entries[0].updated, "tier {tier}");
    }
    let network = parse_feed(&site.read_output("referral-network/feed.xml"));
    assert_eq!(network.updated, "2026-04-15T00:00:00Z", "`updated` wins over `date`");
    assert_eq!(network.entries[0].summary, "First paragraph of Second.");
    let strategic = parse_feed(&site.read_output("strategic/feed.xml"));
    assert_eq!(strategic.updated, "2026-06-01T09:30:00Z");
}

#[test]
fn each_tier_sitemap_lists_only_its_pages_with_their_last_change() {
    let site = site();
    site.build_ok();
    let sitemap = parse_sitemap(&site.read_output("referral-network/sitemap.xml"));
    let base = "https://portal.example/partners/referral-network/";
    let expected: Vec<(String, Option<String>)> = [
        ("", Some("2026-04-15")),
        ("guides/", None),
        ("guides/undated/", None),
        ("news/", Some("2026-04-15")),
        ("news/first/", Some("2026-01-10")),
        ("news/second/", Some("2026-04-15")),
        ("program-terms/", None),
    ]
    .iter()
    .map(|(path, lastmod)| (format!("{base}{path}"), lastmod.map(String::from)))
    .collect();
    assert_eq!(sitemap, expected);
    let strategic = parse_sitemap(&site.read_output("strategic/sitemap.xml"));
    let locs: BTreeSet<&str> = strategic.iter().map(|(loc, _)| loc.as_str()).collect();
    assert!(locs.iter().all(|loc| loc.starts_with("https://strategic.example/deep/path/")));
    assert!(locs.contains("https://strategic.example/deep/path/news/strategic/"));
    let news = strategic.iter().find(|(loc, _)| loc.ends_with("/path/news/")).unwrap();
    assert_eq!(news.1.as_deref(), Some("2026-06-01"), "a section takes its newest visible page");
}

#[test]
fn feed_text_is_escaped_exactly_once() {
    let title = r#"Fish & "Chips" <b>bold</b> 'n' Café — ünïcode ✓"#;
    let yaml_title = title.replace('"', "\\\"");
    let site = Site::new()
        .file("content/news/_index.md", "---\ntitle: News\n---\n")
        .file(
            "content/news/odd.md",
            format!(
                "---\ntitle: \"{yaml_title}\"\ndate: 2026-02-02\n---\nR&D <em>costs</em> \"rose\" 5 < 6.\n"
            ),
        )
        .file(
            "content/news/described.md",
            format!("---\ntitle: Plain\ndescription: \"{yaml_title}\"\ndate: 2026-01-01\n---\n"),
        );
    site.build_ok();
    let xml = site.read_output("referral-network/feed.xml");
    let feed = parse_feed(&xml);
    assert_eq!(feed.title, "Test Network · Referral Network");
    assert_eq!(feed.entries[0].title, title);
    // Straight quotes in a body become typographic ones, as on the page itself.
    assert_eq!(feed.entries[0].summary, "R&D costs “rose” 5 < 6.");
    assert_eq!(feed.entries[1].summary, title, "the description is the summary");
    assert!(!xml.contains("&amp;amp;") && !xml.contains("&amp;lt;"), "escaped twice: {xml}");
}

#[test]
fn a_tier_without_dated_pages_has_no_feed_and_no_feed_link() {
    let site = Site::new()
        .file("content/guides/_index.md", "---\ntitle: Guides\n---\n")
        .file("content/guides/how.md", page("How", ""))
        .file("content/guides/dated.md", page("Dated", "date: 2026-01-01\ntier: strategic\n"));
    site.build_ok();
    assert!(!site.output().join("referral-network/feed.xml").exists());
    let home = site.read_output("referral-network/index.html");
    assert!(!home.contains("application/atom+xml"), "{home}");
    let listing = site.read_output("strategic/guides/index.html");
    assert!(listing.contains("href=\"/strategic/feed.xml\" type=\"application/atom+xml\""));
    let home = site.read_output("strategic/index.html");
    assert!(home.contains("<link rel=\"alternate\" type=\"application/atom+xml\""), "{home}");
}

#[test]
fn feeds_are_the_same_bytes_on_every_build() {
    let first = site();
    let second = site();
    first.build_ok();
    second.build_ok();
    for tier in ["strategic", "active", "referral-network"] {
        for file in ["feed.xml", "sitemap.xml"] {
            let path = format!("{tier}/{file}");
            assert_eq!(first.read_output(&path), second.read_output(&path), "{path}");
        }
    }
}

#[test]
fn feed_of_a_tier() {
    let site = site();
    site.build_ok();
    insta::assert_snapshot!(site.read_output("referral-network/feed.xml"));
}
