//! Watching the site for edits: `partners.yaml`, `content/` and `themes/`.
//!
//! The whole site folder is watched recursively, so folders created after start, atomic
//! rename-over saves and a replaced `partners.yaml` are all seen. Editor temporary and swap
//! files, and the output folder, are not edits.

use std::path::{Path, PathBuf};
use std::time::Duration;

use notify_debouncer_full::notify::event::{AccessKind, AccessMode};
use notify_debouncer_full::notify::{
    self, EventKind, PollWatcher, RecommendedWatcher, RecursiveMode,
};
use notify_debouncer_full::{
    DebounceEventResult, Debouncer, NoCache, RecommendedCache, new_debouncer_opt,
};

use crate::content::is_ignored_name;

/// How long the watcher waits for an editor's burst of events (write, rename, chmod) to end.
const SETTLE: Duration = Duration::from_millis(10);
/// How often `--poll` looks at the files.
const POLL_INTERVAL: Duration = Duration::from_millis(250);

/// A running watcher; dropping it stops watching.
pub enum Watcher {
    Native(Debouncer<RecommendedWatcher, RecommendedCache>),
    Polling(Debouncer<PollWatcher, NoCache>),
}

/// Calls `on_edit` after each burst of edits to the site's sources.
pub fn watch(
    root: &Path,
    output: &Path,
    poll: bool,
    on_edit: impl Fn() + Send + 'static,
) -> notify::Result<Watcher> {
    let filter = Filter { root: root.to_path_buf(), output: output.to_path_buf() };
    let handler = move |result: DebounceEventResult| match result {
        Ok(events)
            if events
                .iter()
                .any(|e| is_edit(&e.kind) && e.paths.iter().any(|p| filter.is_source(p))) =>
        {
            on_edit()
        }
        Ok(_) => {}
        Err(errors) => errors.iter().for_each(|e| tracing::warn!("watching files: {e}")),
    };
    let mut watcher = if poll {
        let config =
            notify::Config::default().with_poll_interval(POLL_INTERVAL).with_compare_contents(true);
        Watcher::Polling(new_debouncer_opt(SETTLE, None, handler, NoCache, config)?)
    } else {
        let config = notify::Config::default();
        Watcher::Native(new_debouncer_opt(SETTLE, None, handler, RecommendedCache::new(), config)?)
    };
    match &mut watcher {
        Watcher::Native(d) => d.watch(root, RecursiveMode::Recursive)?,
        Watcher::Polling(d) => d.watch(root, RecursiveMode::Recursive)?,
    }
    Ok(watcher)
}

/// Whether an event can change a file. inotify also reports files being opened and read, and
/// a rebuild reads every source: counting those would make each rebuild trigger the next.
fn is_edit(kind: &EventKind) -> bool {
    match kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) => false,
        _ => true,
    }
}

struct Filter {
    root: PathBuf,
    output: PathBuf,
}

impl Filter {
    /// Whether a changed path is one of the site's sources.
    fn is_source(&self, path: &Path) -> bool {
        if path.starts_with(&self.output) {
            return false;
        }
        let Ok(relative) = path.strip_prefix(&self.root) else { return false };
        let mut parts = relative.components().map(|c| c.as_os_str().to_string_lossy());
        let Some(first) = parts.next() else { return false };
        let in_sources = matches!(first.as_ref(), "content" | "themes")
            || relative == Path::new("partners.yaml");
        in_sources
            && !relative.components().any(|c| is_ignored_name(&c.as_os_str().to_string_lossy()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_sources_are_edits() {
        let filter = Filter { root: "/site".into(), output: "/site/public".into() };
        assert!(filter.is_source(Path::new("/site/content/a.md")));
        assert!(filter.is_source(Path::new("/site/partners.yaml")));
        assert!(filter.is_source(Path::new("/site/themes/default/templates/page.html")));
        for ignored in [
            "/site/public/active/index.html",
            "/site/content/.a.md.swp",
            "/site/content/4913",
            "/site/content/a.md~",
            "/site/content/#a.md#",
            "/site/content/a.md___jb_tmp___",
            "/site/content/.goutputstream-XYZ",
            "/site/README.md",
            "/site/target/debug/x",
        ] {
            assert!(!filter.is_source(Path::new(ignored)), "{ignored}");
        }
    }
}
