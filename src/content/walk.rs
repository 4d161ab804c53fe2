//! Finding the files under `content/`: markdown files become pages or section indexes later,
//! other files become assets, and editor leftovers and files that cannot be published safely
//! are set aside or reported. Also the URL segment a file or folder name gives.

use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use crate::diagnostic::Diagnostic;

/// The files under `content/`, relative to it, in a stable order.
pub(super) struct Files {
    pub markdown: Vec<PathBuf>,
    pub assets: Vec<PathBuf>,
    /// Files that are neither, reported with the rest of the load's problems.
    pub problems: Vec<Diagnostic>,
}

pub(super) fn walk(content_dir: &Path) -> Result<Files, Vec<Diagnostic>> {
    if !content_dir.is_dir() {
        return Err(vec![
            Diagnostic::error(content_dir, "the content folder does not exist")
                .with_help("create a `content/` folder with an `_index.md` for the home page"),
        ]);
    }
    let mut files = Files { markdown: Vec::new(), assets: Vec::new(), problems: Vec::new() };
    let walker = WalkDir::new(content_dir).sort_by_file_name().into_iter();
    for entry in walker.filter_entry(|e| e.depth() == 0 || !is_hidden(e.file_name())) {
        let entry = entry.map_err(|e| {
            let path = e.path().unwrap_or(content_dir).to_path_buf();
            vec![Diagnostic::error(path, format!("cannot read the folder: {e}"))]
        })?;
        if !entry.file_type().is_file() {
            continue;
        }
        let relative =
            entry.path().strip_prefix(content_dir).expect("walk stays inside").to_path_buf();
        if let Some(problem) = unpublishable(entry.path(), &relative) {
            files.problems.push(problem);
            continue;
        }
        let extension = relative.extension().map(|e| e.to_string_lossy().to_lowercase());
        if relative.extension().is_some_and(|e| e == "md") {
            files.markdown.push(relative);
        } else if matches!(extension.as_deref(), Some("md" | "markdown" | "mdown" | "mkd")) {
            // Published as an asset, such a file would reach every tier with its front matter.
            let name = relative.with_extension("md");
            files.problems.push(
                Diagnostic::error(
                    Path::new("content").join(&relative),
                    "markdown files must end in `.md`",
                )
                .with_help(format!("rename it to `{}`", name.display())),
            );
        } else {
            files.assets.push(relative);
        }
    }
    Ok(files)
}

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    is_ignored_name(&name.to_string_lossy())
}

/// Editors and operating systems leave dot-files, backups and temporary files behind (vim's
/// `.x.swp` and `4913`, emacs's `#x#` and `.#x`, JetBrains' `x___jb_tmp___`, GNOME's
/// `.goutputstream-*`, Kate's `.x.kate-swp`, macOS's `.DS_Store` and `._x`); they are not
/// content and changes to them are not edits.
pub fn is_ignored_name(name: &str) -> bool {
    const LEFTOVERS: [&str; 8] =
        [".orig", ".bak", ".swp", ".swx", ".tmp", ".rej", "___jb_tmp___", "___jb_old___"];
    // A copy of a page such as `plan.md.save` or `plan.md.old` would be published raw, front
    // matter and all, to every tier.
    let markdown_copy = name.to_lowercase().contains(".md.");
    markdown_copy
        || name.starts_with('.')
        || name.ends_with('~')
        || name == "4913"
        || (name.starts_with('#') && name.ends_with('#'))
        || LEFTOVERS.iter().any(|suffix| name.ends_with(suffix))
}

/// Files that cannot be published safely: names with control characters (a newline would
/// split the output manifest's lines), `_Index.md`-style names that look like a section index
/// but are not one (the section's tier would not apply), and files that cannot be read.
fn unpublishable(path: &Path, relative: &Path) -> Option<Diagnostic> {
    let shown = Path::new("content").join(relative);
    let name = relative.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
    if relative.to_string_lossy().chars().any(char::is_control) {
        let problem = Diagnostic::error(shown, "the file's path holds a control character");
        return Some(problem.with_help("rename the file or folder without tabs or line breaks"));
    }
    let lower = name.to_lowercase();
    if matches!(lower.as_str(), "_index.md" | "index.md") && name != lower {
        let problem = Diagnostic::error(shown, format!("`{name}` is not read as `{lower}`"));
        return Some(problem.with_help(format!("rename it to `{lower}`")));
    }
    let markdown = relative.extension().is_some_and(|e| e == "md");
    if let (false, Err(e)) = (markdown, std::fs::File::open(path)) {
        return Some(Diagnostic::error(shown, format!("cannot read the file: {e}")));
    }
    None
}

/// The URL segment of a file or folder name.
pub(super) fn slug_of(path: &Path) -> String {
    slugify(&path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default())
}

/// A URL segment made of lowercase letters, digits and hyphens.
pub fn slugify(name: &str) -> String {
    let slug = slug::slugify(name);
    if slug.is_empty() { "page".to_string() } else { slug }
}
