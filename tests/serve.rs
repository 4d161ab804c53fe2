//! `portico serve` end to end: the real binary on a loopback port, a fixture site edited the
//! way editors and people edit it, and what the server then answers and announces.
//!
//! Each test starts its own server (`--port 0`) and kills it when done. Nothing waits for a fixed
//! time to pass: every wait polls against a deadline, and the only quiet periods are the short
//! windows in which a test shows that something does *not* happen.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::common::Site;
use serde_json::Value;

/// The fixture's tiers, highest first.
const TIERS: [&str; 3] = ["strategic", "active", "referral-network"];
/// How long a rebuild may take to show, on a busy machine running every test at once.
const SETTLE: Duration = Duration::from_secs(10);
/// How long a test watches for an event that must not come.
const QUIET: Duration = Duration::from_millis(800);
/// Longest wait for any single socket read.
const IO_TIMEOUT: Duration = Duration::from_secs(5);

// ---------------------------------------------------------------------------------------------
// Editing, deleting, renaming and saving pages
// ---------------------------------------------------------------------------------------------

#[test]
fn polling_sees_edits_too() {
    let site = guides_site();
    let server = Server::start_with(&site, &["--poll"]);
    let events = server.events();
    site.write("content/guides/alpha.md", page("Alpha", "", "alpha polled qqpoll"));
    let urls: Vec<String> = TIERS.iter().map(|t| format!("/{t}/guides/alpha/")).collect();
    expect_reload_serving(&server, &events, &urls, "qqpoll");
}

#[test]
fn edited_page_is_served_and_its_url_reloaded() {
    let site = guides_site();
    let server = Server::start(&site);
    let events = server.events();

    site.write("content/guides/alpha.md", page("Alpha", "", "alpha edited qqedit1"));

    let urls: Vec<String> = TIERS.iter().map(|t| format!("/{t}/guides/alpha/")).collect();
    expect_reload_serving(&server, &events, &urls, "qqedit1");
    for tier in TIERS {
        let beta = server.get(&format!("/{tier}/guides/beta/"));
        assert_eq!(beta.status, 200);
        assert!(beta.text().contains("beta first"), "an untouched page changed:\n{}", beta.text());
    }
}

#[test]
fn deleted_page_answers_404_and_leaves_its_section_listing() {
    let site = guides_site();
    let server = Server::start(&site);
    assert_eq!(server.get("/active/guides/alpha/").status, 200);

    std::fs::remove_file(site.root().join("content/guides/alpha.md")).unwrap();

    eventually("the deleted page is gone from every tier", || {
        for tier in TIERS {
            expect_not_found(&server, &format!("/{tier}/guides/alpha/"))?;
            let listing = server.get(&format!("/{tier}/guides/"));
            check(listing.status == 200, || {
                format!("/{tier}/guides/ answered {}", listing.status)
            })?;
            let text = listing.text();
            check(!text.contains(&format!("/{tier}/guides/alpha/")), || {
                format!("/{tier}/guides/ still links the deleted page")
            })?;
            check(text.contains(&format!("/{tier}/guides/beta/")), || {
                format!("/{tier}/guides/ lost the page that stayed")
            })?;
        }
        Ok(())
    });
}

#[test]
fn renamed_page_moves_to_its_new_url() {
    let site = guides_site();
    let server = Server::start(&site);

    let guides = site.root().join("content/guides");
    std::fs::rename(guides.join("alpha.md"), guides.join("gamma.md")).unwrap();

    eventually("the page answers at its new URL only", || {
        for tier in TIERS {
            expect_not_found(&server, &format!("/{tier}/guides/alpha/"))?;
            let moved = server.get(&format!("/{tier}/guides/gamma/"));
            check(moved.status == 200 && moved.text().contains("alpha first"), || {
                format!("/{tier}/guides/gamma/ answered {}", moved.status)
            })?;
            let listing = server.get(&format!("/{tier}/guides/")).text();
            check(
                listing.contains(&format!("/{tier}/guides/gamma/"))
                    && !listing.contains(&format!("/{tier}/guides/alpha/")),
                || format!("/{tier}/guides/ does not list the page under its new name only"),
            )?;
        }
        Ok(())
    });
}

#[test]
fn atomic_rename_over_save_is_picked_up_every_time() {
    let site = guides_site();
    let server = Server::start(&site);
    let events = server.events();
    let urls: Vec<String> = TIERS.iter().map(|t| format!("/{t}/guides/alpha/")).collect();

    // An editor's hidden temporary file first, then a `sed -i`-style visible one; the second
    // save also shows that the page is still watched after its file was replaced once.
    for (temp, marker) in [(".alpha.md.tmp", "qqatomic1"), ("sedq1w2e3", "qqatomic2")] {
        let temp_path = site.root().join("content/guides").join(temp);
        std::fs::write(&temp_path, page("Alpha", "", &format!("alpha saved {marker}"))).unwrap();
        std::fs::rename(&temp_path, site.root().join("content/guides/alpha.md")).unwrap();
        expect_reload_serving(&server, &events, &urls, marker);
    }
    eventually("the temporary file is not served", || {
        TIERS.iter().try_for_each(|t| expect_not_found(&server, &format!("/{t}/guides/sedq1w2e3")))
    });
}

#[test]
fn editor_swap_and_backup_files_are_not_edits() {
    let site = guides_site();
    let server = Server::start(&site);
    let files = built_tree(&site, server.port);
    // The preview builds its search index on a thread of its own: wait for it.
    eventually("the served site equals a fresh build", || {
        let differences = served_differences(&server, &files);
        check(differences.is_empty(), || differences.join("\n"))
    });
    let before = served_tree(&server, &files);
    let events = server.events();

    let leftovers = [".alpha.md.swp", "4913", "alpha.md~", "#alpha.md#", "alpha.md___jb_tmp___"];
    let guides = site.root().join("content/guides");
    for name in leftovers {
        std::fs::write(guides.join(name), page("Leftover", "", "qqleftover")).unwrap();
    }
    for name in leftovers {
        std::fs::write(guides.join(name), page("Leftover", "", "qqleftover again")).unwrap();
    }
    // vim creates `4913` only to test that it may write to the folder, and deletes it at once.
    std::fs::remove_file(guides.join("4913")).unwrap();

    if let Some(reload) = events.next(Instant::now() + QUIET) {
        panic!("editor leftovers caused a reload: {reload:?}");
    }
    assert_eq!(served_tree(&server, &files), before, "editor leftovers changed served bytes");
    for name in leftovers {
        let escaped = name.replace('#', "%23");
        for tier in TIERS {
            expect_not_found(&server, &format!("/{tier}/guides/{escaped}")).unwrap();
        }
    }

    // A real edit still reloads, so the quiet above was not a dead event stream.
    site.write("content/guides/beta.md", page("Beta", "", "beta edited qqsentinel"));
    expect_reload_serving(&server, &events, &["/active/guides/beta/".to_string()], "qqsentinel");
}

#[test]
fn new_folder_is_served_and_then_watched() {
    let site = guides_site();
    let server = Server::start(&site);

    // Written straight after the folders are made, before a watcher could have added them.
    site.write("content/events/_index.md", "---\ntitle: Events\n---\n");
    site.write("content/events/2026/launch.md", page("Launch", "", "launch first qqlaunch1"));
    eventually("the new folder's page is served", || {
        TIERS.iter().try_for_each(|t| {
            expect_text(&server, &format!("/{t}/events/2026/launch/"), "qqlaunch1")
        })
    });

    let events = server.events();
    site.write("content/events/2026/launch.md", page("Launch", "", "launch again qqlaunch2"));
    let urls: Vec<String> = TIERS.iter().map(|t| format!("/{t}/events/2026/launch/")).collect();
    expect_reload_serving(&server, &events, &urls, "qqlaunch2");
}

#[test]
fn theme_and_partners_edits_are_picked_up() {
    let site = guides_site();
    let server = Server::start(&site);

    let base = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("themes/default/templates/base.html"),
    )
    .unwrap();
    let marked = base.replacen("</body>", "<p>qqtheme</p></body>", 1);
    assert_ne!(marked, base, "the default theme's base template has no `</body>`");
    site.write("themes/default/templates/base.html", marked);
    eventually("the site's own template is used", || {
        TIERS
            .iter()
            .try_for_each(|t| expect_text(&server, &format!("/{t}/guides/alpha/"), "qqtheme"))
    });

    let partners = crate::common::PARTNERS_YAML.replace("name: Active", "name: Active Plus qqtier")
        + "  - id: observer\n    name: Observer\n";
    site.write("partners.yaml", partners);
    eventually("the edited tiers are served", || {
        expect_text(&server, "/", "qqtier")?;
        expect_text(&server, "/", "href=\"/observer/\"")?;
        expect_text(&server, "/observer/guides/alpha/", "alpha first")
    });
}

// ---------------------------------------------------------------------------------------------
// Broken builds
// ---------------------------------------------------------------------------------------------

#[test]
fn broken_front_matter_shows_error_panel_and_keeps_last_good_site() {
    let site = guides_site();
    let mut server = Server::start(&site);
    site.write("content/guides/alpha.md", page("Alpha", "", "alpha last good qqgood"));
    eventually("the good edit is served", || {
        expect_text(&server, "/active/guides/alpha/", "qqgood")
    });
    let events = server.events();

    // Saved atomically: a save in place may be seen half done, as an empty but valid page,
    // which would then rightly be the last good version.
    save_atomically(&site, "content/guides/alpha.md", "---\ntitle: [Alpha\n---\nqqbroken\n");

    eventually("every page shows the error panel", || {
        for tier in TIERS {
            for path in ["", "guides/", "guides/alpha/", "guides/beta/"] {
                let url = format!("/{tier}/{path}");
                let response = server.get(&url);
                check(response.status == 200, || format!("{url} answered {}", response.status))?;
                let panel = error_panel(&response.text())
                    .ok_or_else(|| format!("{url} has no error panel"))?;
                check(has_position(&panel, "content/guides/alpha.md"), || {
                    format!(
                        "{url}'s panel does not say `content/guides/alpha.md:line:col`:\n{panel}"
                    )
                })?;
            }
        }
        Ok(())
    });
    assert!(server.is_running(), "the server stopped on a broken file:\n{}", server.log());
    for tier in TIERS {
        let alpha = server.get(&format!("/{tier}/guides/alpha/")).text();
        assert!(alpha.contains("qqgood") && !alpha.contains("qqbroken"), "not the last good page");
        assert!(server.get(&format!("/{tier}/guides/beta/")).text().contains("beta first"));
    }
    let reload = events.next(Instant::now() + SETTLE);
    assert!(reload.is_some(), "open pages were not told to show the error panel");

    site.write("content/guides/alpha.md", page("Alpha", "", "alpha fixed qqfixed"));

    eventually("the panel is gone and the fix is served", || {
        for tier in TIERS {
            for path in ["guides/alpha/", "guides/beta/"] {
                let url = format!("/{tier}/{path}");
                let text = server.get(&url).text();
                check(error_panel(&text).is_none(), || format!("{url} still shows the panel"))?;
            }
            expect_text(&server, &format!("/{tier}/guides/alpha/"), "qqfixed")?;
        }
        Ok(())
    });
}

#[test]
fn broken_save_sends_one_reload_not_a_stream() {
    let site = guides_site();
    let server = Server::start(&site);
    let events = server.events();

    save_atomically(&site, "content/guides/alpha.md", "---\ntitle: [Alpha\n---\nbroken\n");

    let first = events.next(Instant::now() + SETTLE).expect("a reload for the broken save");
    let window = Instant::now() + Duration::from_millis(1500);
    let mut more = Vec::new();
    while let Some(reload) = events.next(window) {
        more.push(reload);
    }
    assert!(
        more.len() <= 2,
        "one broken save sent {first:?} and then {} more reloads within 1.5 s, such as {:?}; \
         an open page would reload without end",
        more.len(),
        more.first()
    );
}

#[test]
fn build_errors_are_labelled_once_on_stderr() {
    let site = guides_site();
    let server = Server::start(&site);
    site.write("content/guides/alpha.md", "---\ntitle: [Alpha\n---\nbroken\n");
    eventually("the error is logged", || {
        check(server.log().contains("content/guides/alpha.md:"), || server.log())
    });
    let log = server.log();
    assert!(!log.contains("error: error:"), "an error is labelled twice:\n{}", head_str(&log, 600));
}

/// Reads the server's CPU time from `/proc`, so Linux only.
#[cfg(target_os = "linux")]
#[test]
fn idle_server_does_not_keep_rebuilding() {
    let mut site = guides_site();
    for n in 0..40 {
        site = site.file(&format!("content/guides/p{n}.md"), page(&format!("Page {n}"), "", "x"));
    }
    let server = Server::start(&site);
    // Let start-up work finish, then measure a stretch in which nothing is edited.
    thread::sleep(Duration::from_millis(300));
    let before = cpu_seconds(server.pid());
    let idle = Duration::from_secs(2);
    thread::sleep(idle);
    let used = cpu_seconds(server.pid()) - before;
    assert!(
        used < 0.2,
        "an idle server used {used:.2} s of CPU in {idle:?}; it keeps rebuilding unedited files"
    );
}

// ---------------------------------------------------------------------------------------------
// Many edits, gated content
// ---------------------------------------------------------------------------------------------

#[test]
fn rapid_edits_settle_to_exactly_what_build_writes() {
    let site = Site::new()
        .file("content/guides/_index.md", "---\ntitle: Guides\n---\nHow we work.\n")
        .file("content/news/_index.md", "---\ntitle: News\n---\n");
    let server = Server::start(&site);
    let mut edits = Edits::new(&site);
    for step in 0..200 {
        edits.step(step);
        // Mostly back to back, with a few pauses so that some rebuilds see a half-done burst.
        if step % 25 == 24 {
            thread::sleep(Duration::from_millis(30));
        }
    }

    let expected = built_tree(&site, server.port);
    let gone = edits.gone_urls(&expected);
    // The seed is chosen so that the final files delete pages and gate pages and a bundle's
    // co-located file above the lower tiers; check that it still does.
    let gated = |path: &str| {
        expected.contains_key(&format!("strategic/{path}"))
            && !expected.contains_key(&format!("active/{path}"))
    };
    assert!(
        gated("guides/kit/sheet.csv")
            && gone.contains(&"/active/guides/kit/sheet.csv".to_string())
            && gone.iter().any(|url| url.starts_with("/strategic/guides/"))
            && expected.keys().filter(|k| gated(k.trim_start_matches("strategic/"))).count() > 3,
        "the edit sequence no longer deletes and gates pages; choose another seed"
    );

    eventually("the served site equals a fresh build", || {
        let mut differences = served_differences(&server, &expected);
        for url in &gone {
            if let Err(why) = expect_not_found(&server, url) {
                differences.push(why);
            }
        }
        match differences.len() {
            0 => Ok(()),
            n => Err(format!("{n} differences, such as:\n{}", differences[..n.min(8)].join("\n"))),
        }
    });
}

#[test]
fn gated_edit_is_served_only_to_tiers_that_may_see_it() {
    let site = guides_site();
    let server = Server::start(&site);

    site.write("content/guides/alpha.md", page("Alpha qqgatedalpha", "tier: strategic\n", "a"));
    site.write("content/guides/secret.md", page("Secret qqsecret", "tier: strategic\n", "s"));
    site.write("content/guides/beta.md", page("Beta qqactivebeta", "tier: active\n", "b"));

    let hidden = [
        ("active", vec![("alpha", "qqgatedalpha"), ("secret", "qqsecret")]),
        (
            "referral-network",
            vec![("alpha", "qqgatedalpha"), ("secret", "qqsecret"), ("beta", "qqactivebeta")],
        ),
    ];
    eventually("each tier serves exactly what it may see", || {
        for (tier, pages) in &hidden {
            for path in ["", "guides/", "sitemap.xml", "tags/"] {
                let url = format!("/{tier}/{path}");
                let text = server.get(&url).text();
                for (slug, marker) in pages {
                    // The marker came with the gate, in one save: showing it at all is a leak,
                    // a failure at once even if a later rebuild would hide it again.
                    assert!(!text.contains(marker), "{url} shows `{marker}`");
                    let link = format!("/{tier}/guides/{slug}/");
                    check(!text.contains(&link), || format!("{url} still links {link}"))?;
                }
            }
            for (slug, marker) in pages {
                let url = format!("/{tier}/guides/{slug}/");
                let response = server.get(&url);
                let leak = response.status == 200 && response.text().contains(marker);
                assert!(!leak, "{url} serves a page gated above the tier");
                expect_not_found(&server, &url)?;
            }
        }
        expect_text(&server, "/strategic/guides/alpha/", "qqgatedalpha")?;
        expect_text(&server, "/strategic/guides/secret/", "qqsecret")?;
        expect_text(&server, "/strategic/guides/", "/strategic/guides/secret/")?;
        expect_text(&server, "/strategic/guides/beta/", "qqactivebeta")?;
        expect_text(&server, "/active/guides/beta/", "qqactivebeta")?;
        expect_text(&server, "/active/guides/", "/active/guides/beta/")
    });
}

// ---------------------------------------------------------------------------------------------
// Starting, the tier index and redirects
// ---------------------------------------------------------------------------------------------

#[test]
fn port_in_use_is_reported_with_the_port_and_flag() {
    let site = guides_site();
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();

    let mut child = portico()
        .args(["serve", "--port", &port.to_string(), "--root"])
        .arg(site.root())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run portico serve");
    let status = wait_or_kill(&mut child, "portico serve on a taken port");
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();

    assert!(!status.success(), "serve exited successfully on a taken port:\n{stderr}");
    assert!(names_number(&stderr, port), "the message does not name port {port}:\n{stderr}");
    assert!(stderr.contains("--port"), "the message does not mention `--port`:\n{stderr}");
    assert!(!stderr.contains("serving http"), "serve claimed to be serving:\n{stderr}");
}

#[test]
fn index_lists_every_tier() {
    let site = guides_site();
    let server = Server::start(&site);
    let index = server.get("/");
    assert_eq!(index.status, 200);
    let text = index.text();
    for (id, name) in
        [("strategic", "Strategic"), ("active", "Active"), ("referral-network", "Referral Network")]
    {
        assert!(text.contains(&format!("href=\"/{id}/\"")), "`/` does not link /{id}/:\n{text}");
        assert!(text.contains(name), "`/` does not name tier `{name}`:\n{text}");
    }
}

#[test]
fn tier_without_trailing_slash_redirects_to_it() {
    let site = guides_site();
    let server = Server::start(&site);
    let redirect = server.get("/active");
    assert!(
        matches!(redirect.status, 301 | 302 | 307 | 308),
        "/active answered {}, not a redirect",
        redirect.status
    );
    assert_eq!(redirect.header("location"), Some("/active/"));
    let home = server.get("/active/");
    assert_eq!(home.status, 200);
    assert!(home.text().contains("/active/guides/"), "/active/ is not the active tier's home");
}

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

/// The shared fixture: a home page and a `guides` section with two open pages.
fn guides_site() -> Site {
    Site::new()
        .file("content/guides/_index.md", "---\ntitle: Guides\n---\n")
        .file("content/guides/alpha.md", page("Alpha", "", "alpha first"))
        .file("content/guides/beta.md", page("Beta", "", "beta first"))
}

/// A markdown page; `front` is extra front matter lines, each ending in a newline.
fn page(title: &str, front: &str, body: &str) -> String {
    format!("---\ntitle: {title}\n{front}---\n{body}\n")
}

/// A deterministic sequence of edits over a few pages and a page bundle: rewrites with changing
/// titles, gates, tags, weights and dates, deletions and re-creations.
struct Edits<'a> {
    site: &'a Site,
    seed: u64,
    /// Site paths such as `guides/g2/` or `tags/cedar/` that existed at some point.
    ever: BTreeSet<String>,
}

const PAGES: [&str; 9] = [
    "guides/g0.md",
    "guides/g1.md",
    "guides/g2.md",
    "guides/g3.md",
    "guides/g4.md",
    "news/n0.md",
    "news/n1.md",
    "news/n2.md",
    "guides/kit/index.md",
];
const WORDS: [&str; 8] = ["amber", "birch", "cedar", "delta", "ember", "fjord", "grove", "harbor"];
const GATES: [&str; 3] = ["", "tier: active\n", "tier: strategic\n"];

impl<'a> Edits<'a> {
    fn new(site: &'a Site) -> Edits<'a> {
        Edits { site, seed: 0x5eed_202e, ever: BTreeSet::new() }
    }

    /// A number below `n`, from a linear congruential generator.
    fn below(&mut self, n: u64) -> u64 {
        self.seed = self.seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.seed >> 33) % n
    }

    fn word(&mut self) -> &'static str {
        WORDS[self.below(WORDS.len() as u64) as usize]
    }

    fn step(&mut self, step: u64) {
        let file = PAGES[self.below(PAGES.len() as u64) as usize];
        let path = self.site.root().join("content").join(file);
        match self.below(10) {
            0 | 1 => remove(&path),
            2 if file.starts_with("guides/kit/") => {
                let sheet = format!("name,value\n{},{step}\n", self.word());
                self.site.write("content/guides/kit/sheet.csv", sheet);
                self.ever.insert("guides/kit/sheet.csv".into());
            }
            _ => {
                let text = self.page(step);
                self.site.write(&format!("content/{file}"), text);
                let url = file.trim_end_matches("index.md").trim_end_matches(".md");
                self.ever.insert(format!("{}/", url.trim_end_matches('/')));
            }
        }
    }

    fn page(&mut self, step: u64) -> String {
        let title = format!("{} {} {step}", self.word(), self.word());
        let gate = GATES[self.below(3) as usize];
        let tags: Vec<&str> = (0..self.below(3)).map(|_| self.word()).collect();
        for tag in &tags {
            self.ever.insert(format!("tags/{tag}/"));
        }
        let front = format!(
            "{gate}weight: {}\ndate: 2026-0{}-1{}\ntags: [{}]\n",
            self.below(5),
            1 + self.below(9),
            self.below(10),
            tags.join(", ")
        );
        let body = format!("The {} {} report, step {step}.", self.word(), self.word());
        page(&title, &front, &body)
    }

    /// `/tier/path` of everything that once existed and that the final build lacks.
    fn gone_urls(&self, expected: &BTreeMap<String, Vec<u8>>) -> Vec<String> {
        let mut gone = Vec::new();
        for tier in TIERS {
            for path in &self.ever {
                let file =
                    if path.ends_with('/') { format!("{path}index.html") } else { path.clone() };
                if !expected.contains_key(&format!("{tier}/{file}")) {
                    gone.push(format!("/{tier}/{path}"));
                }
            }
        }
        gone
    }
}

/// Writes `path` the way many editors do: a hidden file beside it, renamed over it.
fn save_atomically(site: &Site, path: &str, contents: &str) {
    let target = site.root().join(path);
    let name = target.file_name().unwrap().to_string_lossy();
    let temp = target.with_file_name(format!(".{name}.tmp"));
    std::fs::write(&temp, contents).unwrap();
    std::fs::rename(&temp, &target).unwrap();
}

fn remove(path: &Path) {
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => panic!("cannot remove `{}`: {e}", path.display()),
    }
}

/// Runs `portico build` for the server's address into a fresh folder and returns every file it
/// wrote, keyed `tier/path`.
fn built_tree(site: &Site, port: u16) -> BTreeMap<String, Vec<u8>> {
    let out = tempfile::tempdir().unwrap();
    let mut child = portico()
        .arg("build")
        .arg("--root")
        .arg(site.root())
        .arg("--output")
        .arg(out.path().join("public"))
        .args(["--base-url", &format!("http://127.0.0.1:{port}/")])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run portico build");
    let status = wait_or_kill(&mut child, "portico build");
    let mut log = String::new();
    child.stderr.take().unwrap().read_to_string(&mut log).unwrap();
    assert!(status.success(), "portico build failed:\n{log}");
    let root = out.path().join("public");
    walkdir::WalkDir::new(&root)
        .into_iter()
        .map(|entry| entry.expect("a readable output folder"))
        .filter(|entry| entry.file_type().is_file() && entry.depth() > 1)
        .map(|entry| {
            let relative = entry.path().strip_prefix(&root).unwrap();
            let key =
                relative.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>();
            (key.join("/"), std::fs::read(entry.path()).unwrap())
        })
        .collect()
}

/// What the server answers for each of `files`' paths: status and body.
fn served_tree(
    server: &Server,
    files: &BTreeMap<String, Vec<u8>>,
) -> BTreeMap<String, (u16, Vec<u8>)> {
    files
        .keys()
        .map(|key| {
            let response = server.get(&format!("/{key}"));
            (key.clone(), (response.status, response.body))
        })
        .collect()
}

/// Each file of a build that the server does not answer with the same bytes.
fn served_differences(server: &Server, expected: &BTreeMap<String, Vec<u8>>) -> Vec<String> {
    let mut differences = Vec::new();
    for (key, built) in expected {
        let response = server.get(&format!("/{key}"));
        let same = if response.status != 200 {
            Err(format!("answered {}", response.status))
        } else if key.ends_with(".html") {
            expect_reload_script_only(&response.body, built)
        } else if response.body != *built {
            let same = response.body.iter().zip(built).take_while(|(a, b)| a == b).count();
            Err(format!("differs from the build at byte {same} of {}", built.len()))
        } else {
            Ok(())
        };
        if let Err(why) = same {
            differences.push(format!("/{key}: {why}"));
        }
    }
    differences
}

/// What the server added to a built HTML page: the page must be the built bytes with one
/// insertion before `</body>`, and that insertion only a reload script.
fn expect_reload_script_only(served: &[u8], built: &[u8]) -> Result<(), String> {
    let at = find_last(built, b"</body>").unwrap_or(built.len());
    let (head, tail) = built.split_at(at);
    let fits = served.len() >= built.len() && served.starts_with(head) && served.ends_with(tail);
    if !fits {
        let same = served.iter().zip(built).take_while(|(a, b)| a == b).count();
        let context = String::from_utf8_lossy(&served[same.saturating_sub(40)..]);
        return Err(format!("differs from the build at byte {same}: {}", head_str(&context, 160)));
    }
    let addition = &served[head.len()..served.len() - tail.len()];
    let text = String::from_utf8_lossy(addition);
    if !text.trim_start().starts_with("<script") || !text.trim_end().ends_with("</script>") {
        return Err(format!("adds more than a reload script: {}", head_str(&text, 300)));
    }
    if text.contains("portico-errors") {
        return Err("shows the error panel".to_string());
    }
    Ok(())
}

/// Whether `text` holds `number` on its own, not as part of a longer number.
fn names_number(text: &str, number: u16) -> bool {
    let number = number.to_string();
    text.match_indices(&number).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + number.len()..].chars().next();
        !before.is_some_and(|c| c.is_ascii_digit()) && !after.is_some_and(|c| c.is_ascii_digit())
    })
}

fn find_last(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).rposition(|window| window == needle)
}

/// The error panel's markup, when the page shows it.
fn error_panel(html: &str) -> Option<String> {
    let start = html.find("id=\"portico-errors\"")?;
    let end = html[start..].find("</div>").map_or(html.len(), |e| start + e);
    Some(html[start..end].to_string())
}

/// Whether `text` names `path:line:col`.
fn has_position(text: &str, path: &str) -> bool {
    text.match_indices(path).any(|(at, _)| {
        let rest = &text[at + path.len()..];
        let mut parts = rest.splitn(3, ':');
        parts.next() == Some("")
            && parts
                .next()
                .is_some_and(|line| !line.is_empty() && line.bytes().all(|b| b.is_ascii_digit()))
            && parts.next().is_some_and(|col| col.starts_with(|c: char| c.is_ascii_digit()))
    })
}

// ---------------------------------------------------------------------------------------------
// Waiting
// ---------------------------------------------------------------------------------------------

/// Polls `condition` until it holds, failing the test with its last complaint after [`SETTLE`].
fn eventually(what: &str, mut condition: impl FnMut() -> Result<(), String>) {
    let deadline = Instant::now() + SETTLE;
    loop {
        match condition() {
            Ok(()) => return,
            Err(why) if Instant::now() >= deadline => {
                panic!("{what}: still not true after {SETTLE:?}: {why}")
            }
            Err(_) => thread::sleep(Duration::from_millis(25)),
        }
    }
}

fn check(holds: bool, complaint: impl FnOnce() -> String) -> Result<(), String> {
    if holds { Ok(()) } else { Err(complaint()) }
}

fn expect_text(server: &Server, url: &str, needle: &str) -> Result<(), String> {
    let response = server.get(url);
    check(response.status == 200 && response.text().contains(needle), || {
        format!("{url} answered {} without `{needle}`", response.status)
    })
}

/// A 404 carrying the tier's own `404.html` (with the same additions as any served page).
fn expect_not_found(server: &Server, url: &str) -> Result<(), String> {
    let response = server.get(url);
    check(response.status == 404, || format!("{url} answered {}, not 404", response.status))?;
    let tier = url.trim_start_matches('/').split('/').next().unwrap_or_default();
    let page = server.get(&format!("/{tier}/404.html"));
    check(response.body == page.body, || format!("{url} is not the tier's 404 page"))
}

/// Waits for reload events that together name every one of `urls`, after which each of them
/// serves `needle`. An editor's save may arrive in two rebuilds, so an event that comes before
/// the new text is served only means: wait for the next.
fn expect_reload_serving(server: &Server, events: &Events, urls: &[String], needle: &str) {
    let deadline = Instant::now() + SETTLE;
    let mut named = BTreeSet::new();
    loop {
        let Some(reload) = events.next(deadline) else {
            let served: Vec<_> =
                urls.iter().map(|u| (u, server.get(u).text().contains(needle))).collect();
            panic!(
                "no reload named all of {urls:?} with `{needle}` served; named: {named:?}; served: {served:?}"
            );
        };
        if let Reload::Pages(pages) = reload {
            named.extend(pages);
        }
        let all_named = urls.iter().all(|url| named.contains(url));
        if all_named && urls.iter().all(|url| server.get(url).text().contains(needle)) {
            return;
        }
    }
}

fn wait_or_kill(child: &mut Child, what: &str) -> std::process::ExitStatus {
    let deadline = Instant::now() + SETTLE;
    loop {
        if let Some(status) = child.try_wait().expect("poll the child") {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} still ran after {SETTLE:?}");
        }
        thread::sleep(Duration::from_millis(20));
    }
}

fn head_str(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((at, _)) => &text[..at],
        None => text,
    }
}

#[cfg(target_os = "linux")]
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("the server's stat");
    // Fields after the parenthesised command name: state is the first, utime the 12th.
    let fields: Vec<&str> = stat.rsplit_once(')').unwrap().1.split_whitespace().collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    // Linux reports CPU time in USER_HZ ticks, which is 100 on every architecture it supports.
    ticks as f64 / 100.0
}

// ---------------------------------------------------------------------------------------------
// The server under test
// ---------------------------------------------------------------------------------------------

fn portico() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_portico"));
    command.env("NO_COLOR", "1").env_remove("PORTICO_LOG").stdin(Stdio::null());
    command
}

/// `portico serve` on a free loopback port, killed when dropped.
struct Server {
    child: Child,
    port: u16,
    /// Everything the server printed on stderr so far.
    log: Arc<Mutex<String>>,
}

/// Most of a server's log a test keeps; a flood of messages beyond it is dropped.
const LOG_LIMIT: usize = 1 << 20;

impl Server {
    fn start(site: &Site) -> Server {
        Server::start_with(site, &[])
    }

    fn start_with(site: &Site, flags: &[&str]) -> Server {
        let mut child = portico()
            .args(["serve", "--port", "0", "--root"])
            .arg(site.root())
            .args(flags)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run portico serve");
        let log = Arc::new(Mutex::new(String::new()));
        let (ready, started) = mpsc::channel();
        let stderr = BufReader::new(child.stderr.take().unwrap());
        let shared = Arc::clone(&log);
        thread::spawn(move || {
            for line in stderr.lines() {
                let Ok(line) = line else { break };
                if let Some(port) = serving_port(&line) {
                    let _ = ready.send(port);
                }
                let mut log = shared.lock().unwrap();
                if log.len() < LOG_LIMIT {
                    log.push_str(&line);
                    log.push('\n');
                }
            }
        });
        let port = started.recv_timeout(SETTLE);
        let mut server = Server { child, port: 0, log };
        match port {
            Ok(port) => server.port = port,
            Err(_) => panic!("serve did not say it was serving:\n{}", server.log()),
        }
        server
    }

    fn get(&self, path: &str) -> Response {
        get(self.port, path)
    }

    fn events(&self) -> Events {
        Events::open(self.port)
    }

    fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    fn is_running(&mut self) -> bool {
        self.child.try_wait().expect("poll the server").is_none()
    }

    #[cfg(target_os = "linux")]
    fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The port in `serving http://127.0.0.1:PORT/ (Ctrl-C to stop)`.
fn serving_port(line: &str) -> Option<u16> {
    let rest = line.split_once("serving http://127.0.0.1:")?.1;
    rest.split('/').next()?.parse().ok()
}

// ---------------------------------------------------------------------------------------------
// A minimal HTTP/1.1 client and server-sent-events reader
// ---------------------------------------------------------------------------------------------

struct Response {
    status: u16,
    /// Names lowercased.
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

fn connect(port: u16, path: &str, accept: &str) -> BufReader<TcpStream> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to the server");
    stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    stream.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: {accept}\r\nConnection: close\r\n\r\n"
    )
    .expect("send the request");
    BufReader::new(stream)
}

/// Reads a response's status line and headers.
fn read_head(reader: &mut BufReader<TcpStream>) -> (u16, Vec<(String, String)>) {
    let mut line = String::new();
    reader.read_line(&mut line).expect("a status line");
    let status = line.split_whitespace().nth(1).and_then(|s| s.parse().ok());
    let status = status.unwrap_or_else(|| panic!("not an HTTP status line: {line:?}"));
    let mut headers = Vec::new();
    loop {
        line.clear();
        reader.read_line(&mut line).expect("a header line");
        let line = line.trim_end();
        if line.is_empty() {
            return (status, headers);
        }
        let (name, value) = line.split_once(':').expect("a header");
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
    }
}

fn get(port: u16, path: &str) -> Response {
    let mut reader = connect(port, path, "*/*");
    let (status, headers) = read_head(&mut reader);
    let chunked = headers.iter().any(|(n, v)| n == "transfer-encoding" && v.contains("chunked"));
    let mut body = Vec::new();
    if chunked {
        Chunked::new(reader).read_to_end(&mut body).expect("a chunked body");
    } else {
        reader.read_to_end(&mut body).expect("a body");
    }
    Response { status, headers, body }
}

/// A `Transfer-Encoding: chunked` body, decoded.
struct Chunked<R> {
    inner: R,
    left: usize,
    done: bool,
}

impl<R: BufRead> Chunked<R> {
    fn new(inner: R) -> Self {
        Chunked { inner, left: 0, done: false }
    }
}

impl<R: BufRead> Read for Chunked<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.done {
            return Ok(0);
        }
        if self.left == 0 {
            let mut line = String::new();
            self.inner.read_line(&mut line)?;
            let size = line.trim().split(';').next().unwrap_or_default();
            let invalid = || std::io::Error::new(std::io::ErrorKind::InvalidData, "chunk size");
            self.left = usize::from_str_radix(size, 16).map_err(|_| invalid())?;
            if self.left == 0 {
                self.done = true;
                return Ok(0);
            }
        }
        let wanted = buf.len().min(self.left);
        let read = self.inner.read(&mut buf[..wanted])?;
        if read == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        self.left -= read;
        if self.left == 0 {
            let mut crlf = [0; 2];
            self.inner.read_exact(&mut crlf)?;
        }
        Ok(read)
    }
}

/// One `data:` of the reload stream.
#[derive(Debug)]
enum Reload {
    Everything,
    Pages(Vec<String>),
}

/// An open `/__portico/events` stream; a thread reads it and hands each event's data over.
struct Events {
    received: Receiver<String>,
    stream: TcpStream,
}

impl Events {
    /// Connects and returns once the server answered, so no later rebuild goes unseen.
    fn open(port: u16) -> Events {
        let mut reader = connect(port, "/__portico/events", "text/event-stream");
        let (status, headers) = read_head(&mut reader);
        assert_eq!(status, 200, "the event stream answered {status}");
        let stream = reader.get_ref().try_clone().unwrap();
        // The stream may stay quiet for long; the thread ends when the socket is shut down.
        stream.set_read_timeout(None).unwrap();
        let chunked =
            headers.iter().any(|(n, v)| n == "transfer-encoding" && v.contains("chunked"));
        let (sender, received) = mpsc::channel();
        thread::spawn(move || {
            if chunked {
                read_events(BufReader::new(Chunked::new(reader)), sender);
            } else {
                read_events(reader, sender);
            }
        });
        Events { received, stream }
    }

    /// The next reload, or `None` if none comes before `deadline`.
    fn next(&self, deadline: Instant) -> Option<Reload> {
        let wait = deadline.saturating_duration_since(Instant::now());
        let data = match self.received.recv_timeout(wait) {
            Ok(data) => data,
            Err(RecvTimeoutError::Timeout) => return None,
            Err(RecvTimeoutError::Disconnected) => panic!("the event stream closed"),
        };
        let value: Value = serde_json::from_str(&data)
            .unwrap_or_else(|e| panic!("event data is not JSON ({e}): {data}"));
        match &value["reload"] {
            Value::String(all) if all == "*" => Some(Reload::Everything),
            Value::Array(pages) => Some(Reload::Pages(
                pages
                    .iter()
                    .map(|p| p.as_str().unwrap_or_else(|| panic!("not a URL: {p}")).to_string())
                    .collect(),
            )),
            _ => panic!("unexpected reload event: {data}"),
        }
    }
}

impl Drop for Events {
    fn drop(&mut self) {
        let _ = self.stream.shutdown(Shutdown::Both);
    }
}

/// Splits an event stream into events and sends each event's data (comments are keep-alives).
fn read_events(reader: impl BufRead, sender: Sender<String>) {
    let mut data: Option<String> = None;
    for line in reader.lines() {
        let Ok(line) = line else { return };
        if line.is_empty() {
            if let Some(data) = data.take()
                && sender.send(data).is_err()
            {
                return;
            }
        } else if let Some(value) = line.strip_prefix("data:") {
            let value = value.strip_prefix(' ').unwrap_or(value);
            match &mut data {
                Some(data) => {
                    data.push('\n');
                    data.push_str(value);
                }
                None => data = Some(value.to_string()),
            }
        }
    }
}

#[test]
fn renaming_a_whole_folder_moves_its_pages() {
    let site = guides_site();
    let server = Server::start(&site);
    std::fs::rename(site.root().join("content/guides"), site.root().join("content/manuals"))
        .unwrap();
    eventually("the folder's pages moved", || {
        TIERS.iter().try_for_each(|t| {
            expect_text(&server, &format!("/{t}/manuals/alpha/"), "alpha first")?;
            expect_not_found(&server, &format!("/{t}/guides/alpha/"))
        })
    });
}

#[test]
fn removing_a_tier_stops_serving_it() {
    let site = guides_site();
    let server = Server::start(&site);
    let without_active =
        crate::common::PARTNERS_YAML.replace("  - id: active\n    name: Active\n", "");
    assert_ne!(without_active, crate::common::PARTNERS_YAML, "the fixture's tiers changed");
    site.write("partners.yaml", without_active);
    eventually("the removed tier is gone", || {
        let response = server.get("/active/guides/alpha/");
        check(response.status == 404, || format!("/active/ answered {}", response.status))?;
        expect_text(&server, "/referral-network/guides/alpha/", "alpha first")
    });
}

#[test]
fn ctrl_c_stops_the_server_even_with_a_page_listening() {
    let site = guides_site();
    let mut server = Server::start(&site);
    let _listening = server.events();
    let pid = server.child.id().to_string();
    let sent = Command::new("kill").args(["-INT", &pid]).status().expect("run kill");
    assert!(sent.success());
    let status = wait_or_kill(&mut server.child, "portico serve after Ctrl-C");
    assert!(status.success(), "serve did not stop cleanly: {status:?}\n{}", server.log());
}

#[test]
fn a_rebuild_logs_new_warnings_once() {
    let site = guides_site();
    let server = Server::start(&site);
    site.write("content/guides/alpha.md", page("Alpha", "", "See [gone](gone.md)."));
    eventually("the broken link is reported", || {
        check(server.log().contains("link to `gone.md` points to no page or file"), || server.log())
    });
    site.write("content/guides/alpha.md", page("Alpha", "", "Still [gone](gone.md), edited."));
    eventually("the edit is served", || expect_text(&server, "/active/guides/alpha/", "edited"));
    assert_eq!(server.log().matches("`gone.md` points to no page").count(), 1, "{}", server.log());
}
