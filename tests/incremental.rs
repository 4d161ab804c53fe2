//! The preview rebuilds incrementally: it re-reads changed files and re-renders only files
//! whose inputs changed. After any sequence of edits its site must equal a fresh build of the
//! final files, byte for byte, in every tier.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use portico::build;
use portico::serve::live::{Live, LiveOptions};
use portico::site_url::BaseUrl;

const PROGRAM: &str = "program:
  name: Edits
  base_url: https://edits.example/
  contact: a@edits.example
tiers:
  - id: strategic
    name: Tier 1 Strategic
  - id: active
    name: Tier 2 Active
  - id: referral-network
    name: Tier 3 Referral Network
";

fn write(root: &Path, relative: &str, contents: &str) {
    let path = root.join(relative);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, contents).unwrap();
}

fn base() -> BaseUrl {
    BaseUrl::parse("http://127.0.0.1:4300/").unwrap()
}

/// Every file of a fresh, cache-free build, as `tier/path` → bytes.
fn fresh(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let model = build::load(root, false).unwrap();
    let tiers = build::select_tiers(&model.program, &[]).unwrap();
    let outputs = build::render(&model, &tiers, Some(&base()), &[]).unwrap();
    outputs
        .iter()
        .flat_map(|t| t.files.iter().map(move |f| (t.tier.clone(), f)))
        .map(|(tier, f)| {
            let bytes = match &f.contents {
                portico::render::Contents::Bytes(b) => b.to_vec(),
                portico::render::Contents::Copy(p) => fs::read(p).unwrap(),
            };
            (format!("{tier}/{}", f.path), bytes)
        })
        .collect()
}

fn served(live: &Live, expected: &BTreeMap<String, Vec<u8>>) -> BTreeMap<String, Vec<u8>> {
    expected
        .keys()
        .filter_map(|key| {
            let (tier, path) = key.split_once('/').unwrap();
            Some((key.clone(), live.file(tier, path)?.bytes().unwrap().to_vec()))
        })
        .collect()
}

fn assert_matches_fresh_build(live: &Live, root: &Path, step: &str) {
    assert!(live.problems().is_empty(), "{step}: {:?}", live.problems());
    let expected = fresh(root);
    let actual = served(live, &expected);
    for (key, bytes) in &expected {
        match actual.get(key) {
            Some(got) if got == bytes => {}
            Some(_) => panic!("{step}: `{key}` differs from a fresh build"),
            None => panic!("{step}: `{key}` is missing"),
        }
    }
    for tier in ["founding", "strategic", "active", "referral-network"] {
        for gone in ["guides/renamed-away/index.html", "guides/deleted/index.html"] {
            if !expected.contains_key(&format!("{tier}/{gone}")) {
                assert!(
                    live.file(tier, gone).is_none(),
                    "{step}: stale `{tier}/{gone}` still served"
                );
            }
        }
    }
}

#[test]
fn every_edit_leaves_the_same_site_as_a_fresh_build() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "partners.yaml", PROGRAM);
    write(root, "content/_index.md", "---\ntitle: Home\n---\nWelcome.\n");
    write(root, "content/guides/_index.md", "---\ntitle: Guides\n---\nIntro.\n");
    for n in 0..6 {
        let tier = if n == 2 { "tier: strategic\n" } else { "" };
        write(
            root,
            &format!("content/guides/g{n}.md"),
            &format!(
                "---\ntitle: Guide {n}\nweight: {n}\ntags: [t{}]\n{tier}---\nBody {n}. [next](g{}.md)\n",
                n % 2,
                (n + 1) % 6
            ),
        );
    }
    write(
        root,
        "content/other/linker.md",
        "---\ntitle: Linker\n---\nSee [guide 4](../guides/g4.md).\n",
    );
    let intro = "---\ntitle: Other\n---\nStart with [guide 5](../guides/g5.md).\n";
    write(root, "content/other/_index.md", intro);
    write(root, "content/guides/renamed-away.md", "---\ntitle: Old name\n---\nOld.\n");
    write(root, "content/guides/deleted.md", "---\ntitle: Doomed\n---\nSoon gone.\n");
    let options =
        LiveOptions { root: root.to_path_buf(), drafts: false, tiers: vec![], base: base() };
    let mut live = Live::new(options);
    live.rebuild();
    assert_matches_fresh_build(&live, root, "first build");

    type Edit = Box<dyn Fn(&Path)>;
    let edits: Vec<(&str, Edit)> = vec![
        (
            "edit a body",
            Box::new(|r| {
                write(r, "content/guides/g0.md", "---\ntitle: Guide 0\nweight: 0\n---\nNew body.\n")
            }),
        ),
        (
            "same length, same tick",
            Box::new(|r| {
                // A second save within the file system's timestamp tick: same time, same length.
                let path = r.join("content/guides/g0.md");
                let modified = fs::metadata(&path).unwrap().modified().unwrap();
                write(
                    r,
                    "content/guides/g0.md",
                    "---\ntitle: Guide 0\nweight: 0\n---\nOld body.\n",
                );
                fs::File::options()
                    .write(true)
                    .open(&path)
                    .unwrap()
                    .set_modified(modified)
                    .unwrap();
            }),
        ),
        (
            "retitle",
            Box::new(|r| {
                write(r, "content/guides/g1.md", "---\ntitle: Guide One\nweight: 1\n---\nBody 1.\n")
            }),
        ),
        (
            "gate a page",
            Box::new(|r| {
                write(
                    r,
                    "content/guides/g3.md",
                    "---\ntitle: Guide 3\ntier: active\n---\nGated now.\n",
                )
            }),
        ),
        (
            "gate a page linked from another section",
            Box::new(|r| {
                write(
                    r,
                    "content/guides/g4.md",
                    "---\ntitle: Guide 4\ntier: strategic\n---\nMine.\n",
                )
            }),
        ),
        (
            "gate a page linked from a section intro",
            Box::new(|r| {
                let gated = "---\ntitle: Guide 5\ntier: active\n---\nFive.\n";
                write(r, "content/guides/g5.md", gated)
            }),
        ),
        (
            "ungate a page",
            Box::new(|r| {
                write(
                    r,
                    "content/guides/g2.md",
                    "---\ntitle: Guide 2\n---\nOpen now. [g3](g3.md)\n",
                )
            }),
        ),
        (
            "add a page",
            Box::new(|r| {
                write(
                    r,
                    "content/guides/new.md",
                    "---\ntitle: Fresh\ntags: [t9]\n---\nLinks [g0](g0.md).\n",
                )
            }),
        ),
        (
            "delete a page",
            Box::new(|r| fs::remove_file(r.join("content/guides/deleted.md")).unwrap()),
        ),
        (
            "rename a page",
            Box::new(|r| {
                fs::rename(
                    r.join("content/guides/renamed-away.md"),
                    r.join("content/guides/renamed-to.md"),
                )
                .unwrap()
            }),
        ),
        (
            "edit a section intro",
            Box::new(|r| {
                write(r, "content/guides/_index.md", "---\ntitle: Guides!\n---\nNew intro.\n")
            }),
        ),
        (
            "edit a template",
            Box::new(|r| {
                write(
                    r,
                    "themes/default/templates/tag.html",
                    "{% extends \"base.html\" %}{% block content %}<h1>{{ tag.name }}</h1>{% endblock content %}",
                )
            }),
        ),
        (
            "edit partners.yaml",
            Box::new(|r| {
                write(r, "partners.yaml", &PROGRAM.replace("Tier 2 Active", "Tier 2 Busy"))
            }),
        ),
        (
            "add a tier above the others",
            Box::new(|r| {
                let tiers = "tiers:\n  - id: founding\n    name: Founding\n";
                write(
                    r,
                    "partners.yaml",
                    &PROGRAM.replace("Tier 2 Active", "Tier 2 Busy").replace("tiers:\n", tiers),
                )
            }),
        ),
        ("add an asset", Box::new(|r| write(r, "content/guides/g0/chart.svg", "<svg/>"))),
    ];
    for (step, edit) in &edits {
        edit(root);
        live.rebuild();
        assert_matches_fresh_build(&live, root, step);
    }
    // A burst of edits with no pause between them, as an editor's autosave makes.
    for n in 0..60 {
        let file = format!("content/guides/g{}.md", n % 5);
        write(root, &file, &format!("---\ntitle: Burst {n}\nweight: {}\n---\nText {n}.\n", n % 7));
        if n % 7 == 0 {
            live.rebuild();
        }
    }
    live.rebuild();
    assert_matches_fresh_build(&live, root, "after a burst");
}

#[test]
fn settled_files_are_trusted_by_their_stamp_and_edits_still_seen() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "partners.yaml", PROGRAM);
    write(root, "content/_index.md", "---\ntitle: Home\n---\n");
    for n in 0..4 {
        write(
            root,
            &format!("content/p{n}.md"),
            &format!("---\ntitle: Page {n}\n---\nText {n}.\n"),
        );
    }
    // Old enough that their stamps vouch for their bytes.
    std::thread::sleep(std::time::Duration::from_millis(3_300));
    let options =
        LiveOptions { root: root.to_path_buf(), drafts: false, tiers: vec![], base: base() };
    let mut live = Live::new(options);
    live.rebuild();
    live.rebuild();
    assert_matches_fresh_build(&live, root, "settled");
    write(root, "content/p1.md", "---\ntitle: Page 1\n---\nTxet 1.\n");
    live.rebuild();
    assert_matches_fresh_build(&live, root, "an edit of the same length");
    fs::rename(root.join("content/p2.md"), root.join("content/p3.md")).unwrap();
    live.rebuild();
    assert_matches_fresh_build(&live, root, "a file renamed over another");
}
