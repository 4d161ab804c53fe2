//! The content model: sections, pages and their co-located assets, read from `content/`.
//!
//! Loading runs in two passes. The first walks the folder, splits and parses front matter and
//! works out every page's URL and gate. The second renders each page's markdown once, in
//! parallel, resolving links against the finished URL table. Nothing here depends on a tier.

mod aliases;
mod fence;
mod front_matter;
mod links;
mod tree;
pub(crate) mod walk;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use crate::diagnostic::{Diagnostic, LineIndex, Position};
use crate::markdown::{self, Kind, Node, Rendered};
use crate::tier::{Gate, Tiers};
use crate::yaml::Fragment;

pub use aliases::Alias;
pub use fence::split;
pub use front_matter::{FrontMatter, KNOWN_KEYS, PageDate};
pub use tree::{REFERRAL_RECEIVED, SEARCH};
pub use walk::is_ignored_name;

/// A folder of content. Its `_index.md`, when present, gives its front matter and intro.
#[derive(Debug)]
pub struct Section {
    /// Folder relative to `content/` (empty for the home section).
    pub dir: PathBuf,
    /// The `_index.md`, when the folder has one.
    pub file: Option<PathBuf>,
    pub meta: FrontMatter,
    pub title: String,
    /// Site path such as `icps/` (empty for home).
    pub path: String,
    /// The effective gate: the section's own, narrowed by its ancestors'.
    pub gate: Gate,
    pub parent: Option<usize>,
    pub subsections: Vec<usize>,
    /// Pages directly in this section, in listing order.
    pub pages: Vec<usize>,
    pub assets: Vec<Asset>,
    pub body: Arc<Rendered>,
    pub(crate) source: Source,
}

/// A markdown page: `name.md`, or `name/index.md` with its co-located assets.
#[derive(Debug)]
pub struct Page {
    /// The markdown file, relative to `content/`.
    pub file: PathBuf,
    pub meta: FrontMatter,
    pub title: String,
    /// Site path such as `icps/saas-series-b/`.
    pub path: String,
    pub gate: Gate,
    pub section: usize,
    pub assets: Vec<Asset>,
    pub body: Arc<Rendered>,
    /// The body as plain text, for pages that offer a copy button (email templates).
    pub plain_text: Option<Arc<markdown::PlainText>>,
    pub(crate) source: Source,
}

/// A non-markdown file that belongs to a page bundle or a section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asset {
    /// Absolute path of the source file.
    pub source: PathBuf,
    /// Path relative to its owner's folder, with `/` separators.
    pub name: String,
}

/// The text of a markdown file, kept until its body is rendered.
#[derive(Debug, Default, Clone)]
pub(crate) struct Source {
    text: Arc<str>,
    body_offset: usize,
}

/// Everything under `content/`.
#[derive(Debug)]
pub struct Site {
    pub sections: Vec<Section>,
    pub pages: Vec<Page>,
}

/// A loaded site plus the warnings found while loading it.
pub struct Loaded {
    pub site: Site,
    pub warnings: Vec<Diagnostic>,
}

/// What loading needs to know from outside `content/`.
pub struct LoadOptions<'a> {
    pub content_dir: &'a Path,
    pub tiers: &'a Tiers,
    pub drafts: bool,
    /// Whether page bodies keep their links to other sites (for `check --external`).
    pub external_links: bool,
}

/// What an earlier load learnt, so the next one re-reads and re-renders only what changed.
///
/// A file is read again when its modification time or length changed; a body is rendered
/// again when its file changed or when any page, section, asset or URL did (links resolve
/// against all of them).
#[derive(Default)]
pub struct Cache {
    /// Whether a later load will use this cache. One that will not (`Cache::default()`, for a
    /// single load) remembers no file, so each page's markdown goes once its body is rendered.
    kept: bool,
    files: HashMap<PathBuf, CachedFile>,
    /// The link index the cached bodies were rendered against.
    index: u64,
    /// The tier ids, in order, the cached front matter was read against: a page's gate is a
    /// tier's rank, so any change to the tiers invalidates every file.
    tiers: u64,
}

impl Cache {
    /// A cache for loads that follow one another, such as the preview's.
    pub fn kept() -> Cache {
        Cache { kept: true, ..Cache::default() }
    }
}

/// What the file system says about a file without reading it.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified: Option<std::time::SystemTime>,
    /// Inode change time and number: the kernel sets the change time on every write, rename
    /// or time change, and no tool can set it back (`cp -p` and `rsync -t` keep only the
    /// modification time).
    changed: (i64, i64),
    inode: u64,
}

/// How long after its last change a file's stamp is trusted. File systems keep times in
/// ticks (up to 2 s on FAT), and two changes within one tick can leave the same stamp; a file
/// changed more recently than this is read and compared byte for byte instead.
const SETTLE_TIME: i64 = 3;

/// The file's stamp, and whether it is old enough to be trusted.
#[cfg(unix)]
fn stamp(path: &Path, now: i64) -> Option<(Stamp, bool)> {
    use std::os::unix::fs::MetadataExt;
    let metadata = std::fs::metadata(path).ok()?;
    let stamp = Stamp {
        len: metadata.len(),
        modified: metadata.modified().ok(),
        changed: (metadata.ctime(), metadata.ctime_nsec()),
        inode: metadata.ino(),
    };
    Some((stamp, now - metadata.ctime() > SETTLE_TIME))
}

/// Without a change time the stamp cannot vouch for anything: files are always compared.
#[cfg(not(unix))]
fn stamp(_path: &Path, _now: i64) -> Option<(Stamp, bool)> {
    None
}

/// A file's content fingerprint and, when it can vouch for them, its stamp.
type Known = (u64, Option<Stamp>);

/// A file read, or every problem with it.
type Loading = Result<ReadFile, Vec<Diagnostic>>;

struct CachedFile {
    /// The fingerprint of the file's bytes when it was read.
    contents: u64,
    /// The file's stamp when it was read, if that stamp can vouch for the bytes later.
    settled: Option<Stamp>,
    read: ReadFile,
    body: Option<(Arc<Rendered>, Option<Arc<markdown::PlainText>>)>,
}

/// Reads `content/` into the site model, reporting every bad file at once.
pub fn load(options: &LoadOptions<'_>) -> Result<Loaded, Vec<Diagnostic>> {
    load_cached(options, &mut Cache::default())
}

/// Like [`load`], reusing and updating what `cache` knows from an earlier load.
pub fn load_cached(
    options: &LoadOptions<'_>,
    cache: &mut Cache,
) -> Result<Loaded, Vec<Diagnostic>> {
    let started = std::time::Instant::now();
    let files = walk::walk(options.content_dir)?;
    tracing::trace!("walked in {} µs", started.elapsed().as_micros());
    let tiers = crate::fingerprint::of(options.tiers.ids().collect::<Vec<_>>());
    if cache.tiers != tiers {
        *cache = Cache { tiers, kept: cache.kept, ..Cache::default() };
    }
    let present: std::collections::HashSet<&PathBuf> = files.markdown.iter().collect();
    cache.files.retain(|path, _| present.contains(path));
    // A file is read again unless its settled stamp is unchanged; then its bytes decide, so a
    // save that kept the stamp (coarse clocks) is still seen.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let read: Vec<(Option<Known>, Loading)> = files
        .markdown
        .par_iter()
        .map(|path| {
            let full = options.content_dir.join(path);
            let stamp = stamp(&full, now);
            let cached = cache.files.get(path);
            if let (Some(cached), Some((stamp, _))) = (cached, stamp)
                && cached.settled == Some(stamp)
            {
                return (Some((cached.contents, Some(stamp))), Ok(cached.read.clone()));
            }
            let settled = stamp.and_then(|(stamp, settled)| settled.then_some(stamp));
            let bytes = match std::fs::read(&full) {
                Ok(bytes) => bytes,
                Err(e) => {
                    let display = display_path(options.content_dir, path);
                    let problem = Diagnostic::error(display, format!("cannot read the file: {e}"));
                    return (None, Err(vec![problem]));
                }
            };
            let contents = crate::fingerprint::of(&bytes[..]);
            match cached {
                Some(cached) if cached.contents == contents => {
                    (Some((contents, settled)), Ok(cached.read.clone()))
                }
                _ => (Some((contents, settled)), read_markdown(options, path, bytes)),
            }
        })
        .collect();
    if cache.kept {
        for (path, (known, result)) in files.markdown.iter().zip(&read) {
            match (known, result) {
                (Some((contents, settled)), Ok(file)) => match cache.files.get_mut(path) {
                    Some(entry) if entry.contents == *contents => entry.settled = *settled,
                    _ => {
                        let entry = CachedFile {
                            contents: *contents,
                            settled: *settled,
                            read: file.clone(),
                            body: None,
                        };
                        cache.files.insert(path.clone(), entry);
                    }
                },
                _ => {
                    cache.files.remove(path);
                }
            }
        }
    }
    let read: Vec<Loading> = read.into_iter().map(|(_, r)| r).collect();
    let mut problems = files.problems;
    let mut warnings = Vec::new();
    let mut good = Vec::new();
    for result in read {
        match result {
            Ok(file) => {
                warnings.extend(file.warnings.iter().cloned());
                good.push(file);
            }
            Err(mut errors) => problems.append(&mut errors),
        }
    }
    // Assemble the good files even when others are bad, so problems such as a page loosening
    // its section's tier are reported in the same run. Leaving a bad file out only loosens its
    // section's gate, so it cannot invent a tier problem; a bad `_index.md` that set a `slug`
    // could at worst surface a URL collision with its folder's default path.
    tracing::trace!("read in {} µs", started.elapsed().as_micros());
    let assembled = tree::assemble(options, good, files.assets);
    tracing::trace!("assembled in {} µs", started.elapsed().as_micros());
    let mut site = match assembled {
        Ok(site) if problems.is_empty() => site,
        Ok(_) => return Err(problems),
        Err(more) => {
            problems.extend(more);
            return Err(problems);
        }
    };
    let (errors, found): (Vec<_>, Vec<_>) =
        render_bodies(&mut site, options, cache).into_iter().partition(|d| d.is_error());
    if !errors.is_empty() {
        return Err(errors);
    }
    warnings.extend(found);
    Ok(Loaded { site, warnings })
}

/// A markdown file with its front matter parsed.
#[derive(Clone)]
pub(crate) struct ReadFile {
    /// Relative to `content/`.
    pub relative: PathBuf,
    pub meta: FrontMatter,
    pub title: String,
    pub warnings: Vec<Diagnostic>,
    pub source: Source,
}

fn read_markdown(
    options: &LoadOptions<'_>,
    relative: &Path,
    bytes: Vec<u8>,
) -> Result<ReadFile, Vec<Diagnostic>> {
    let display = display_path(options.content_dir, relative);
    let text = String::from_utf8(bytes).map_err(|e| vec![Diagnostic::not_utf8(&display, &e)])?;
    let text = text.strip_prefix('\u{feff}').map(str::to_string).unwrap_or(text);
    let split = split(&display, &text).map_err(|d| vec![d])?;
    let (meta, warnings, missing_title) = match split.yaml {
        Some(yaml) => {
            let fragment = Fragment {
                path: &display,
                file_text: &text,
                yaml,
                line_offset: split.yaml_line_offset,
            };
            let parsed = front_matter::parse(fragment, options.tiers)?;
            (parsed.front_matter, parsed.warnings, parsed.missing_title)
        }
        None => (FrontMatter::default(), Vec::new(), None),
    };
    if let Some(missing) = missing_title {
        return Err(vec![missing]);
    }
    let (title, body_offset) = match &meta.title {
        Some(title) => (title.clone(), split.body_offset),
        None => {
            let (title, heading_end) = fallback_title(split.body, relative);
            (title, split.body_offset + heading_end)
        }
    };
    Ok(ReadFile {
        relative: relative.to_path_buf(),
        meta,
        title,
        warnings,
        source: Source { text: text.into(), body_offset },
    })
}

/// The path shown in messages: `content/…` relative to the site root.
pub(crate) fn display_path(content_dir: &Path, relative: &Path) -> PathBuf {
    let content = content_dir.file_name().map(PathBuf::from).unwrap_or_default();
    content.join(relative)
}

/// A page without a title in its front matter takes its first heading, else its file name.
/// When that heading opens the body, the body starts after it (returned as a byte offset), so
/// the page does not show its title twice.
fn fallback_title(body: &str, relative: &Path) -> (String, usize) {
    use pulldown_cmark::{Event, HeadingLevel, Parser, Tag, TagEnd};
    let mut events = Parser::new_ext(body, markdown::options()).into_offset_iter().enumerate();
    while let Some((index, (event, range))) = events.next() {
        if let Event::Start(Tag::Heading { level, .. }) = event {
            let inner: Vec<Event<'_>> = events
                .by_ref()
                .map(|(_, (e, _))| e)
                .take_while(|e| !matches!(e, Event::End(TagEnd::Heading(_))))
                .collect();
            let text = markdown::plain_text(&inner);
            if !text.trim().is_empty() {
                let opens_body = index == 0 && level == HeadingLevel::H1;
                return (text.trim().to_string(), if opens_body { range.end } else { 0 });
            }
        }
    }
    let stem = match relative.file_stem().and_then(|s| s.to_str()) {
        Some("index" | "_index") => {
            relative.parent().and_then(|p| p.file_name()).and_then(|s| s.to_str())
        }
        other => other,
    };
    (title_case(stem.unwrap_or("Home")), 0)
}

fn title_case(name: &str) -> String {
    let words = name.split(['-', '_', ' ']).filter(|w| !w.is_empty());
    let words: Vec<String> = words
        .map(|w| {
            let mut chars = w.chars();
            chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
        })
        .collect();
    if words.is_empty() { name.to_string() } else { words.join(" ") }
}

/// Renders every body in parallel; returns warnings for links that point nowhere and errors
/// for mistaken `video` blocks.
fn render_bodies(site: &mut Site, options: &LoadOptions, cache: &mut Cache) -> Vec<Diagnostic> {
    let content_dir = options.content_dir;
    let index = links::Index::new(site);
    let fingerprint = links::fingerprint(site);
    if cache.index != fingerprint {
        cache.files.values_mut().for_each(|f| f.body = None);
        cache.index = fingerprint;
    }
    let cached = |file: &Path| cache.files.get(file).and_then(|f| f.body.clone());
    let sections = &site.sections;
    // Each page lets its markdown go as soon as its body is rendered and its findings placed in
    // the file, so a large site never holds all its markdown and all its HTML at once.
    let mut findings: Vec<Diagnostic> = site
        .pages
        .par_iter_mut()
        .flat_map_iter(|page| {
            let (body, plain) = cached(&page.file).unwrap_or_else(|| {
                let resolver = links::Resolver::new(&index, &page.file, options.external_links);
                let body = page.source.body();
                let kind = page.kind();
                // Emails and one-pagers are copied as text, with their placeholders filled in.
                let plain = (kind != Kind::Prose)
                    .then(|| Arc::new(markdown::to_plain_text(body, &resolver)));
                (Arc::new(markdown::render(body, &resolver, kind)), plain)
            });
            page.body = body;
            page.plain_text = plain;
            let mut findings = page.source.findings(content_dir, &page.file, &page.body);
            findings.extend(shared_files_of_gated_page(page, sections, content_dir));
            page.source = page.source.without_text();
            findings
        })
        .collect();
    let sections: Vec<Arc<Rendered>> = site
        .sections
        .par_iter()
        .map(|section| {
            let file = section.file.clone().unwrap_or_else(|| section.dir.join("_index.md"));
            cached(&file).map(|(body, _)| body).unwrap_or_else(|| {
                let resolver = links::Resolver::new(&index, &file, options.external_links);
                Arc::new(markdown::render(section.source.body(), &resolver, Kind::Prose))
            })
        })
        .collect();
    drop(index);
    for (section, body) in site.sections.iter_mut().zip(sections) {
        section.body = body;
        if let Some(file) = &section.file {
            findings.extend(section.source.findings(content_dir, file, &section.body));
        }
        section.source = section.source.without_text();
    }
    if cache.kept {
        for page in &site.pages {
            if let Some(entry) = cache.files.get_mut(&page.file) {
                entry.body = Some((page.body.clone(), page.plain_text.clone()));
            }
        }
        for section in &site.sections {
            if let Some(entry) = section.file.as_ref().and_then(|f| cache.files.get_mut(f)) {
                entry.body = Some((section.body.clone(), None));
            }
        }
    }
    findings
}

/// A gated page that links to a file of its section shows that file to every tier that sees the
/// section. That may be intended (a public brochure), so it is a warning, naming the fix.
fn shared_files_of_gated_page(
    page: &Page,
    sections: &[Section],
    content_dir: &Path,
) -> Vec<Diagnostic> {
    let mut warnings = Vec::new();
    for (target, offset) in page.body.targets_with_offsets() {
        let Node::Section(section) = target.node else { continue };
        let shared = !target.suffix.is_empty() && !target.suffix.starts_with('#');
        if !shared || !sections[section].gate.is_looser_than(page.gate) {
            continue;
        }
        let text = &page.source.text;
        let position = Position::of_offset(text, page.source.body_offset + offset);
        let folder = page.asset_folder();
        warnings.push(
            Diagnostic::warning(
                display_path(content_dir, &page.file),
                format!("`{}` is published to tiers that cannot see this page", target.suffix),
            )
            .at(text, position)
            .with_help(format!(
                "if the file is gated material, move it into `{}`",
                display_path(content_dir, &folder).display()
            )),
        );
    }
    warnings
}

impl Source {
    /// Drops the text once the body is rendered; the body's offset stays, so that positions
    /// in the body can still be turned into lines of the file (`check` reads it again).
    fn without_text(&self) -> Source {
        Source { text: Arc::from(""), body_offset: self.body_offset }
    }

    fn body(&self) -> &str {
        &self.text[self.body_offset..]
    }

    /// What rendering the body found, placed in the file: links that point nowhere, and
    /// mistaken `video` blocks, which are errors.
    fn findings(&self, content_dir: &Path, file: &Path, body: &Rendered) -> Vec<Diagnostic> {
        if body.broken_links.is_empty() && body.video_problems.is_empty() {
            return Vec::new();
        }
        let display = display_path(content_dir, file);
        // A broken link is a warning while loading (the preview shows it); `build` and `check`
        // decide, tier by tier, whether it stops them.
        let broken = body.broken_links.iter().map(|link| {
            let warning = Diagnostic {
                severity: crate::diagnostic::Severity::Warning,
                ..crate::check::broken_link(&display, &link.destination)
            };
            (warning, link.offset)
        });
        let videos = body.video_problems.iter().map(|problem| {
            let error = Diagnostic::error(&display, problem.message.clone());
            (error.with_help(problem.help.clone()), problem.offset)
        });
        let lines = LineIndex::new(&self.text);
        broken
            .chain(videos)
            .map(|(diagnostic, offset)| lines.locate(diagnostic, self.body_offset + offset))
            .collect()
    }
}

impl Page {
    /// Where the body starts in the file, in bytes: body offsets plus this are file offsets.
    pub fn body_offset(&self) -> usize {
        self.source.body_offset
    }

    /// The folder whose files are this page's assets: a bundle's own folder, or for
    /// `name.md` the folder `name/` beside it. Relative to `content/`.
    pub fn asset_folder(&self) -> PathBuf {
        if self.is_bundle() {
            self.file.parent().unwrap_or(Path::new("")).to_path_buf()
        } else {
            self.file.with_extension("")
        }
    }

    /// How the page's body is rendered: an email template has a `subject`.
    pub fn kind(&self) -> Kind {
        if self.meta.subject.is_some() {
            Kind::Email
        } else if self.meta.one_pager {
            Kind::OnePager
        } else {
            Kind::Prose
        }
    }

    /// Whether the page is a bundle: `name/index.md`.
    pub fn is_bundle(&self) -> bool {
        self.file.file_name().is_some_and(|n| n == "index.md")
    }
}

impl Section {
    /// Where the body of `_index.md` starts in the file, in bytes.
    pub fn body_offset(&self) -> usize {
        self.source.body_offset
    }
}

impl Site {
    /// The site path of a page or section.
    pub fn path(&self, node: Node) -> &str {
        match node {
            Node::Page(i) => &self.pages[i].path,
            Node::Section(i) => &self.sections[i].path,
            Node::Program(page) => page.path(),
        }
    }
}
