//! What `build` writes: links that resolve under any base URL, byte-identical rebuilds that
//! touch nothing, stale files removed, and never a folder portico did not create.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use portico::build::{BuildError, BuildOptions, build};
use portico::output::OutputError;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn options(root: &Path, output: &Path, base_url: Option<&str>) -> BuildOptions {
    BuildOptions {
        root: root.to_path_buf(),
        output: output.to_path_buf(),
        tiers: vec![],
        base_url: base_url.map(str::to_string),
        drafts: false,
        allow_broken_links: false,
    }
}

/// Every file under `dir`, relative path to contents.
fn tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| (e.path().strip_prefix(dir).unwrap().to_path_buf(), fs::read(e.path()).unwrap()))
        .collect()
}

/// Each file's inode and modification time: a write replaces the file (a new inode) through a
/// rename, so an unchanged pair means the file was not written, however coarse the clock.
fn identities(dir: &Path) -> BTreeMap<PathBuf, (u64, SystemTime)> {
    use std::os::unix::fs::MetadataExt;
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let metadata = e.metadata().unwrap();
            (e.path().to_path_buf(), (metadata.ino(), metadata.modified().unwrap()))
        })
        .collect()
}

/// The values of every `href="…"` and `src="…"` attribute in an HTML file.
fn references(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    for attribute in ["href=\"", "src=\""] {
        let mut rest = html;
        while let Some(start) = rest.find(attribute) {
            rest = &rest[start + attribute.len()..];
            let end = rest.find('"').unwrap();
            found.push(rest[..end].replace("&amp;", "&"));
            rest = &rest[end..];
        }
    }
    found
}

fn is_external(reference: &str) -> bool {
    reference.starts_with('#')
        || reference.starts_with("mailto:")
        || reference.starts_with("http://")
        || reference.starts_with("https://")
}

/// Asserts that every internal reference in every HTML file of each tier lands on a file of
/// that tier's output, under `base_path` + tier id.
fn assert_links_resolve(output: &Path, base_path: &str) {
    let tiers = ["strategic", "active", "referral-network"];
    let mut checked = 0;
    for tier in tiers {
        let tier_dir = output.join(tier);
        let prefix = format!("{base_path}{tier}/");
        for (relative, bytes) in tree(&tier_dir) {
            if relative.extension().is_none_or(|e| e != "html") {
                continue;
            }
            let html = String::from_utf8(bytes).unwrap();
            for reference in references(&html).into_iter().filter(|r| !is_external(r)) {
                let path = reference.split(['#', '?']).next().unwrap();
                let inside = path.strip_prefix(&prefix).unwrap_or_else(|| {
                    panic!("{tier}/{}: `{reference}` is not under `{prefix}`", relative.display())
                });
                let target = if inside.is_empty() || inside.ends_with('/') {
                    tier_dir.join(inside).join("index.html")
                } else {
                    tier_dir.join(inside)
                };
                assert!(
                    target.is_file(),
                    "{tier}/{}: `{reference}` points to no file",
                    relative.display()
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 500, "only {checked} references checked");
}

#[test]
fn every_internal_link_resolves_under_a_sub_path() {
    let out = tempfile::tempdir().unwrap();
    build(&options(&repo(), out.path(), Some("https://intranet.example/partners/portal/")))
        .unwrap();
    assert_links_resolve(out.path(), "/partners/portal/");
}

#[test]
fn every_internal_link_resolves_at_a_domain_root() {
    let out = tempfile::tempdir().unwrap();
    build(&options(&repo(), out.path(), Some("https://partners.example"))).unwrap();
    assert_links_resolve(out.path(), "/");
}

#[test]
fn sitemap_uses_absolute_urls_with_the_base_path() {
    let out = tempfile::tempdir().unwrap();
    build(&options(&repo(), out.path(), Some("https://intranet.example/p/"))).unwrap();
    let sitemap = fs::read_to_string(out.path().join("active/sitemap.xml")).unwrap();
    assert!(sitemap.contains("<loc>https://intranet.example/p/active/icps/</loc>"), "{sitemap}");
    assert!(!sitemap.contains("/p//"), "{sitemap}");
}

#[test]
fn the_same_input_gives_byte_identical_output() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    build(&options(&repo(), a.path(), None)).unwrap();
    build(&options(&repo(), b.path(), None)).unwrap();
    assert_eq!(tree(a.path()), tree(b.path()));
}

#[test]
fn a_rebuild_without_changes_rewrites_no_file() {
    let out = tempfile::tempdir().unwrap();
    let first = build(&options(&repo(), out.path(), None)).unwrap();
    assert!(first.write.written > 100);
    let before = identities(out.path());
    let second = build(&options(&repo(), out.path(), None)).unwrap();
    assert_eq!(second.write.written, 0);
    assert_eq!(second.write.removed, 0);
    assert_eq!(identities(out.path()), before);
}

fn small_site() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::write(
        root.join("partners.yaml"),
        "program:\n  name: P\n  base_url: https://p.example/\n  contact: a@p.example\n\
         tiers:\n  - id: gold\n    name: Gold\n",
    )
    .unwrap();
    fs::create_dir_all(root.join("content/guides")).unwrap();
    fs::write(root.join("content/_index.md"), "---\ntitle: Home\n---\n").unwrap();
    fs::write(root.join("content/guides/keep.md"), "---\ntitle: Keep\n---\n").unwrap();
    fs::write(root.join("content/guides/drop.md"), "---\ntitle: Drop\n---\n").unwrap();
    dir
}

/// Turns search off in a site's `partners.yaml`: `build` then writes pages as they render.
fn turn_search_off(root: &Path) {
    let program = fs::read_to_string(root.join("partners.yaml")).unwrap();
    let program = program.replacen("program:\n", "program:\n  search: false\n", 1);
    fs::write(root.join("partners.yaml"), program).unwrap();
}

/// [`small_site`] as it is, and with search off.
fn small_sites() -> [tempfile::TempDir; 2] {
    let without_search = small_site();
    turn_search_off(without_search.path());
    [small_site(), without_search]
}

/// The files of a tier's search index, whose names change with what it holds.
fn search_index_files(tier: &Path) -> std::collections::BTreeSet<PathBuf> {
    walkdir::WalkDir::new(tier.join("pagefind"))
        .into_iter()
        .filter_map(|e| Some(e.ok()?.into_path()))
        .filter(|p| p.is_file())
        .collect()
}

#[test]
fn pages_that_no_longer_exist_are_removed() {
    for site in small_sites() {
        let output = site.path().join("public");
        build(&options(site.path(), &output, None)).unwrap();
        assert!(output.join("gold/guides/drop/index.html").is_file());
        let index = search_index_files(&output.join("gold"));
        fs::remove_file(site.path().join("content/guides/drop.md")).unwrap();
        let report = build(&options(site.path(), &output, None)).unwrap();
        // The page, and the files of the search index that held it.
        let replaced = index.difference(&search_index_files(&output.join("gold"))).count();
        assert!(index.is_empty() || replaced > 0, "with search, the index changes");
        assert_eq!(report.write.removed, 1 + replaced);
        assert!(!output.join("gold/guides/drop").exists());
        assert!(output.join("gold/guides/keep/index.html").is_file());
    }
}

#[test]
fn refuses_to_write_into_a_folder_portico_did_not_create() {
    let site = small_site();
    let output = site.path().join("precious");
    fs::create_dir_all(&output).unwrap();
    fs::write(output.join("thesis.docx"), "years of work").unwrap();
    let error = build(&options(site.path(), &output, None)).unwrap_err();
    assert!(matches!(error, BuildError::Output(OutputError::NotOurs(_))), "{error}");
    assert_eq!(fs::read_to_string(output.join("thesis.docx")).unwrap(), "years of work");
    assert_eq!(fs::read_dir(&output).unwrap().count(), 1);
}

#[test]
fn refuses_to_write_over_the_site_itself() {
    let site = small_site();
    for output in [site.path().to_path_buf(), site.path().join("content"), site.path().join("..")] {
        let error = build(&options(site.path(), &output, None)).unwrap_err();
        assert!(matches!(error, BuildError::Output(_)), "{}: {error}", output.display());
    }
    assert!(site.path().join("content/guides/keep.md").is_file());
}

#[test]
fn a_failed_build_leaves_the_previous_output_untouched() {
    let site = small_site();
    let output = site.path().join("public");
    build(&options(site.path(), &output, None)).unwrap();
    let before = tree(&output);
    fs::write(site.path().join("content/guides/keep.md"), "---\ntitle: [broken\n---\n").unwrap();
    assert!(build(&options(site.path(), &output, None)).is_err());
    assert_eq!(tree(&output), before);
}

#[test]
fn building_one_tier_leaves_the_others_alone() {
    let out = tempfile::tempdir().unwrap();
    build(&options(&repo(), out.path(), None)).unwrap();
    let before = tree(&out.path().join("strategic"));
    let mut one = options(&repo(), out.path(), None);
    one.tiers = vec!["active".into()];
    let report = build(&one).unwrap();
    assert_eq!(report.tiers.len(), 1);
    assert_eq!(tree(&out.path().join("strategic")), before);
}

#[test]
fn errors_when_content_takes_the_tag_pages_url() {
    let site = small_site();
    fs::create_dir_all(site.path().join("content/tags")).unwrap();
    fs::write(site.path().join("content/tags/mine.md"), "---\ntitle: Mine\n---\n").unwrap();
    let error = build(&options(site.path(), &site.path().join("public"), None)).unwrap_err();
    let BuildError::Invalid(problems) = error else { panic!("{error}") };
    assert_eq!(problems[0].location(), "content/tags");
    assert_eq!(problems[0].message, "the URL `/tags/` is taken by the tag pages");
}

#[test]
fn errors_when_content_takes_the_referral_received_url() {
    // A slug that chooses the URL is pointed at; otherwise the file's first line is.
    for (file, text, location) in [
        (
            "thanks.md",
            "---\ntitle: Thanks\nslug: referral-received\n---\n",
            "content/thanks.md:3:7",
        ),
        ("referral-received.md", "---\ntitle: Mine\n---\n", "content/referral-received.md:1:1"),
    ] {
        let site = small_site();
        fs::write(site.path().join("content").join(file), text).unwrap();
        // Only the top-level folder is reserved.
        fs::write(site.path().join("content/guides/referral-received.md"), "---\ntitle: Ok\n---\n")
            .unwrap();
        let error = build(&options(site.path(), &site.path().join("public"), None)).unwrap_err();
        let BuildError::Invalid(problems) = error else { panic!("{error}") };
        assert_eq!(problems.len(), 1, "{problems:#?}");
        assert_eq!(problems[0].location(), location);
        assert_eq!(
            problems[0].message,
            "the URL `/referral-received/` is taken by the page shown after a referral is sent"
        );
        let help = problems[0].help.as_deref().unwrap_or_default();
        assert!(help.contains("another `slug`"), "{help}");
    }
}

#[test]
fn a_rebuild_keeps_files_portico_did_not_write_and_reports_them() {
    for site in small_sites() {
        let output = site.path().join("public");
        build(&options(site.path(), &output, None)).unwrap();
        fs::write(output.join("gold/.htaccess"), "Require valid-user\n").unwrap();
        let index = search_index_files(&output.join("gold"));
        fs::remove_file(site.path().join("content/guides/drop.md")).unwrap();
        let report = build(&options(site.path(), &output, None)).unwrap();
        let replaced = index.difference(&search_index_files(&output.join("gold"))).count();
        assert_eq!(report.write.removed, 1 + replaced);
        assert_eq!(report.write.foreign, vec![output.join("gold/.htaccess")]);
        assert_eq!(
            fs::read_to_string(output.join("gold/.htaccess")).unwrap(),
            "Require valid-user\n"
        );
    }
}

/// A file someone put where a new page goes, or where its folder goes, is refused before
/// anything moves, and what earlier batches staged is taken back.
#[test]
fn refuses_to_replace_a_file_someone_put_where_a_new_page_goes() {
    for hand_made in ["gold/extra/index.html", "gold/extra"] {
        for site in small_sites() {
            let output = site.path().join("public");
            build(&options(site.path(), &output, None)).unwrap();
            fs::create_dir_all(output.join(hand_made).parent().unwrap()).unwrap();
            fs::write(output.join(hand_made), "hand-made").unwrap();
            fs::write(site.path().join("content/extra.md"), "---\ntitle: Extra\n---\n").unwrap();
            let keep = site.path().join("content/guides/keep.md");
            fs::write(keep, "---\ntitle: Kept\n---\n").unwrap();
            let error = build(&options(site.path(), &output, None)).unwrap_err();
            assert!(matches!(error, BuildError::Output(OutputError::WouldReplace(_))), "{error}");
            assert_eq!(fs::read_to_string(output.join(hand_made)).unwrap(), "hand-made");
            assert_eq!(staged_files(&output), Vec::<PathBuf>::new());
        }
    }
}

#[test]
fn never_writes_or_removes_through_a_link_inside_the_output() {
    for site in small_sites() {
        let output = site.path().join("public");
        build(&options(site.path(), &output, None)).unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        fs::write(elsewhere.path().join("index.html"), "precious").unwrap();
        fs::remove_dir_all(output.join("gold/guides/drop")).unwrap();
        std::os::unix::fs::symlink(elsewhere.path(), output.join("gold/guides/drop")).unwrap();
        let error = build(&options(site.path(), &output, None)).unwrap_err();
        assert!(matches!(error, BuildError::Output(OutputError::UnsafePath(_))), "{error}");
        fs::remove_file(site.path().join("content/guides/drop.md")).unwrap();
        build(&options(site.path(), &output, None)).unwrap();
        assert_eq!(fs::read_to_string(elsewhere.path().join("index.html")).unwrap(), "precious");
    }
}

#[test]
fn refuses_an_output_folder_inside_another_output_folder() {
    let site = small_site();
    let output = site.path().join("public");
    build(&options(site.path(), &output, None)).unwrap();
    let nested = output.join("gold/preview");
    let error = build(&options(site.path(), &nested, None)).unwrap_err();
    assert!(matches!(error, BuildError::Output(OutputError::Overlaps(_))), "{error}");
}

#[test]
fn a_lock_left_by_a_stopped_build_does_not_block_the_next() {
    let site = small_site();
    let output = site.path().join("public");
    fs::create_dir_all(&output).unwrap();
    fs::write(output.join(".portico-lock"), "").unwrap();
    build(&options(site.path(), &output, None)).unwrap();
    assert!(output.join("gold/guides/keep/index.html").is_file());
}

/// Runs `portico -v build` on `site` and returns what it logged.
fn verbose_build(site: &crate::common::Site) -> String {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_portico"))
        .args(["-v", "build", "--root"])
        .arg(site.root())
        .env("NO_COLOR", "1")
        .env_remove("PORTICO_LOG")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stderr).unwrap()
}

#[test]
fn a_rebuild_keeps_a_search_index_built_from_the_same_pages() {
    let site =
        crate::common::Site::new().file("content/guides/a.md", "---\ntitle: A\n---\nAlpha.\n");
    assert_eq!(verbose_build(&site).matches("pages for search").count(), 3);
    let again = verbose_build(&site);
    assert_eq!(again.matches("the search index is up to date").count(), 3, "{again}");

    site.write("content/guides/a.md", "---\ntitle: A\n---\nAlpha, changed.\n");
    assert_eq!(verbose_build(&site).matches("pages for search").count(), 3, "pages changed");

    let record =
        std::fs::read_to_string(site.output().join("active/pagefind/portico-index.txt")).unwrap();
    let damaged = record.lines().nth(1).unwrap().split(' ').next().unwrap();
    std::fs::write(site.output().join("active").join(damaged), b"cut short").unwrap();
    let repaired = verbose_build(&site);
    assert!(
        repaired.contains("tier `active`: indexed"),
        "a damaged index is built again: {repaired}"
    );
    assert!(repaired.contains("tier `strategic`: the search index is up to date"));
}

#[test]
fn a_program_without_search_has_no_search_page_box_or_index() {
    let site =
        crate::common::Site::new().file("content/guides/a.md", "---\ntitle: A\n---\nAlpha.\n");
    verbose_build(&site);
    let tier = site.output().join("active");
    assert!(tier.join("pagefind/pagefind.js").is_file());
    assert!(tier.join("search/index.html").is_file());

    let program = crate::common::PARTNERS_YAML.replace("  contact:", "  search: false\n  contact:");
    site.write("partners.yaml", &program);
    let log = verbose_build(&site);
    assert!(!log.contains("pages for search"), "{log}");
    assert!(!tier.join("pagefind").exists(), "the index of the earlier build is removed");
    assert!(!tier.join("search").exists(), "no search page");
    let page = fs::read_to_string(tier.join("guides/a/index.html")).unwrap();
    assert!(page.contains("Alpha."));
    assert!(!page.contains("role=\"search\""), "no search box in the header");
}

/// Files staged under temporary names and left behind.
fn staged_files(output: &Path) -> Vec<PathBuf> {
    walkdir::WalkDir::new(output)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with(".portico-tmp"))
        .map(walkdir::DirEntry::into_path)
        .collect()
}

/// The identities of the site's files, leaving out the manifest and the lock, whose contents
/// are compared instead.
fn site_files(site: &crate::common::Site) -> BTreeMap<PathBuf, (u64, SystemTime)> {
    let mut files = identities(&site.output());
    files.retain(|path, _| !path.to_string_lossy().contains("/.portico-"));
    files
}

/// Builds `site` with `page_template`, which fails to render, and checks that the build failed
/// naming `culprit` and left every file and the manifest as they were.
fn assert_failing_build_changes_nothing(
    site: &crate::common::Site,
    page_template: &str,
    culprit: &str,
) {
    let before = site_files(site);
    let manifest = site.read_output(".portico-output");
    site.write("themes/default/templates/page.html", page_template);
    let error = site.build().unwrap_err();
    assert!(error.to_string().contains(culprit), "{error}");
    let after = site_files(site);
    let changed: Vec<_> = after.iter().filter(|(path, id)| before.get(*path) != Some(id)).collect();
    assert!(changed.is_empty() && after.len() == before.len(), "changed: {changed:?}");
    assert_eq!(site.read_output(".portico-output"), manifest);
}

/// Tiers are rendered and staged one at a time; a tier that fails to render after others were
/// staged leaves the output exactly as it was, with no staged file behind.
#[test]
fn a_tier_that_fails_to_render_leaves_the_output_as_it_was() {
    let site =
        crate::common::Site::new().file("content/guides/a.md", "---\ntitle: A\n---\nAlpha.\n");
    site.build_ok();
    site.write("content/guides/a.md", "---\ntitle: A\n---\nAlpha, changed.\n");
    // Only the last tier's render reaches the missing variable.
    assert_failing_build_changes_nothing(
        &site,
        "{% if tier.id == \"referral-network\" %}{{ missing.value }}{% endif %}{{ page.content | safe }}",
        "page.html",
    );
    assert_eq!(staged_files(&site.output()), Vec::<PathBuf>::new());
    assert!(site.read_output("strategic/guides/a/index.html").contains("Alpha."));
    assert!(!site.read_output("strategic/guides/a/index.html").contains("changed"));
}

/// A program without search, with more pages than one batch renders at a time.
fn site_without_search(pages: usize) -> crate::common::Site {
    let program = crate::common::PARTNERS_YAML.replace("  contact:", "  search: false\n  contact:");
    let mut site = crate::common::Site::with_partners(&program)
        .file("content/guides/_index.md", "---\ntitle: Guides\n---\nEvery guide.\n");
    for n in 0..pages {
        let next = (n + 1) % pages;
        let body = format!(
            "---\ntitle: Guide {n:03}\n---\nGuide {n} of {pages}; next: [{next}](/guides/page-{next:03}/).\n"
        );
        site = site.file(&format!("content/guides/page-{n:03}.md"), body);
    }
    site
}

/// Without search, `build` writes each batch of pages as it renders instead of holding a tier
/// in memory: what it writes is what the in-memory render (the preview's) makes, file by file.
#[test]
fn pages_written_as_they_render_are_those_the_preview_renders() {
    let site = site_without_search(150);
    site.build_ok();
    let model = portico::build::load(site.root(), false).unwrap();
    let tiers = portico::build::select_tiers(&model.program, &[]).unwrap();
    let outputs = portico::build::render(&model, &tiers, None, &[]).unwrap();
    for output in &outputs {
        let tier_dir = site.output().join(&output.tier);
        let expected: BTreeMap<PathBuf, Vec<u8>> = output
            .files
            .iter()
            .map(|file| {
                let bytes = match &file.contents {
                    portico::output::Contents::Bytes(bytes) => bytes.to_vec(),
                    portico::output::Contents::Copy(source) => fs::read(source).unwrap(),
                };
                (PathBuf::from(&file.path), bytes)
            })
            .collect();
        let written = tree(&tier_dir);
        assert_eq!(written.keys().collect::<Vec<_>>(), expected.keys().collect::<Vec<_>>());
        for (path, bytes) in &expected {
            assert!(written[path] == *bytes, "`{}/{}` differs", output.tier, path.display());
        }
        assert!(written.contains_key(Path::new("guides/page-149/index.html")));
    }
}

/// A page that fails to render after earlier batches of its tier were written: those are taken
/// back, and the output is as the last build left it.
#[test]
fn a_page_that_fails_after_others_were_written_leaves_the_output_as_it_was() {
    let site = site_without_search(150);
    site.build_ok();
    site.write("content/guides/page-000.md", "---\ntitle: Guide 000\n---\nChanged.\n");
    // Pages render in batches of 64: the last guide is in the third batch of the first tier.
    assert_failing_build_changes_nothing(
        &site,
        "{% if page.title == \"Guide 149\" %}{{ missing.value }}{% endif %}{{ page.content | safe }}",
        "page-149.md",
    );
    assert!(!site.read_output("strategic/guides/page-000/index.html").contains("Changed."));
}

/// Into a folder that did not exist, files go straight to their place; a first build that fails
/// after some were written removes the folder it created.
#[test]
fn a_first_build_that_fails_half_way_leaves_no_output_folder() {
    let site = site_without_search(150);
    site.write(
        "themes/default/templates/page.html",
        "{% if page.title == \"Guide 149\" %}{{ missing.value }}{% endif %}{{ page.content | safe }}",
    );
    let error = site.build().unwrap_err();
    assert!(error.to_string().contains("page-149.md"), "{error}");
    assert!(!site.output().exists(), "the folder this build created is gone");
}

/// A path can turn from a file into a folder between builds. The file stays until the commit:
/// a build that fails after staging the folder's files leaves it as it was.
#[test]
fn a_path_can_turn_from_file_into_folder_between_builds() {
    for site in small_sites() {
        let root = site.path();
        let output = root.join("public");
        let program = fs::read_to_string(root.join("partners.yaml")).unwrap();
        let program = program
            .replace("    name: Gold\n", "    name: Gold\n  - id: silver\n    name: Silver\n");
        fs::write(root.join("partners.yaml"), program).unwrap();
        fs::create_dir_all(root.join("content/guides/keep")).unwrap();
        fs::remove_file(root.join("content/guides/keep.md")).unwrap();
        fs::write(root.join("content/guides/keep/index.md"), "---\ntitle: Keep\n---\n").unwrap();
        fs::write(root.join("content/guides/keep/notes"), "v1").unwrap();
        build(&options(root, &output, None)).unwrap();
        fs::remove_file(root.join("content/guides/keep/notes")).unwrap();
        fs::create_dir_all(root.join("content/guides/keep/notes")).unwrap();
        fs::write(root.join("content/guides/keep/notes/a.txt"), "v2").unwrap();
        // Tier `gold` is staged whole, its new folder's file included, before `silver` fails.
        fs::create_dir_all(root.join("themes/default/templates")).unwrap();
        fs::write(
            root.join("themes/default/templates/page.html"),
            "{% if tier.id == \"silver\" %}{{ missing.value }}{% endif %}{{ page.content | safe }}",
        )
        .unwrap();
        build(&options(root, &output, None)).unwrap_err();
        assert_eq!(fs::read_to_string(output.join("gold/guides/keep/notes")).unwrap(), "v1");
        assert_eq!(staged_files(&output), Vec::<PathBuf>::new());
        fs::remove_file(root.join("themes/default/templates/page.html")).unwrap();
        build(&options(root, &output, None)).unwrap();
        assert_eq!(fs::read_to_string(output.join("gold/guides/keep/notes/a.txt")).unwrap(), "v2");
    }
}

/// A build stopped while adding to the manifest can leave its last line cut short: the next
/// build leaves that line out and writes the list whole and in order.
#[test]
fn a_manifest_cut_short_is_read_without_its_last_line_and_written_in_order() {
    for site in small_sites() {
        let output = site.path().join("public");
        build(&options(site.path(), &output, None)).unwrap();
        let marker = output.join(".portico-output");
        let whole = fs::read_to_string(&marker).unwrap();
        fs::write(output.join("gold/hand-made.txt"), "mine").unwrap();
        // Cut short, the line could name a file someone else put there.
        fs::write(&marker, format!("{whole}gold/guides/keep/index.html\ngold/hand-made.txt"))
            .unwrap();
        build(&options(site.path(), &output, None)).unwrap();
        assert_eq!(fs::read_to_string(&marker).unwrap(), whole);
        assert_eq!(fs::read_to_string(output.join("gold/hand-made.txt")).unwrap(), "mine");
    }
}

/// A folder with something in it where a file goes is refused before anything moves: only an
/// empty folder gives way.
#[test]
fn refuses_to_replace_a_folder_with_files_in_it() {
    for site in small_sites() {
        let output = site.path().join("public");
        build(&options(site.path(), &output, None)).unwrap();
        fs::remove_file(output.join("gold/robots.txt")).unwrap();
        fs::create_dir(output.join("gold/robots.txt")).unwrap();
        fs::write(output.join("gold/robots.txt/notes"), "mine").unwrap();
        fs::write(site.path().join("content/guides/keep.md"), "---\ntitle: Kept\n---\n").unwrap();
        let error = build(&options(site.path(), &output, None)).unwrap_err();
        assert!(matches!(error, BuildError::Output(OutputError::WouldReplace(_))), "{error}");
        assert_eq!(fs::read_to_string(output.join("gold/robots.txt/notes")).unwrap(), "mine");
        assert_eq!(staged_files(&output), Vec::<PathBuf>::new());
        let page = fs::read_to_string(output.join("gold/guides/keep/index.html")).unwrap();
        assert!(!page.contains("Kept"), "nothing was put in place");
    }
}

/// A first build stopped before its manifest was in place leaves the lock and a temporary file:
/// the next build takes the folder as its own.
#[test]
fn a_folder_left_by_a_first_build_stopped_early_is_taken() {
    let site = small_site();
    let output = site.path().join("public");
    fs::create_dir(&output).unwrap();
    fs::write(output.join(".portico-lock"), "").unwrap();
    fs::write(output.join(".portico-tmp.4242.0"), "# This folder is written by").unwrap();
    build(&options(site.path(), &output, None)).unwrap();
    assert!(output.join("gold/guides/keep/index.html").is_file());
    assert_eq!(staged_files(&output), Vec::<PathBuf>::new());
}

/// A lock file that is a link would create or lock a file outside the output: refused.
#[test]
fn refuses_a_lock_file_that_is_a_link() {
    let site = small_site();
    let output = site.path().join("public");
    let elsewhere = tempfile::tempdir().unwrap();
    fs::create_dir(&output).unwrap();
    std::os::unix::fs::symlink(elsewhere.path().join("planted"), output.join(".portico-lock"))
        .unwrap();
    let error = build(&options(site.path(), &output, None)).unwrap_err();
    assert!(matches!(error, BuildError::Output(OutputError::UnsafePath(_))), "{error}");
    assert!(!elsewhere.path().join("planted").exists());
}
