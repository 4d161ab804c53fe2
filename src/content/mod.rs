//! The content model: sections, pages and their co-located assets, read from `content/`.
//!
//! Loading runs in two passes. The first walks the folder, splits and parses front matter and
//! works out every page's URL and gate. The second renders each page's markdown once, in
//! parallel, resolving links against the finished URL table. Nothing here depends on a tier.

mod front_matter;
mod links;
mod walk;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::diagnostic::{Diagnostic, Position};
use crate::markdown::{self, Node, Rendered};
use crate::tier::{Gate, Tiers};
use crate::yaml::Fragment;

pub use front_matter::{FrontMatter, KNOWN_KEYS, PageDate, split};

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
    pub body: Rendered,
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
    pub body: Rendered,
    /// The body as plain text, for pages that offer a copy button (email templates).
    pub plain_text: Option<String>,
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
#[derive(Debug, Default)]
pub(crate) struct Source {
    text: String,
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
}

/// Reads `content/` into the site model, reporting every bad file at once.
pub fn load(options: &LoadOptions<'_>) -> Result<Loaded, Vec<Diagnostic>> {
    let files = walk::walk(options.content_dir)?;
    let read: Vec<Result<ReadFile, Vec<Diagnostic>>> =
        files.markdown.par_iter().map(|path| read_markdown(options, path)).collect();
    let mut problems = Vec::new();
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
    let assembled = walk::assemble(options, good, files.assets);
    let mut site = match assembled {
        Ok(site) if problems.is_empty() => site,
        Ok(_) => return Err(problems),
        Err(more) => {
            problems.extend(more);
            return Err(problems);
        }
    };
    let broken = render_bodies(&mut site, options.content_dir);
    warnings.extend(broken);
    Ok(Loaded { site, warnings })
}

/// A markdown file with its front matter parsed.
pub(crate) struct ReadFile {
    /// Relative to `content/`.
    pub relative: PathBuf,
    pub meta: FrontMatter,
    pub title: String,
    pub warnings: Vec<Diagnostic>,
    pub source: Source,
}

fn read_markdown(options: &LoadOptions<'_>, relative: &Path) -> Result<ReadFile, Vec<Diagnostic>> {
    let path = options.content_dir.join(relative);
    let display = display_path(options.content_dir, relative);
    let bytes = std::fs::read(&path)
        .map_err(|e| vec![Diagnostic::error(&display, format!("cannot read the file: {e}"))])?;
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
    let title = meta.title.clone().unwrap_or_else(|| fallback_title(split.body, relative));
    let body_offset = split.body_offset;
    Ok(ReadFile {
        relative: relative.to_path_buf(),
        meta,
        title,
        warnings,
        source: Source { text, body_offset },
    })
}

/// The path shown in messages: `content/…` relative to the site root.
fn display_path(content_dir: &Path, relative: &Path) -> PathBuf {
    let content = content_dir.file_name().map(PathBuf::from).unwrap_or_default();
    content.join(relative)
}

/// A page without a title in its front matter takes its first heading, else its file name.
fn fallback_title(body: &str, relative: &Path) -> String {
    use pulldown_cmark::{Event, Parser, Tag, TagEnd};
    let mut events = Parser::new_ext(body, markdown::options());
    while let Some(event) = events.next() {
        if let Event::Start(Tag::Heading { .. }) = event {
            let inner: Vec<Event<'_>> = events
                .by_ref()
                .take_while(|e| !matches!(e, Event::End(TagEnd::Heading(_))))
                .collect();
            let text = markdown::plain_text(&inner);
            if !text.trim().is_empty() {
                return text.trim().to_string();
            }
        }
    }
    let stem = match relative.file_stem().and_then(|s| s.to_str()) {
        Some("index" | "_index") => {
            relative.parent().and_then(|p| p.file_name()).and_then(|s| s.to_str())
        }
        other => other,
    };
    title_case(stem.unwrap_or("Home"))
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

/// Renders every body in parallel; returns warnings for links that point nowhere.
fn render_bodies(site: &mut Site, content_dir: &Path) -> Vec<Diagnostic> {
    let index = links::Index::new(site);
    let pages: Vec<(Rendered, Option<String>)> = site
        .pages
        .par_iter()
        .map(|page| {
            let resolver = links::Resolver::new(&index, &page.file);
            let body = page.source.body();
            let plain = page.meta.subject.is_some().then(|| markdown::to_plain_text(body));
            (markdown::render(body, &resolver), plain)
        })
        .collect();
    let sections: Vec<Rendered> = site
        .sections
        .par_iter()
        .map(|section| {
            let file = section.file.clone().unwrap_or_else(|| section.dir.join("_index.md"));
            let resolver = links::Resolver::new(&index, &file);
            markdown::render(section.source.body(), &resolver)
        })
        .collect();
    drop(index);
    for (page, (body, plain)) in site.pages.iter_mut().zip(pages) {
        page.body = body;
        page.plain_text = plain;
    }
    for (section, body) in site.sections.iter_mut().zip(sections) {
        section.body = body;
    }
    let mut warnings = Vec::new();
    for page in &mut site.pages {
        warnings.extend(page.source.broken_links(content_dir, &page.file, &page.body));
        page.source = Source::default();
    }
    for section in &mut site.sections {
        if let Some(file) = &section.file {
            warnings.extend(section.source.broken_links(content_dir, file, &section.body));
        }
        section.source = Source::default();
    }
    warnings
}

impl Source {
    fn body(&self) -> &str {
        &self.text[self.body_offset..]
    }

    fn broken_links(&self, content_dir: &Path, file: &Path, body: &Rendered) -> Vec<Diagnostic> {
        let display = display_path(content_dir, file);
        body.broken_links
            .iter()
            .map(|link| {
                let position = Position::of_offset(&self.text, self.body_offset + link.offset);
                Diagnostic::warning(
                    &display,
                    format!("link to `{}` points to no page or file", link.destination),
                )
                .at(&self.text, position)
                .with_help(
                    "link to a `.md` file relative to this one, such as `../checklists/ready.md`",
                )
            })
            .collect()
    }
}

impl Site {
    /// The gate of a page or section.
    pub fn gate(&self, node: Node) -> Gate {
        match node {
            Node::Page(i) => self.pages[i].gate,
            Node::Section(i) => self.sections[i].gate,
        }
    }

    /// The site path of a page or section.
    pub fn path(&self, node: Node) -> &str {
        match node {
            Node::Page(i) => &self.pages[i].path,
            Node::Section(i) => &self.sections[i].path,
        }
    }

    /// Pages by site path, to find collisions and resolve root-relative links.
    pub fn pages_by_path(&self) -> HashMap<&str, usize> {
        self.pages.iter().enumerate().map(|(i, p)| (p.path.as_str(), i)).collect()
    }
}
