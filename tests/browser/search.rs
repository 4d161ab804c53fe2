//! Search, as a partner uses it: each tier's site on a static server of its own, one at a
//! domain root and one under a sub-path, a word typed into the search page's box, and the
//! results read back. A word from a page gated to the top tier is found there and nowhere
//! below; a word every tier sees is found in every tier, linking into that tier's own site.

use std::net::TcpListener;
use std::path::Path;

use serde_json::{Value, json};

use super::{Browser, LoopbackServer, Tab, chromium_or_skip, run_build, wait_for, write_files};

/// In the strategic tier's gated page only.
const GATED_WORD: &str = "quokkaventure";
/// In a page every tier sees.
const OPEN_WORD: &str = "marmalade";

/// Where each tier is served: a domain root, or a sub-path.
const TIERS: [(&str, &str); 3] =
    [("strategic", "/"), ("active", "/partners/active/"), ("referral-network", "/")];

fn write_site(root: &Path, base_urls: &[String]) {
    let mut partners = "program:\n  name: Search Network\n  base_url: https://unused.example/\n  \
                        contact: partners@example.com\ntiers:\n"
        .to_string();
    for ((id, _), base_url) in TIERS.iter().zip(base_urls) {
        partners
            .push_str(&format!("  - id: {id}\n    name: Tier {id}\n    base_url: {base_url}\n"));
    }
    let gated = format!(
        "---\ntitle: Expansion plan\ntier: strategic\ntags: [growth]\n---\n\
         The {GATED_WORD} programme is for strategic partners only.\n"
    );
    let open = format!(
        "---\ntitle: Welcome pack\ntags: [onboarding]\n---\nEvery partner gets the {OPEN_WORD} \
         welcome pack.\n"
    );
    let files = [
        ("partners.yaml", partners.as_str()),
        ("content/_index.md", "---\ntitle: Home\n---\nWelcome.\n"),
        ("content/vault/_index.md", "---\ntitle: Vault\n---\n"),
        ("content/vault/plan.md", &gated),
        ("content/guides/_index.md", "---\ntitle: Guides\n---\n"),
        ("content/guides/welcome.md", &open),
    ];
    write_files(root, &files);
}

/// Types `word` into the search page's box and returns the result links, once Pagefind's UI
/// says how many it found.
fn search(tab: &mut Tab<'_>, word: &str) -> Vec<String> {
    let input = ".pagefind-ui__search-input";
    wait_for(tab, &format!("document.querySelector({})", json!(input)));
    tab.eval(&format!("document.querySelector({}).focus()", json!(input))).expect("focus");
    // Typed as keyboard input, so the page sees the same events a person's typing makes.
    tab.call("Input.insertText", json!({ "text": word }));
    results(tab, word)
}

/// The result links on the page once Pagefind's UI has reported the search for `word` done
/// ("2 results for …" or "No results for …") and shown every result it counted.
fn results(tab: &mut Tab<'_>, word: &str) -> Vec<String> {
    let done = format!(
        r#"(() => {{
            const message = document.querySelector(".pagefind-ui__message");
            const text = message ? message.textContent : "";
            const counted = text.match(/^(\d+|No) results? for (.*)$/);
            if (!counted || counted[2] !== {word}) return null;
            const expected = counted[1] === "No" ? 0 : Number(counted[1]);
            const links = [...document.querySelectorAll(".pagefind-ui__result-link")];
            return links.length === expected && links.map(a => new URL(a.href).pathname);
        }})()"#,
        word = json!(word)
    );
    let links = wait_for(tab, &done);
    links.as_array().expect("a list").iter().map(|l| l.as_str().unwrap().to_owned()).collect()
}

/// The filter groups the search UI offers, shown as `Section` and `Tag`.
fn filter_names(tab: &mut Tab<'_>) -> Value {
    let names = r#"[...document.querySelectorAll(".pagefind-ui__filter-name")]
        .map(e => e.textContent.trim()).sort()"#;
    tab.eval(names).expect("read the filters")
}

#[test]
fn search_finds_gated_words_only_in_tiers_that_see_them() {
    let Some(chromium) = chromium_or_skip() else { return };
    let listeners: Vec<TcpListener> =
        TIERS.iter().map(|_| TcpListener::bind("127.0.0.1:0").expect("a loopback port")).collect();
    let origins: Vec<String> = listeners
        .iter()
        .map(|l| format!("http://{}", l.local_addr().expect("an address")))
        .collect();
    let base_urls: Vec<String> =
        TIERS.iter().zip(&origins).map(|((_, path), origin)| format!("{origin}{path}")).collect();
    let dir = tempfile::tempdir().expect("temp dir");
    write_site(dir.path(), &base_urls);
    let output = dir.path().join("public");
    run_build(dir.path(), &output, &[]);
    // Each tier's folder served on its own, as a host would: at the root, or mounted under
    // its sub-path.
    let servers: Vec<LoopbackServer> = TIERS
        .iter()
        .zip(listeners)
        .map(|((id, path), listener)| {
            let sub_path = path.trim_matches('/');
            if sub_path.is_empty() {
                return LoopbackServer::serve_folder(listener, output.join(id));
            }
            let mount = dir.path().join(format!("mount-{id}"));
            let folder = mount.join(sub_path);
            std::fs::create_dir_all(folder.parent().expect("a parent")).expect("mount point");
            std::os::unix::fs::symlink(output.join(id), &folder).expect("mount the tier");
            LoopbackServer::serve_folder(listener, mount)
        })
        .collect();

    let mut browser = Browser::launch(&chromium);
    let mut tab = browser.open_tab();
    for ((id, _), base_url) in TIERS.iter().zip(&base_urls) {
        let page = format!("{base_url}search/");
        assert_eq!(tab.load(&page), 200, "{page}");
        let found = search(&mut tab, GATED_WORD);
        if *id == "strategic" {
            assert_eq!(found, [format!("{}vault/plan/", path_of(base_url))], "{id}");
        } else {
            assert_eq!(found, Vec::<String>::new(), "{GATED_WORD} found in tier `{id}`");
        }
        assert_eq!(filter_names(&mut tab), json!(["Section", "Tag"]), "{id}");
        assert_eq!(tab.problems(), Vec::<String>::new(), "{page} logged errors");

        // The header's search box sends its words to the search page as `?q=`.
        let query = format!("{base_url}search/?q={OPEN_WORD}");
        assert_eq!(tab.load(&query), 200, "{query}");
        let found = results(&mut tab, OPEN_WORD);
        assert_eq!(found, [format!("{}guides/welcome/", path_of(base_url))], "{id}");
        assert_eq!(tab.problems(), Vec::<String>::new(), "{query} logged errors");
    }
    drop(servers);
}

/// The path of a base URL: `/` or `/partners/active/`.
fn path_of(base_url: &str) -> &str {
    let rest = base_url.strip_prefix("http://").expect("an http URL");
    &rest[rest.find('/').expect("a path")..]
}
