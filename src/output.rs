//! Writing tier sites to disk: only files whose bytes changed, stale files removed, and never
//! anything outside an output folder that portico itself created.
//!
//! The output folder carries a manifest of the files portico wrote. A folder without it that
//! already holds files is refused, so a mistyped `--output` cannot wipe someone's work; files
//! someone adds to the output by hand are never removed, only reported.
//!
//! Rendering hands each tier's files over as [`OutputFile`]s, ready to write.

use std::collections::{BTreeSet, HashMap};
use std::io;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;
use walkdir::WalkDir;

/// The file that marks a folder as portico's output and lists the files portico wrote.
pub const MARKER: &str = ".portico-output";
/// The file a build holds locked while it writes.
const LOCK: &str = ".portico-lock";

/// A file of a tier's site, relative to the tier's folder with `/` separators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    pub path: String,
    pub contents: Contents,
}

/// What a file of the site holds: bytes rendered in memory, or a file to copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Contents {
    Bytes(Arc<Vec<u8>>),
    /// A file copied as it is (co-located assets, theme static files).
    Copy(PathBuf),
}

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
    #[error("refusing to write `{0}`: the path leaves its tier's folder or passes through a link")]
    UnsafePath(String),
    #[error(
        "refusing to replace {} that portico did not write: {}\n  \
         help: move them out of the output folder, or rename the pages that want their paths",
        if .0.len() == 1 { "a file" } else { "files" },
        .0.iter().map(|p| format!("`{}`", p.display())).collect::<Vec<_>>().join(", ")
    )]
    WouldReplace(Vec<PathBuf>),
    #[error("another portico build is writing into `{0}`\n  help: wait for it to finish")]
    Busy(PathBuf),
    #[error("cannot write `{path}`: {source}")]
    Io { path: PathBuf, source: io::Error },
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> OutputError + '_ {
    move |source| OutputError::Io { path: path.to_path_buf(), source }
}

/// What a write changed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct WriteReport {
    pub written: usize,
    pub unchanged: usize,
    pub removed: usize,
    /// Files in the output that portico did not write; they are left in place.
    pub foreign: Vec<PathBuf>,
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
    // Compare resolved paths: `content/` may itself be a link to another folder.
    let protected = ["content", "themes", "partners.yaml", "src"]
        .map(|name| root.join(name).canonicalize().unwrap_or_else(|_| root.join(name)));
    if root.starts_with(&target) || protected.iter().any(|p| target.starts_with(p)) {
        return Err(OutputError::Overlaps(output.to_path_buf()));
    }
    // Inside another output folder, one tier's pages would land in another tier's site.
    if target.ancestors().skip(1).any(|folder| folder.join(MARKER).is_file()) {
        return Err(OutputError::Overlaps(output.to_path_buf()));
    }
    if target.exists() {
        if !target.is_dir() {
            return Err(OutputError::NotOurs(output.to_path_buf()));
        }
        let has_marker = target.join(MARKER).is_file();
        // A lock, and a manifest not yet in place, left by a first build stopped before it
        // wrote anything do not make the folder someone else's.
        let entries: Vec<_> =
            std::fs::read_dir(&target).map_err(io_error(output))?.filter_map(Result::ok).collect();
        let leftover = |name: &std::ffi::OsStr| {
            name == LOCK || name.to_str().is_some_and(|n| n.starts_with(".portico-tmp."))
        };
        if !has_marker {
            if !entries.iter().all(|e| leftover(&e.file_name())) {
                return Err(OutputError::NotOurs(output.to_path_buf()));
            }
            for entry in entries.iter().filter(|e| e.file_name() != LOCK) {
                std::fs::remove_file(entry.path()).map_err(io_error(&entry.path()))?;
            }
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

/// A write in two steps, so a build can hand over its files a batch at a time and keep only
/// that batch in memory, yet change nothing a reader sees until every tier has rendered:
/// [`Staging::stage`] writes each changed file beside its target under a temporary name, and
/// [`Staging::commit`] removes stale files and renames the staged ones into place. Dropped
/// without a commit, it deletes what it staged. Into an output folder the build created, which
/// nobody reads yet, files go straight to their place, and a failed build removes the folder.
pub struct Staging {
    output: PathBuf,
    scope: Scope,
    _lock: std::fs::File,
    marker: PathBuf,
    previous: BTreeSet<String>,
    /// Every file of the tiers staged so far, as `tier/path`.
    manifest: BTreeSet<String>,
    /// Staged files: (temporary file, target).
    staged: Vec<(PathBuf, PathBuf)>,
    /// What the manifest on disk lists now: the previous build's files, this build's, and the
    /// temporary files, so that a build stopped half way leaves nothing unaccounted for.
    listed: BTreeSet<String>,
    /// Folders under the output looked at for links and files in the way, and whether a file
    /// of the previous build stands in the way of each.
    folders: HashMap<PathBuf, bool>,
    tiers: Vec<String>,
    unchanged: usize,
    /// Files written straight to their place, in a folder this build created.
    written_in_place: usize,
    /// The first write that failed in such a folder, and its tier: kept until the tier has
    /// rendered, so that a clash between two of its paths, found then, is what gets reported.
    failed: Option<(String, OutputError)>,
    /// Whether the commit began moving files.
    committing: bool,
    committed: bool,
    /// Whether this build created the output folder: a build that fails removes it again.
    created: bool,
}

impl Staging {
    /// Locks `output` (creating it) and reads what the previous build wrote there.
    pub fn begin(output: &Path, scope: Scope) -> Result<Staging, OutputError> {
        let created = !output.exists();
        std::fs::create_dir_all(output).map_err(io_error(output))?;
        let lock = lock(output)?;
        let marker = output.join(MARKER);
        let previous = read_manifest(&marker)?;
        Ok(Staging {
            output: output.to_path_buf(),
            scope,
            _lock: lock,
            marker,
            listed: previous.clone(),
            previous,
            folders: HashMap::new(),
            manifest: BTreeSet::new(),
            staged: Vec::new(),
            tiers: Vec::new(),
            unchanged: 0,
            written_in_place: 0,
            failed: None,
            committing: false,
            committed: false,
            created,
        })
    }

    /// Stages the files of one tier (or more files of a tier already staged): each file whose
    /// bytes differ from what is on disk is written under a temporary name beside its target.
    pub fn stage(&mut self, tier: &str, files: &[OutputFile]) -> Result<(), OutputError> {
        let mut targets: Vec<(PathBuf, &OutputFile)> = Vec::with_capacity(files.len());
        let mut unlisted = Vec::new();
        for file in files {
            let relative = format!("{tier}/{}", file.path);
            if !is_plain_relative(&relative) {
                return Err(OutputError::UnsafePath(relative));
            }
            targets.push((self.output.join(&relative), file));
            if !self.listed.contains(&relative) {
                unlisted.push(relative.clone());
            }
            self.manifest.insert(relative);
        }
        if !self.tiers.iter().any(|t| t == tier) {
            self.tiers.push(tier.to_string());
        }
        if self.created {
            if self.failed.as_ref().is_some_and(|(failed, _)| failed != tier) {
                return Err(self.failed.take().expect("checked above").1);
            }
            return self.write_in_place(tier, &targets, unlisted);
        }
        let blocked = check_targets(&self.output, &targets, &self.previous, &mut self.folders)?;
        let changed: Vec<(PathBuf, &OutputFile, bool)> = targets
            .into_par_iter()
            .zip(blocked)
            .filter(|((path, file), _)| !holds(path, &file.contents))
            .map(|((path, file), blocked)| (path, file, blocked))
            .collect();
        self.unchanged += files.len() - changed.len();
        // A file whose folder is blocked waits at the top of the output, where its folder's
        // ancestors cannot be in the way.
        let staged: Vec<(PathBuf, PathBuf)> = changed
            .iter()
            .map(|(path, _, blocked)| {
                let folder = if *blocked { &self.output } else { parent(path) };
                (temporary_in(folder), path.clone())
            })
            .collect();
        // Listed before they exist, so a build stopped half way leaves none unaccounted for.
        unlisted.extend(staged.iter().map(|(temporary, _)| relative(&self.output, temporary)));
        self.list(unlisted)?;
        let start = self.staged.len();
        // Recorded before they are written, so a batch that fails half way is taken back too.
        self.staged.extend(staged);
        let staged = &self.staged[start..];
        changed.par_iter().zip(staged).try_for_each(|((_, file, _), (temporary, path))| {
            stage_one(path, &file.contents, temporary)
        })
    }

    /// Adds `entries` to the manifest on disk: appended when it is a plain file, so a site staged
    /// batch by batch does not have its list written again and again. The commit writes it
    /// whole and in order.
    fn list(&mut self, entries: Vec<String>) -> Result<(), OutputError> {
        use std::io::Write;
        if entries.is_empty() {
            return Ok(());
        }
        if !self.marker.symlink_metadata().is_ok_and(|m| m.is_file()) {
            let all: BTreeSet<String> = self.listed.iter().chain(&entries).cloned().collect();
            write_manifest(&self.marker, &all)?;
        } else {
            // After a line end of its own, in case a stopped build left a line cut short.
            let mut text = String::from("\n");
            for entry in &entries {
                text.push_str(entry);
                text.push('\n');
            }
            let mut file = std::fs::File::options()
                .append(true)
                .open(&self.marker)
                .map_err(io_error(&self.marker))?;
            file.write_all(text.as_bytes()).map_err(io_error(&self.marker))?;
        }
        self.listed.extend(entries);
        Ok(())
    }

    /// Writes files straight to their place in a folder this build created: nobody else has
    /// anything there or reads it yet, and a build that fails removes the whole folder. They
    /// are listed first, so a build stopped half way leaves no file unaccounted for.
    fn write_in_place(
        &mut self,
        tier: &str,
        targets: &[(PathBuf, &OutputFile)],
        unlisted: Vec<String>,
    ) -> Result<(), OutputError> {
        self.list(unlisted)?;
        let failed = targets.par_iter().find_map_any(|(path, file)| {
            let folder = parent(path);
            let bytes = match bytes_of(&file.contents) {
                Ok(bytes) => bytes,
                Err(e) => return Some(e),
            };
            std::fs::create_dir_all(folder)
                .map_err(io_error(folder))
                .and_then(|()| std::fs::write(path, &bytes).map_err(io_error(path)))
                .err()
        });
        match failed {
            None => self.written_in_place += targets.len(),
            Some(e) => {
                self.failed.get_or_insert((tier.to_string(), e));
            }
        }
        Ok(())
    }

    /// Removes the files the previous build wrote that this one did not produce, puts every
    /// staged file in place, and records the new list of files.
    pub fn commit(mut self) -> Result<WriteReport, OutputError> {
        if let Some((_, failed)) = self.failed.take() {
            return Err(failed);
        }
        let output = self.output.clone();
        let mut manifest = std::mem::take(&mut self.manifest);
        if self.scope == Scope::TheseTiers {
            let untouched =
                self.previous.iter().filter(|p| !self.tiers.iter().any(|t| t == tier_of(p)));
            manifest.extend(untouched.cloned());
        }
        // From here on files move: a commit that fails half way lists what the output may hold.
        self.committing = true;
        // Stale files go first, so a path that changes from file to folder (or back) is free.
        let mut removed = 0;
        for stale in self.previous.difference(&manifest).filter(|p| is_plain_relative(p)) {
            let path = output.join(stale);
            if passes_through_link(&output, &path) {
                continue;
            }
            if path.symlink_metadata().is_ok_and(|m| m.is_file()) {
                std::fs::remove_file(&path).map_err(io_error(&path))?;
                tracing::debug!("removed `{}`: no page produces it any more", path.display());
                removed += 1;
            }
            remove_empty_folders(&output, &path);
        }
        self.staged.par_iter().try_for_each(|(temporary, path)| {
            let folder = parent(path);
            if parent(temporary) != folder {
                // Its folder was blocked by a stale file, removed above.
                std::fs::create_dir_all(folder).map_err(io_error(folder))?;
            }
            if path.is_dir() {
                // Only an empty folder gives way to a file; anything in it may be someone's work.
                std::fs::remove_dir(path).map_err(io_error(path))?;
            }
            std::fs::rename(temporary, path).map_err(io_error(path))
        })?;
        self.committed = true;
        write_manifest(&self.marker, &manifest)?;
        let roots: Vec<PathBuf> = match self.scope {
            Scope::Everything => vec![output.clone()],
            Scope::TheseTiers => self.tiers.iter().map(|t| output.join(t)).collect(),
        };
        // A folder this build created held nothing before it, and files put into it while the
        // build ran are not looked for.
        let foreign = match self.created {
            true => Vec::new(),
            false => foreign_files(&output, &roots, &manifest, &self.marker),
        };
        let written = self.staged.len() + self.written_in_place;
        Ok(WriteReport { written, unchanged: self.unchanged, removed, foreign })
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if self.committed {
            return;
        }
        if self.created {
            // The folder did not exist before this build, which still locks it. The manifest
            // goes last, so a build stopped while removing leaves a folder the next one takes.
            if let Err(e) = remove_all_but_manifest(&self.output).and_then(|()| {
                std::fs::remove_file(&self.marker).or_else(ignore_missing)?;
                std::fs::remove_dir_all(&self.output)
            }) {
                tracing::warn!("cannot remove `{}`: {e}", self.output.display());
            }
            return;
        }
        for (temporary, _) in &self.staged {
            let _ = std::fs::remove_file(temporary);
            remove_empty_folders(&self.output, temporary);
        }
        // Back to the list the output had: the staged files are gone, and nothing else moved.
        // After a commit that stopped half way, some files of this build are in place: the
        // list keeps them all, so the next build knows them as its own.
        let list = if self.committing { &self.listed } else { &self.previous };
        if let Err(e) = write_manifest(&self.marker, list) {
            tracing::warn!("{e}");
        }
    }
}

/// Removes everything in `output` but the manifest and the lock.
fn remove_all_but_manifest(output: &Path) -> io::Result<()> {
    for entry in std::fs::read_dir(output)? {
        let entry = entry?;
        if entry.file_name() == MARKER || entry.file_name() == LOCK {
            continue;
        }
        match entry.file_type()?.is_dir() {
            true => std::fs::remove_dir_all(entry.path())?,
            false => std::fs::remove_file(entry.path())?,
        }
    }
    Ok(())
}

fn ignore_missing(e: io::Error) -> io::Result<()> {
    if e.kind() == io::ErrorKind::NotFound { Ok(()) } else { Err(e) }
}

/// A short name of its own in `folder`: a target's name may already be as long as names can be.
fn temporary_in(folder: &Path) -> PathBuf {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    folder.join(format!(".portico-tmp.{}.{n}", std::process::id()))
}

/// Holds an exclusive lock on the output folder until dropped, so two builds never write into
/// one folder at once.
fn lock(output: &Path) -> Result<std::fs::File, OutputError> {
    let path = output.join(LOCK);
    // Opened through a link, the lock would create or lock a file outside the output.
    if path.symlink_metadata().is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(OutputError::UnsafePath(path.display().to_string()));
    }
    let file = std::fs::File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(io_error(&path))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(OutputError::Busy(output.to_path_buf())),
        Err(std::fs::TryLockError::Error(e)) => Err(OutputError::Io { path, source: e }),
    }
}

/// Writes `contents` to `temporary`; beside `path`, it first creates the folders they need.
fn stage_one(path: &Path, contents: &Contents, temporary: &Path) -> Result<(), OutputError> {
    let bytes = bytes_of(contents)?;
    let folder = parent(path);
    if parent(temporary) == folder {
        std::fs::create_dir_all(folder).map_err(io_error(folder))?;
    }
    std::fs::write(temporary, &bytes).map_err(io_error(temporary))
}

/// The folder a file of the output lives in.
fn parent(path: &Path) -> &Path {
    path.parent().expect("output files live in a folder")
}

/// `path` relative to `output`, with forward slashes, as the manifest lists it.
fn relative(output: &Path, path: &Path) -> String {
    path.strip_prefix(output).expect("inside").to_string_lossy().replace('\\', "/")
}

/// Before anything is written: no target may pass through a link, and none may replace a file
/// portico did not write (unless it already holds the same bytes). Returns, for each target,
/// whether a file of the previous build stands where its folder goes: that file can only go
/// at the commit, so the target is staged elsewhere until then.
fn check_targets(
    output: &Path,
    files: &[(PathBuf, &OutputFile)],
    previous: &BTreeSet<String>,
    folders: &mut HashMap<PathBuf, bool>,
) -> Result<Vec<bool>, OutputError> {
    let mut foreign: Vec<PathBuf> = files
        .par_iter()
        .filter(|(path, file)| match path.symlink_metadata() {
            Err(_) => false,
            // Only an empty folder gives way to a file; anything in it may be someone's work.
            Ok(m) if m.is_dir() => std::fs::read_dir(path).map_or(true, |mut d| d.next().is_some()),
            Ok(_) => !previous.contains(&relative(output, path)) && !holds(path, &file.contents),
        })
        .map(|(path, _)| path.clone())
        .collect();
    let mut blocked = Vec::with_capacity(files.len());
    for (path, _) in files {
        blocked.push(folder_is_blocked(output, path, previous, folders, &mut foreign)?);
    }
    foreign.sort();
    foreign.dedup();
    if foreign.is_empty() { Ok(blocked) } else { Err(OutputError::WouldReplace(foreign)) }
}

/// Whether a file stands in the way of `path`'s folder, looking at each folder once, the nearest
/// first, up to one `folders` already knows. A link on the way is refused; a file that
/// portico did not write goes into `foreign`.
fn folder_is_blocked(
    output: &Path,
    path: &Path,
    previous: &BTreeSet<String>,
    folders: &mut HashMap<PathBuf, bool>,
    foreign: &mut Vec<PathBuf>,
) -> Result<bool, OutputError> {
    let mut seen: Vec<&Path> = Vec::new();
    // Index in `seen` of a file on the way: it and the folders below it are blocked.
    let mut file_at = None;
    let mut known_blocked = false;
    for folder in path.ancestors().skip(1).take_while(|f| *f != output && f.starts_with(output)) {
        if let Some(&blocked) = folders.get(folder) {
            known_blocked = blocked;
            break;
        }
        let metadata = folder.symlink_metadata();
        if metadata.as_ref().is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(OutputError::UnsafePath(folder.display().to_string()));
        }
        if metadata.is_ok_and(|m| m.is_file()) {
            if !previous.contains(&relative(output, folder)) {
                foreign.push(folder.to_path_buf());
            }
            file_at = Some(seen.len());
        }
        seen.push(folder);
    }
    for (i, folder) in seen.iter().enumerate() {
        let blocked = known_blocked || file_at.is_some_and(|at| i <= at);
        folders.insert(folder.to_path_buf(), blocked);
    }
    Ok(known_blocked || file_at.is_some())
}

/// Whether `path` already is a file with exactly these contents.
fn holds(path: &Path, contents: &Contents) -> bool {
    bytes_of(contents).is_ok_and(|bytes| already_holds(path, &bytes))
}

/// The bytes a file is to hold, reading a copied file's source.
fn bytes_of(contents: &Contents) -> Result<std::borrow::Cow<'_, [u8]>, OutputError> {
    match contents {
        Contents::Bytes(bytes) => Ok((&bytes[..]).into()),
        Contents::Copy(source) => Ok(std::fs::read(source).map_err(io_error(source))?.into()),
    }
}

/// Whether `path` is a file with exactly these bytes (its length is checked before reading).
fn already_holds(path: &Path, bytes: &[u8]) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.len() == bytes.len() as u64)
        && std::fs::read(path).is_ok_and(|old| old == bytes)
}

/// Whether a folder between the output folder and `path` is a symbolic link: writing or
/// removing through it would touch files outside the output.
fn passes_through_link(output: &Path, path: &Path) -> bool {
    path.ancestors()
        .skip(1)
        .take_while(|folder| *folder != output && folder.starts_with(output))
        .any(|folder| folder.symlink_metadata().is_ok_and(|m| m.file_type().is_symlink()))
}

/// The file a manifest entry belongs to: `active/icps/index.html` → `active`.
fn tier_of(entry: &str) -> &str {
    entry.split('/').next().unwrap_or("")
}

/// A path with only plain components: no root, no `..`, no `.`, nothing empty.
fn is_plain_relative(path: &str) -> bool {
    !path.is_empty()
        && path
            .split('/')
            .all(|part| !part.is_empty() && part != "." && part != ".." && !part.contains('\\'))
        && Path::new(path).components().all(|c| matches!(c, Component::Normal(_)))
}

const MANIFEST_HEADER: &str = "# This folder is written by `portico build`. The files it wrote are listed below;\n\
     # a later build removes those it no longer produces and leaves every other file alone.\n";

/// The files a manifest lists. A last line without its line end was cut short (a build stopped
/// while adding to the list) and is left out.
fn read_manifest(marker: &Path) -> Result<BTreeSet<String>, OutputError> {
    match std::fs::read_to_string(marker) {
        Ok(text) => Ok(text[..text.rfind('\n').map_or(0, |end| end + 1)]
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .map(str::to_string)
            .collect()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(BTreeSet::new()),
        Err(e) => Err(OutputError::Io { path: marker.to_path_buf(), source: e }),
    }
}

/// Writes the manifest, in order, unless the file already holds exactly that text.
fn write_manifest(marker: &Path, manifest: &BTreeSet<String>) -> Result<(), OutputError> {
    let mut text = MANIFEST_HEADER.to_string();
    for entry in manifest {
        text.push_str(entry);
        text.push('\n');
    }
    write_if_changed(marker, &Contents::Bytes(text.into_bytes().into())).map(|_| ())
}

/// Removes the folders between a removed file and the output root that are now empty.
fn remove_empty_folders(output: &Path, removed: &Path) {
    let mut folder = removed.parent();
    while let Some(f) = folder {
        if f == output || !f.starts_with(output) || std::fs::remove_dir(f).is_err() {
            break;
        }
        folder = f.parent();
    }
}

/// Files under the roots that this build did not write (someone put them there by hand).
fn foreign_files(
    output: &Path,
    roots: &[PathBuf],
    manifest: &BTreeSet<String>,
    marker: &Path,
) -> Vec<PathBuf> {
    let mut foreign = Vec::new();
    for root in roots.iter().filter(|r| r.is_dir()) {
        for entry in WalkDir::new(root).sort_by_file_name().into_iter().filter_map(Result::ok) {
            let path = entry.path();
            if !entry.file_type().is_file() || path == marker || path == output.join(LOCK) {
                continue;
            }
            if !manifest.contains(&relative(output, path)) {
                foreign.push(path.to_path_buf());
            }
        }
    }
    foreign
}

/// Writes a file unless it already holds these bytes; returns whether it wrote.
fn write_if_changed(path: &Path, contents: &Contents) -> Result<bool, OutputError> {
    let bytes = bytes_of(contents)?;
    if already_holds(path, &bytes) {
        return Ok(false);
    }
    let folder = parent(path);
    std::fs::create_dir_all(folder).map_err(io_error(folder))?;
    if path.is_dir() {
        // Only an empty folder gives way to a file; anything in it may be someone's work.
        std::fs::remove_dir(path).map_err(io_error(path))?;
    }
    // Write beside the target and rename, so a reader never sees a half-written file.
    let temporary = temporary_in(folder);
    std::fs::write(&temporary, &bytes).map_err(io_error(&temporary))?;
    std::fs::rename(&temporary, path).map_err(io_error(path))?;
    Ok(true)
}
