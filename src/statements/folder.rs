//! Where statements go: a private folder, never anywhere the portal is published from.
//!
//! Statements carry every partner's commission figures, so a folder that a build writes to,
//! or that feeds one (`content/`, `themes/`), is refused outright. Files are written whole or
//! not at all (a temporary file renamed over the old one) and readable by their owner only.

use std::path::{Path, PathBuf};

use crate::output::MARKER;

#[derive(Debug, thiserror::Error)]
pub enum FolderError {
    #[error(
        "refusing to write statements into `{out}`: it is inside {inside}\n  \
         help: statements hold every partner's commission figures; pass an `--out` folder \
         outside the published site and the content, such as `statements`"
    )]
    Published { out: PathBuf, inside: String },
    #[error(
        "refusing to write statements into `{folder}`: it is a link to `{target}`\n  \
         help: statements go into a real folder inside `--out`, never where a link leads; \
         remove the link (`rm {folder}`) and run again, or pass another `--out`"
    )]
    Link { folder: PathBuf, target: PathBuf },
    #[error("cannot write `{path}`: {source}")]
    Io { path: PathBuf, source: std::io::Error },
}

fn failed(path: &Path) -> impl FnOnce(std::io::Error) -> FolderError + '_ {
    move |source| FolderError::Io { path: path.to_path_buf(), source }
}

/// A folder statements may go into: outside `<root>/public`, `content/`, `themes/` and any
/// folder holding a portico output marker, links resolved.
#[derive(Debug, Clone)]
pub struct Private {
    root: PathBuf,
    out: PathBuf,
}

impl Private {
    /// Checks `out` for the site at `root`, before anything is read or written.
    pub fn new(root: &Path, out: &Path) -> Result<Private, FolderError> {
        refuse_published(root, out)?;
        Ok(Private { root: root.to_path_buf(), out: out.to_path_buf() })
    }

    /// Writes `files` (name, bytes) into `<out>/<name>`, creating the folders readable by
    /// their owner only, and answers that folder. The folder is checked again once it exists,
    /// as `out` was: a link planted in `out` under the period's name would otherwise carry the
    /// statements wherever it points.
    pub fn write(&self, name: &str, files: &[(String, Vec<u8>)]) -> Result<PathBuf, FolderError> {
        let folder = self.out.join(name);
        refuse_link(&folder)?;
        create_private(&folder)?;
        refuse_link(&folder)?;
        refuse_published(&self.root, &folder)?;
        for (name, bytes) in files {
            let path = folder.join(name);
            let mut temp = tempfile::NamedTempFile::new_in(&folder).map_err(failed(&path))?;
            // A temporary file is created 0600 and the rename keeps that mode, so a file that
            // existed with a wider one is replaced by a private one.
            std::io::Write::write_all(temp.as_file_mut(), bytes)
                .and_then(|()| temp.as_file().sync_all())
                .map_err(failed(&path))?;
            temp.persist(&path).map_err(|e| failed(&path)(e.error))?;
        }
        warn_if_shared(&self.out)?;
        warn_if_shared(&folder)?;
        Ok(folder)
    }
}

/// Refuses `out` when it is, or is inside, `<root>/public`, `content/`, `themes/` or any
/// folder holding a portico output marker.
fn refuse_published(root: &Path, out: &Path) -> Result<(), FolderError> {
    let target = resolved(out).map_err(failed(out))?;
    let root = resolved(root).map_err(failed(root))?;
    for name in ["public", "content", "themes"] {
        let folder = resolved(&root.join(name)).map_err(failed(root.as_path()))?;
        if target.starts_with(&folder) {
            let inside = format!("the site's `{name}/` folder");
            return Err(FolderError::Published { out: out.to_path_buf(), inside });
        }
    }
    if let Some(output) = target.ancestors().find(|folder| folder.join(MARKER).is_file()) {
        let inside = format!("`{}`, a folder `portico build` writes", output.display());
        return Err(FolderError::Published { out: out.to_path_buf(), inside });
    }
    Ok(())
}

/// Refuses `folder` when it is a link, whether or not what it points to exists.
fn refuse_link(folder: &Path) -> Result<(), FolderError> {
    match std::fs::symlink_metadata(folder) {
        Ok(meta) if meta.file_type().is_symlink() => {
            let target = std::fs::read_link(folder).map_err(failed(folder))?;
            Err(FolderError::Link { folder: folder.to_path_buf(), target })
        }
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(failed(folder)(e)),
    }
}

/// `path` made absolute with the links in the part of it that exists resolved, so that a
/// link cannot smuggle the folder into the published site.
fn resolved(path: &Path) -> std::io::Result<PathBuf> {
    let absolute = std::path::absolute(path)?;
    let existing = absolute.ancestors().find(|p| p.exists()).unwrap_or(Path::new("/"));
    let missing = absolute.strip_prefix(existing).unwrap_or(Path::new(""));
    Ok(existing.canonicalize()?.join(missing))
}

fn create_private(folder: &Path) -> Result<(), FolderError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(folder).map_err(failed(folder))
}

/// Folders portico creates are private; one that existed before is left as it is, with a word
/// when others may look inside.
fn warn_if_shared(folder: &Path) -> Result<(), FolderError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(folder).map_err(failed(folder))?.permissions().mode();
        if mode & 0o077 != 0 {
            tracing::warn!(
                "other users of this machine can open `{}`; the statements in it are readable \
                 by you only, but consider `chmod 700 {}`",
                folder.display(),
                folder.display()
            );
        }
    }
    Ok(())
}
