//! Writing tier sites to disk: only files whose bytes changed, stale files removed, and never
//! anything outside an output folder that portico itself created.
//!
//! The output folder carries a marker file. A folder without it that already holds files is
//! refused, so a mistyped `--output` cannot wipe someone's work.

use std::collections::HashSet;
use std::io;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use walkdir::WalkDir;

use crate::render::{Contents, OutputFile, TierOutput};

/// The file that marks a folder as portico's output.
pub const MARKER: &str = ".portico-output";

#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error(
        "refusing to write into `{0}`: it already holds files and was not created by portico\n  \
         help: move those files away, or pass `--output <new folder>`"
    )]
    NotOurs(PathBuf),
    #[error(
        "refusing to write into `{0}`: it holds the site's own files\n  \
         help: pass an `--output` folder of its own, such as `public`"
    )]
    Overlaps(PathBuf),
    #[error("cannot write `{path}`: {source}")]
    Io { path: PathBuf, source: io::Error },
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> OutputError + '_ {
    move |source| OutputError::Io { path: path.to_path_buf(), source }
}

/// What a write changed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct WriteReport {
    pub written: usize,
    pub unchanged: usize,
    pub removed: usize,
}

/// Which stale files a write may remove.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every tier was built: anything else in the output folder is stale.
    Everything,
    /// Only the given tiers were built: leave other tiers' folders alone.
    TheseTiers,
}

/// Checks that `output` may be written: not the site itself, and ours or empty.
pub fn prepare(site_root: &Path, output: &Path) -> Result<(), OutputError> {
    let root = site_root.canonicalize().map_err(io_error(site_root))?;
    let target = absolute(output)?;
    let protected =
        [root.join("content"), root.join("themes"), root.join("partners.yaml"), root.join("src")];
    if root.starts_with(&target) || protected.iter().any(|p| target.starts_with(p)) {
        return Err(OutputError::Overlaps(output.to_path_buf()));
    }
    if target.exists() {
        if !target.is_dir() {
            return Err(OutputError::NotOurs(output.to_path_buf()));
        }
        let has_marker = target.join(MARKER).is_file();
        let empty = std::fs::read_dir(&target).map_err(io_error(output))?.next().is_none();
        if !has_marker && !empty {
            return Err(OutputError::NotOurs(output.to_path_buf()));
        }
    }
    Ok(())
}

/// The absolute form of a path that may not exist yet, with symlinks of its existing part
/// resolved.
fn absolute(path: &Path) -> Result<PathBuf, OutputError> {
    let path = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().map_err(io_error(path))?.join(path)
    };
    let mut existing = path.as_path();
    let mut rest = Vec::new();
    while !existing.exists() {
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_os_string());
                existing = parent;
            }
            _ => break,
        }
    }
    let mut resolved = existing.canonicalize().map_err(io_error(existing))?;
    resolved.extend(rest.iter().rev());
    Ok(resolved)
}

/// Writes the tiers' files under `output/<tier>/`, then removes what is stale.
pub fn write(
    output: &Path,
    tiers: &[TierOutput],
    scope: Scope,
) -> Result<WriteReport, OutputError> {
    std::fs::create_dir_all(output).map_err(io_error(output))?;
    let marker = output.join(MARKER);
    if !marker.is_file() {
        let note =
            "This folder is written by `portico build`; its files are replaced on every build.\n";
        std::fs::write(&marker, note).map_err(io_error(&marker))?;
    }
    let files: Vec<(PathBuf, &OutputFile)> = tiers
        .iter()
        .flat_map(|t| t.files.iter().map(move |f| (output.join(&t.tier).join(&f.path), f)))
        .collect();
    let changed: Vec<bool> = files
        .par_iter()
        .map(|(path, file)| write_if_changed(path, &file.contents))
        .collect::<Result<_, _>>()?;
    let written = changed.iter().filter(|c| **c).count();
    let keep: HashSet<&Path> = files.iter().map(|(p, _)| p.as_path()).collect();
    let roots: Vec<PathBuf> = match scope {
        Scope::Everything => vec![output.to_path_buf()],
        Scope::TheseTiers => tiers.iter().map(|t| output.join(&t.tier)).collect(),
    };
    let mut removed = 0;
    for root in roots {
        removed += remove_stale(&root, &keep, &marker)?;
    }
    Ok(WriteReport { written, unchanged: files.len() - written, removed })
}

/// Writes a file unless it already holds these bytes; returns whether it wrote.
fn write_if_changed(path: &Path, contents: &Contents) -> Result<bool, OutputError> {
    let bytes: std::borrow::Cow<'_, [u8]> = match contents {
        Contents::Bytes(bytes) => bytes.into(),
        Contents::Copy(source) => std::fs::read(source).map_err(io_error(source))?.into(),
    };
    if let Ok(existing) = std::fs::metadata(path)
        && existing.is_file()
        && existing.len() == bytes.len() as u64
        && std::fs::read(path).is_ok_and(|old| old == *bytes)
    {
        return Ok(false);
    }
    let parent = path.parent().expect("output files live in a folder");
    std::fs::create_dir_all(parent).map_err(io_error(parent))?;
    if path.is_dir() {
        std::fs::remove_dir_all(path).map_err(io_error(path))?;
    }
    // Write beside the target and rename, so a reader never sees a half-written file.
    let temporary = parent
        .join(format!(".{}.portico-tmp", path.file_name().expect("a file name").to_string_lossy()));
    std::fs::write(&temporary, &bytes).map_err(io_error(&temporary))?;
    std::fs::rename(&temporary, path).map_err(io_error(path))?;
    Ok(true)
}

/// Deletes files under `root` that the build did not produce, then empty folders.
fn remove_stale(root: &Path, keep: &HashSet<&Path>, marker: &Path) -> Result<usize, OutputError> {
    if !root.is_dir() {
        return Ok(0);
    }
    let mut removed = 0;
    let mut folders = Vec::new();
    for entry in WalkDir::new(root).min_depth(1).contents_first(true) {
        let entry = entry.map_err(|e| OutputError::Io {
            path: e.path().unwrap_or(root).to_path_buf(),
            source: e.into_io_error().unwrap_or_else(|| io::Error::other("folder loop")),
        })?;
        let path = entry.path();
        if entry.file_type().is_dir() {
            folders.push(path.to_path_buf());
        } else if !keep.contains(path) && path != marker {
            std::fs::remove_file(path).map_err(io_error(path))?;
            removed += 1;
        }
    }
    for folder in folders {
        // Fails harmlessly when the folder still holds files.
        let _ = std::fs::remove_dir(&folder);
    }
    Ok(removed)
}
