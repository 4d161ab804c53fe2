//! The site `serve` holds in memory: the last good build of every tier, the problems of the
//! latest build, and which URLs a rebuild changed.
//!
//! A failed rebuild keeps the last good site; its problems are shown on every page until a
//! rebuild succeeds. Each rebuild produces exactly the bytes `build` would write, so the
//! preview cannot show a page the real build would not produce.
//!
//! The search index takes far longer to build than the pages, so the server publishes the
//! pages first ([`Live::rebuild_pages`], still searching the previous index) and builds the
//! new index on another thread ([`Live::stale_search`]), installing it when it is ready
//! ([`Live::install_search`]).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

use crate::build::{self, BuildError};
use crate::output::Contents;
use crate::render::TierOutput;
use crate::site_url::BaseUrl;

/// A served file: bytes in memory, or a file copied as it is (read when requested).
#[derive(Debug, Clone)]
pub enum Served {
    Bytes(Arc<Vec<u8>>),
    File { path: PathBuf, modified: Option<SystemTime>, len: u64 },
}

impl PartialEq for Served {
    fn eq(&self, other: &Served) -> bool {
        match (self, other) {
            // A reused render is the same allocation: no need to compare its bytes.
            (Served::Bytes(a), Served::Bytes(b)) => Arc::ptr_eq(a, b) || a == b,
            (Served::File { .. }, Served::File { .. }) => self.file_stamp() == other.file_stamp(),
            _ => false,
        }
    }
}

impl Eq for Served {}

impl Served {
    fn file_stamp(&self) -> Option<(&PathBuf, &Option<SystemTime>, &u64)> {
        match self {
            Served::File { path, modified, len } => Some((path, modified, len)),
            Served::Bytes(_) => None,
        }
    }

    fn from_contents(contents: &Contents) -> Served {
        match contents {
            Contents::Bytes(bytes) => Served::Bytes(bytes.clone()),
            Contents::Copy(path) => {
                let metadata = std::fs::metadata(path).ok();
                Served::File {
                    path: path.clone(),
                    modified: metadata.as_ref().and_then(|m| m.modified().ok()),
                    len: metadata.map_or(0, |m| m.len()),
                }
            }
        }
    }

    /// The bytes, reading a copied file now.
    pub fn bytes(&self) -> std::io::Result<Arc<Vec<u8>>> {
        match self {
            Served::Bytes(bytes) => Ok(bytes.clone()),
            Served::File { path, .. } => std::fs::read(path).map(Into::into),
        }
    }
}

/// One tier, as the index page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TierEntry {
    pub id: String,
    pub name: String,
}

/// Which pages a browser should reload after a rebuild.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reload {
    Nothing,
    /// URL paths such as `/active/icps/saas/` whose bytes changed, appeared or went away.
    Pages(BTreeSet<String>),
    /// A stylesheet, script or the error state changed: every page.
    Everything,
}

/// What a rebuild is asked to build.
#[derive(Debug, Clone)]
pub struct LiveOptions {
    pub root: PathBuf,
    pub drafts: bool,
    /// Tier ids to serve; empty means every tier.
    pub tiers: Vec<String>,
    /// Where the server answers, such as `http://127.0.0.1:4300/`.
    pub base: BaseUrl,
}

/// What the server answers from: one finished build, never changed once made.
#[derive(Debug, Default)]
pub struct Snapshot {
    tiers: Vec<TierEntry>,
    /// `tier/path` → file, of the last good build.
    files: BTreeMap<String, Served>,
    /// The latest build's problems, as printed; empty when it succeeded.
    problems: Vec<String>,
}

impl Snapshot {
    pub fn tiers(&self) -> &[TierEntry] {
        &self.tiers
    }

    pub fn problems(&self) -> &[String] {
        &self.problems
    }

    /// The file at `tier/path`, from the last good build.
    pub fn file(&self, tier: &str, path: &str) -> Option<&Served> {
        self.files.get(&format!("{tier}/{path}"))
    }
}

/// Builds snapshots, each from what changed since the last.
pub struct Live {
    options: LiveOptions,
    snapshot: Arc<Snapshot>,
    /// The last good build, whose unchanged files the next one reuses.
    outputs: Vec<TierOutput>,
    /// What the last load read and rendered, for the next one.
    cache: crate::content::Cache,
    /// The warnings of the last good build, so a rebuild tells only of new ones.
    warnings: std::collections::BTreeSet<String>,
}

impl Live {
    pub fn new(options: LiveOptions) -> Live {
        Live {
            options,
            snapshot: Default::default(),
            outputs: Vec::new(),
            cache: crate::content::Cache::kept(),
            warnings: Default::default(),
        }
    }

    /// The latest snapshot; a rebuild makes a new one and leaves this one as it is.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot.clone()
    }

    pub fn problems(&self) -> &[String] {
        self.snapshot.problems()
    }

    pub fn file(&self, tier: &str, path: &str) -> Option<&Served> {
        self.snapshot.file(tier, path)
    }

    /// Builds every served tier again, search index included, and says what changed.
    pub fn rebuild(&mut self) -> Reload {
        let reload = self.rebuild_pages();
        self.update_search();
        reload
    }

    /// Builds every served tier again, keeping the previous search index, and says what
    /// changed. [`Live::update_search`] brings the index up to date.
    pub fn rebuild_pages(&mut self) -> Reload {
        let had_problems = !self.snapshot.problems.is_empty();
        match self.build() {
            Ok((tiers, outputs)) => {
                let files = snapshot(&outputs);
                let reload = changes(&self.snapshot.files, &files);
                self.snapshot = Arc::new(Snapshot { tiers, files, problems: Vec::new() });
                self.outputs = outputs;
                if had_problems { Reload::Everything } else { reload }
            }
            Err(error) => {
                let problems = describe(&error);
                for problem in &problems {
                    // The log adds its own `error:` label.
                    tracing::error!("{}", problem.strip_prefix("error: ").unwrap_or(problem));
                }
                let previous = &self.snapshot;
                self.snapshot = Arc::new(Snapshot {
                    tiers: previous.tiers.clone(),
                    files: previous.files.clone(),
                    problems,
                });
                Reload::Everything
            }
        }
    }

    fn build(&mut self) -> Result<(Vec<TierEntry>, Vec<TierOutput>), BuildError> {
        let started = std::time::Instant::now();
        let model = build::load_cached(&self.options.root, self.options.drafts, &mut self.cache)?;
        tracing::debug!("loaded in {} ms", started.elapsed().as_millis());
        let tiers = build::select_tiers(&model.program, &self.options.tiers)?;
        let entries =
            tiers.iter().map(|t| TierEntry { id: t.id.clone(), name: t.name.clone() }).collect();
        let mut outputs = build::render(&model, &tiers, Some(&self.options.base), &self.outputs)?;
        for output in &mut outputs {
            crate::search::carry_over(output, self.outputs.iter().find(|p| p.tier == output.tier));
        }
        tracing::debug!("rendered in {} ms", started.elapsed().as_millis());
        self.report_new_warnings(&model.warnings);
        Ok((entries, outputs))
    }

    /// Indexes for search the tiers whose pages changed since their index was built, here and
    /// now, and publishes the result.
    pub fn update_search(&mut self) {
        for pending in self.stale_search() {
            match crate::search::build(pending) {
                Ok(index) => self.install_search(index),
                Err(error) => tracing::error!("{error}"),
            }
        }
    }

    /// The searchable pages of every tier whose index was built from other pages.
    pub fn stale_search(&self) -> Vec<crate::search::Pending> {
        self.outputs.iter().filter_map(crate::search::pending).collect()
    }

    /// Puts a built index into its tier's site and publishes it.
    pub fn install_search(&mut self, index: crate::search::Index) {
        let Some(output) = self.outputs.iter_mut().find(|o| o.tier == index.tier()) else {
            return;
        };
        crate::search::install(output, index);
        let previous = &self.snapshot;
        self.snapshot = Arc::new(Snapshot {
            tiers: previous.tiers.clone(),
            files: snapshot(&self.outputs),
            problems: previous.problems.clone(),
        });
    }

    /// Logs the warnings this build has that the last one did not, a few at most. A warning
    /// is the same one while its file and message are, even if its line moved.
    fn report_new_warnings(&mut self, warnings: &[crate::diagnostic::Diagnostic]) {
        const SHOWN: usize = 10;
        let now: std::collections::BTreeSet<String> =
            warnings.iter().map(|w| format!("{}: {}", w.path.display(), w.message)).collect();
        let new: Vec<&crate::diagnostic::Diagnostic> = warnings
            .iter()
            .filter(|w| !self.warnings.contains(&format!("{}: {}", w.path.display(), w.message)))
            .collect();
        for warning in new.iter().take(SHOWN) {
            tracing::warn!("{}", warning.to_string().trim_start_matches("warning: "));
        }
        if new.len() > SHOWN {
            tracing::warn!(
                "{} more new warnings; `portico build` lists them all",
                new.len() - SHOWN
            );
        }
        self.warnings = now;
    }
}

fn snapshot(outputs: &[TierOutput]) -> BTreeMap<String, Served> {
    outputs
        .iter()
        .flat_map(|tier| {
            tier.files.iter().map(move |f| {
                (format!("{}/{}", tier.tier, f.path), Served::from_contents(&f.contents))
            })
        })
        .collect()
}

/// The URLs whose files differ between two snapshots. A changed search index reloads nothing:
/// a search page loads the index when it searches.
fn changes(old: &BTreeMap<String, Served>, new: &BTreeMap<String, Served>) -> Reload {
    let keys: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    let mut pages = BTreeSet::new();
    for key in keys {
        let in_index = key.split_once('/').is_some_and(|(_, path)| crate::search::in_folder(path));
        if in_index || old.get(key) == new.get(key) {
            continue;
        }
        if !key.ends_with(".html") {
            return Reload::Everything;
        }
        let url = format!("/{key}");
        pages.insert(url.strip_suffix("index.html").map_or(url.clone(), str::to_string));
    }
    if pages.is_empty() { Reload::Nothing } else { Reload::Pages(pages) }
}

fn describe(error: &BuildError) -> Vec<String> {
    match error {
        BuildError::Invalid(problems) => problems.iter().map(ToString::to_string).collect(),
        other => vec![other.to_string()],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(text: &str) -> Served {
        Served::Bytes(std::sync::Arc::new(text.as_bytes().to_vec()))
    }

    #[test]
    fn reports_changed_pages_by_url() {
        let old = BTreeMap::from([
            ("t/a/index.html".to_string(), bytes("1")),
            ("t/b/index.html".into(), bytes("1")),
        ]);
        let new = BTreeMap::from([
            ("t/a/index.html".to_string(), bytes("2")),
            ("t/b/index.html".into(), bytes("1")),
        ]);
        let Reload::Pages(pages) = changes(&old, &new) else { panic!() };
        assert_eq!(pages.into_iter().collect::<Vec<_>>(), ["/t/a/"]);
    }

    #[test]
    fn a_changed_stylesheet_reloads_everything() {
        let old = BTreeMap::from([("t/style.css".to_string(), bytes("a"))]);
        let new = BTreeMap::from([("t/style.css".to_string(), bytes("b"))]);
        assert_eq!(changes(&old, &new), Reload::Everything);
        assert_eq!(changes(&new, &new), Reload::Nothing);
    }
}
