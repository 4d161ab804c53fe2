//! Search: one Pagefind index per tier, built from the HTML that tier's render produced.
//!
//! The index is fed only the tier's own rendered pages and section listings, so it cannot hold
//! a page the tier cannot see. Its files go under `pagefind/` in the tier's site and are plain
//! static files: the browser loads `pagefind.js`, which finds the rest beside itself, so the
//! same files work at a domain root and under a sub-path. Pages are indexed under their site
//! path (`/icps/saas/`), and Pagefind's script puts the tier's folder in front
//! (`/partners/active/icps/saas/`).
//!
//! Indexing costs far more than rendering, so a tier is indexed again only when the HTML of a
//! searchable page changed. The preview shows new pages at once with the index it had
//! ([`carry_over`]), and builds the new one ([`pending`], [`build`], [`install`]) without
//! holding up the next rebuild.

use std::future::Future;
use std::path::Path;
use std::sync::Arc;

use pagefind::api::PagefindIndex;
use pagefind::options::PagefindServiceConfig;

use crate::output::{Contents, OutputFile};
use crate::render::TierOutput;

/// The folder of a tier's site that holds its search index and Pagefind's scripts.
pub const FOLDER: &str = "pagefind";

#[derive(Debug, thiserror::Error)]
#[error("cannot build the search index of tier `{tier}`: {reason}")]
pub struct SearchError {
    tier: String,
    reason: String,
}

/// A tier's searchable pages whose index is out of date: what [`build`] indexes. It holds the
/// pages' bytes (shared, not copied), so the index can be built while the site moves on.
pub struct Pending {
    tier: String,
    fingerprint: u64,
    /// Site path (`icps/saas/`) and HTML, sorted by path.
    pages: Vec<(String, Arc<Vec<u8>>)>,
}

/// A built search index, ready for [`install`].
pub struct Index {
    tier: String,
    fingerprint: u64,
    files: Vec<OutputFile>,
}

impl Index {
    pub fn tier(&self) -> &str {
        &self.tier
    }
}

/// The pages [`build`] must index for `output`, unless the index it has (see
/// [`keep_written`]) was built from the same HTML or search is off.
pub fn stale(output: &TierOutput) -> Option<Pending> {
    output.searchable.as_ref()?;
    let pending = pending(output);
    if pending.is_none() {
        tracing::debug!("tier `{}`: the search index is up to date", output.tier);
    }
    pending
}

/// The pages to index when `output`'s index was not built from its current pages.
pub fn pending(output: &TierOutput) -> Option<Pending> {
    let pages = documents(output)?;
    let fingerprint = crate::fingerprint::of(&pages);
    if output.search_fingerprint == Some(fingerprint) {
        return None;
    }
    let pages = pages.into_iter().map(|(path, html)| (path.to_string(), html.clone())).collect();
    Some(Pending { tier: output.tier.clone(), fingerprint, pages })
}

/// Builds the index of the pending pages.
pub fn build(pending: Pending) -> Result<Index, SearchError> {
    let started = std::time::Instant::now();
    let count = pending.pages.len();
    let files = index(&pending.pages)
        .map_err(|reason| SearchError { tier: pending.tier.clone(), reason })?;
    tracing::debug!(
        "tier `{}`: indexed {count} pages for search in {} ms",
        pending.tier,
        started.elapsed().as_millis()
    );
    Ok(Index { tier: pending.tier, fingerprint: pending.fingerprint, files })
}

/// Puts a built index into its tier's site, in place of the one it had, with its record.
pub fn install(output: &mut TierOutput, index: Index) {
    let fingerprint = index.fingerprint;
    replace_index(output, index.into_files(), Some(fingerprint));
}

impl Index {
    /// The index's files, as paths of the tier's site, with the record of what it indexed.
    pub fn into_files(self) -> Vec<OutputFile> {
        let mut files = self.files;
        files.push(record(self.fingerprint, &files));
        files
    }
}

/// The file beside each tier's index that says which pages it was built from and which files
/// (with their lengths) make it up, so that the next `build` can keep an index still current.
const RECORD: &str = "pagefind/portico-index.txt";

fn record(fingerprint: u64, files: &[OutputFile]) -> OutputFile {
    let mut text = format!("{fingerprint:016x}\n");
    let mut lines: Vec<String> = files
        .iter()
        .filter_map(|file| match &file.contents {
            Contents::Bytes(bytes) => Some(format!("{} {}\n", file.path, bytes.len())),
            Contents::Copy(_) => None,
        })
        .collect();
    // Pagefind hands its files over in no fixed order; the record must not vary.
    lines.sort();
    text.extend(lines);
    OutputFile { path: RECORD.to_string(), contents: Contents::Bytes(text.into_bytes().into()) }
}

/// Keeps the index that a previous build wrote into `tier_dir` when it was built from the very
/// pages the tier has now and all its files are there as recorded: indexing a large site takes
/// seconds, and a rebuild with no change should not.
pub fn keep_written(output: &mut TierOutput, tier_dir: &Path) {
    let Ok(text) = std::fs::read_to_string(tier_dir.join(RECORD)) else { return };
    let mut lines = text.lines();
    let recorded = lines.next().and_then(|line| u64::from_str_radix(line, 16).ok());
    let Some(pages) = documents(output) else { return };
    if recorded != Some(crate::fingerprint::of(pages)) {
        return;
    }
    let mut files = Vec::new();
    for line in lines {
        let Some((path, length)) = line.rsplit_once(' ') else { return };
        let source = tier_dir.join(path);
        let intact = std::fs::metadata(&source).is_ok_and(|m| m.len().to_string() == length);
        if !in_folder(path) || path.contains("..") || !intact {
            return;
        }
        files.push(OutputFile { path: path.to_string(), contents: Contents::Copy(source) });
    }
    files.push(OutputFile {
        path: RECORD.to_string(),
        contents: Contents::Copy(tier_dir.join(RECORD)),
    });
    replace_index(output, files, recorded);
}

/// Gives `output` the index files of `previous` as they are, stale or not, so the preview keeps
/// a working search until a new index is installed.
pub fn carry_over(output: &mut TierOutput, previous: Option<&TierOutput>) {
    let Some(previous) = previous else { return };
    if output.searchable.is_none() {
        return;
    }
    let files = previous.files.iter().filter(|f| in_folder(&f.path)).cloned().collect();
    replace_index(output, files, previous.search_fingerprint);
}

/// Whether a site path is one of the index's files.
pub fn in_folder(path: &str) -> bool {
    path.strip_prefix(FOLDER).is_some_and(|rest| rest.starts_with('/'))
}

/// Replaces the index files of `output`, recording the fingerprint of the pages they index.
fn replace_index(output: &mut TierOutput, index: Vec<OutputFile>, fingerprint: Option<u64>) {
    output.files.retain(|f| !in_folder(&f.path));
    output.files.extend(index);
    output.files.sort_by(|a, b| a.path.cmp(&b.path));
    output.search_fingerprint = fingerprint;
}

/// A searchable page: its site path and its HTML.
type Document<'a> = (&'a str, &'a Arc<Vec<u8>>);

/// The searchable pages of a tier, as (site path, HTML), sorted by path: Pagefind numbers pages
/// in the order they are added, and the numbers are in its files. `None` when search is off.
fn documents(output: &TierOutput) -> Option<Vec<Document<'_>>> {
    let mut pages: Vec<Document<'_>> = output
        .searchable
        .as_ref()?
        .iter()
        .filter_map(|path| {
            let at = output.files.binary_search_by(|f| f.path.as_str().cmp(path)).ok()?;
            match &output.files[at].contents {
                Contents::Bytes(html) => Some((path.strip_suffix("index.html")?, html)),
                Contents::Copy(_) => None,
            }
        })
        .collect();
    pages.sort_by_key(|(path, _)| *path);
    Some(pages)
}

/// Builds the search index of `pages` (site path and HTML, in order), returned as files of the
/// tier's site.
fn index(pages: &[(String, Arc<Vec<u8>>)]) -> Result<Vec<OutputFile>, String> {
    let pages: Vec<(String, String)> = pages
        .iter()
        .map(|(path, html)| (format!("/{path}"), String::from_utf8_lossy(html).into_owned()))
        .collect();
    let describe = |error: anyhow::Error| format!("{error:#}");
    let files = block_on(async move {
        // Pagefind reads the page's `<html lang>` for stemming.
        let config = PagefindServiceConfig::builder().build();
        let mut index = PagefindIndex::new(Some(config)).map_err(describe)?;
        for (url, html) in pages {
            index.add_html_file(None, Some(url), html).await.map_err(describe)?;
        }
        index.get_files().await.map_err(describe)
    })??;
    Ok(files
        .into_iter()
        .filter(|f| is_used(&f.filename))
        .map(|f| OutputFile {
            path: format!("{FOLDER}/{}", f.filename.to_string_lossy().replace('\\', "/")),
            contents: Contents::Bytes(f.contents.into()),
        })
        .collect())
}

/// Whether the site needs a file Pagefind produced. The default search UI needs `pagefind.js`,
/// its worker, the stemming WebAssembly and the index; the other UIs Pagefind ships
/// (modular, component) and its highlighting script are left out.
fn is_used(file: &Path) -> bool {
    let name = file.to_string_lossy();
    let extension = file.extension().and_then(|e| e.to_str()).unwrap_or("");
    matches!(
        name.as_ref(),
        "pagefind.js"
            | "pagefind-worker.js"
            | "pagefind-ui.js"
            | "pagefind-ui.css"
            | "pagefind-entry.json"
    ) || matches!(extension, "pagefind" | "pf_meta" | "pf_fragment" | "pf_index" | "pf_filter")
}

/// Runs Pagefind's async API to completion on a runtime of its own. On a thread that already
/// runs async code another runtime can neither block nor be dropped, so there it runs on a
/// thread of its own.
fn block_on<F>(future: F) -> Result<F::Output, String>
where
    F: Future + Send,
    F::Output: Send,
{
    let run = || {
        // Pagefind hands each page to a blocking task; a one-thread runtime is all it needs.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .map_err(|e| format!("cannot start the indexer: {e}"))?;
        Ok(runtime.block_on(future))
    };
    if tokio::runtime::Handle::try_current().is_err() {
        return run();
    }
    std::thread::scope(|scope| {
        let indexer = scope.spawn(run);
        indexer.join().unwrap_or_else(|_| Err("the indexer panicked".to_string()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(title: &str, word: &str) -> String {
        format!(
            "<html lang=\"en\"><body><main data-pagefind-body><h1>{title}</h1><p>{word}</p>\
             </main></body></html>"
        )
    }

    #[test]
    fn indexes_the_same_pages_into_the_same_bytes() {
        let pages = [("a/", page("Alpha", "apples")), ("b/", page("Beta", "bananas"))]
            .map(|(path, html)| (path.to_string(), Arc::new(html.as_bytes().to_vec())));
        let first = index(&pages).unwrap();
        assert_eq!(first, index(&pages).unwrap());
        let paths: Vec<&str> = first.iter().map(|f| f.path.as_str()).collect();
        for expected in
            ["pagefind/pagefind.js", "pagefind/pagefind-ui.js", "pagefind/wasm.en.pagefind"]
        {
            assert!(paths.contains(&expected), "{expected} missing from {paths:?}");
        }
        assert!(paths.iter().any(|p| p.starts_with("pagefind/fragment/")), "{paths:?}");
        assert!(!paths.iter().any(|p| p.contains("modular")), "{paths:?}");
    }

    #[test]
    fn indexes_inside_a_running_runtime() {
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let pages = [(String::new(), Arc::new(page("Alpha", "apples").into_bytes()))];
        let files = runtime.block_on(async { index(&pages) }).unwrap();
        assert!(files.iter().any(|f| f.path == "pagefind/pagefind-entry.json"));
    }

    #[test]
    fn only_the_index_folder_is_the_index() {
        assert!(in_folder("pagefind/pagefind.js"));
        assert!(!in_folder("pagefind-notes/index.html"));
        assert!(!in_folder("pagefind"));
    }
}
