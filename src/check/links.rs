//! Where links lead in one tier's view of the site: to a page the tier sees, to an anchor that
//! page has, and sections that end up empty.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::{BROKEN_ANCHOR, EMPTY_SECTION, TIER_CROSSING_LINK};
use crate::diagnostic::{Diagnostic, LineIndex};
use crate::markdown::{Node, Rendered, Target};
use crate::render::TierView;

/// The markdown files findings point into, read once each, for line and column numbers.
pub struct Sources {
    content_dir: PathBuf,
    texts: HashMap<PathBuf, String>,
}

impl Sources {
    pub fn new(content_dir: &Path) -> Sources {
        Sources { content_dir: content_dir.to_path_buf(), texts: HashMap::new() }
    }

    /// `diagnostic` pointed at byte `offset` of `file` (relative to `content/`).
    pub fn locate(&mut self, file: &Path, offset: usize, diagnostic: Diagnostic) -> Diagnostic {
        let text = self.texts.entry(file.to_path_buf()).or_insert_with(|| {
            std::fs::read_to_string(self.content_dir.join(file)).unwrap_or_default()
        });
        LineIndex::new(text).locate(diagnostic, offset)
    }

    pub fn display(&self, file: &Path) -> PathBuf {
        crate::content::display_path(&self.content_dir, file)
    }
}

/// A markdown body the tier shows, and where it came from.
struct Body<'a> {
    file: &'a Path,
    body_offset: usize,
    rendered: &'a Rendered,
}

/// The markdown bodies the tier shows: its pages' and its sections' `_index.md`.
fn bodies<'a>(view: &TierView<'a>) -> Vec<Body<'a>> {
    let site = view.site;
    let pages = view.pages().map(|i| {
        let page = &site.pages[i];
        Body { file: &page.file, body_offset: page.body_offset(), rendered: &page.body }
    });
    let sections = view.sections().filter_map(|i| {
        let section = &site.sections[i];
        let file = section.file.as_deref()?;
        Some(Body { file, body_offset: section.body_offset(), rendered: &section.body })
    });
    pages.chain(sections).collect()
}

/// Every link finding of one tier, and its sections that have nothing to show.
pub fn in_tier(view: &TierView<'_>, sources: &mut Sources) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    for body in &bodies(view) {
        found.extend(links_of(view, body, sources));
    }
    found.extend(empty_sections(view, sources));
    found
}

/// The `http(s)` links the tier shows: address, file and byte offset in the file.
pub fn external_in_tier(view: &TierView<'_>) -> Vec<(String, PathBuf, usize)> {
    bodies(view)
        .iter()
        .flat_map(|body| {
            body.rendered.external_links.iter().map(|(url, offset)| {
                (url.clone(), body.file.to_path_buf(), body.body_offset + offset)
            })
        })
        .collect()
}

fn links_of(view: &TierView<'_>, body: &Body<'_>, sources: &mut Sources) -> Vec<Diagnostic> {
    let display = sources.display(body.file);
    let mut found = Vec::new();
    for link in &body.rendered.broken_links {
        let problem = super::broken_link(&display, &link.destination);
        found.push(sources.locate(body.file, body.body_offset + link.offset, problem));
    }
    for (target, offset) in body.rendered.targets_with_offsets() {
        if let Some(problem) = target_problem(view, target, &display) {
            found.push(sources.locate(body.file, body.body_offset + offset, problem));
        }
    }
    for (anchor, offset) in &body.rendered.local_anchors {
        if !has_anchor(body.rendered, anchor) {
            let problem = missing_anchor(&display, anchor, "this page", body.rendered);
            found.push(sources.locate(body.file, body.body_offset + offset, problem));
        }
    }
    found
}

/// Why a resolved link is still wrong in this tier, if it is.
fn target_problem(view: &TierView<'_>, target: &Target, display: &Path) -> Option<Diagnostic> {
    let site = view.site;
    let path = site.path(target.node);
    if !view.admits(target.node) {
        let problem = Diagnostic::error(
            display,
            format!("links to `/{path}`, which is gated above tiers that see this page"),
        )
        .with_kind(TIER_CROSSING_LINK)
        .with_help(format!(
            "gate this page to the tiers that see `/{path}`, or link to something every tier \
             that sees this page can see"
        ));
        return Some(problem);
    }
    let anchor = target.suffix.strip_prefix('#')?;
    let rendered = match target.node {
        Node::Page(i) => &site.pages[i].body,
        Node::Section(i) => &site.sections[i].body,
        // Made from partners.yaml by its theme template: there are no headings to check.
        Node::Program(_) => return None,
    };
    (!anchor.is_empty() && !has_anchor(rendered, anchor))
        .then(|| missing_anchor(display, anchor, &format!("`/{path}`"), rendered))
}

fn has_anchor(rendered: &Rendered, anchor: &str) -> bool {
    let anchor = crate::site_url::percent_decode(anchor);
    rendered.headings.iter().any(|h| h.id == anchor)
}

fn missing_anchor(display: &Path, anchor: &str, page: &str, rendered: &Rendered) -> Diagnostic {
    let ids: Vec<&str> = rendered.headings.iter().map(|h| h.id.as_str()).collect();
    let help = crate::diagnostic::suggest(anchor, ids.iter().copied(), |all| {
        if all.is_empty() {
            "the page has no headings to link to".to_string()
        } else {
            format!("link to one of its headings: {all}")
        }
    });
    Diagnostic::error(display, format!("{page} has no heading with the anchor `#{anchor}`"))
        .with_kind(BROKEN_ANCHOR)
        .with_help(help)
}

/// Sections the tier may see whose listing is empty in it: every page below is gated higher.
/// The finding points at the section's `_index.md`, or without one at its first page.
fn empty_sections(view: &TierView<'_>, sources: &mut Sources) -> Vec<Diagnostic> {
    let site = view.site;
    let empty =
        |i: usize| view.section_pages(i).next().is_none() && view.subsections(i).next().is_none();
    let mut found = Vec::new();
    for (i, section) in site.sections.iter().enumerate() {
        if section.parent.is_none() || !section.gate.admits(view.tier) || !empty(i) {
            continue;
        }
        let first_page = section.pages.first().map(|&p| site.pages[p].file.as_path());
        let Some(file) = section.file.as_deref().or(first_page) else { continue };
        let problem = Diagnostic::warning(
            sources.display(file),
            format!("section `/{}` lists nothing in tiers that may see it", section.path),
        )
        .with_kind(EMPTY_SECTION)
        .with_help("add a page those tiers can see, or gate the section like its pages");
        found.push(sources.locate(file, 0, problem));
    }
    found
}
