//! Assembling the section tree from the files read under `content/`: folders become sections,
//! markdown files become pages or section indexes, other files become assets of the page or
//! section whose folder holds them. Each page and section gets its URL and effective tier here;
//! URL clashes, misplaced assets and drafts are dealt with before the tree is handed on.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use super::walk::slug_of;
use super::{Asset, FrontMatter, LoadOptions, Page, ReadFile, Section, Source, display_path};
use crate::diagnostic::{Diagnostic, Position};
use crate::markdown::Node;
use crate::tier::Gate;

fn is_section_index(path: &Path) -> bool {
    path.file_name().is_some_and(|n| n == "_index.md")
        || (path.file_name().is_some_and(|n| n == "index.md")
            && path.parent() == Some(Path::new("")))
}

fn is_bundle_index(path: &Path) -> bool {
    path.file_name().is_some_and(|n| n == "index.md") && path.parent() != Some(Path::new(""))
}

pub(super) fn assemble(
    options: &LoadOptions<'_>,
    files: Vec<ReadFile>,
    assets: Vec<PathBuf>,
) -> Result<super::Site, Vec<Diagnostic>> {
    let mut builder =
        Builder { options, problems: Vec::new(), sections: Vec::new(), by_dir: BTreeMap::new() };
    let folder_indexes = folder_indexes(&files);
    let (indexes, pages): (Vec<ReadFile>, Vec<ReadFile>) = files
        .into_iter()
        .partition(|f| is_section_index(&f.relative) || folder_indexes.contains(&f.relative));
    let bundles: HashSet<PathBuf> = pages
        .iter()
        .filter(|p| is_bundle_index(&p.relative))
        .map(|p| p.relative.parent().expect("bundle has a folder").to_path_buf())
        .collect();
    builder.check_ambiguous_bundles(&indexes, &bundles);
    let mut indexes: HashMap<PathBuf, ReadFile> = indexes
        .into_iter()
        .map(|f| (f.relative.parent().map(Path::to_path_buf).unwrap_or_default(), f))
        .collect();
    builder.section(Path::new(""), &mut indexes);
    let mut site_pages = Vec::new();
    for file in pages {
        if let Some(page) = builder.page(file, &mut indexes, site_pages.len()) {
            site_pages.push(page);
        }
    }
    // A section whose folder holds nothing but its `_index.md` is reached by no page above.
    let mut leaf_sections: Vec<PathBuf> = indexes.keys().cloned().collect();
    leaf_sections.sort();
    for dir in leaf_sections {
        builder.section(&dir, &mut indexes);
    }
    let mut site = super::Site { sections: builder.sections, pages: site_pages };
    attach_assets(&mut site, assets, options.content_dir);
    check_collisions(&site, options.content_dir, &mut builder.problems);
    super::aliases::check(&site, options.content_dir, &mut builder.problems);
    check_asset_folders(&site, options.content_dir, &mut builder.problems);
    if !builder.problems.is_empty() {
        return Err(builder.problems);
    }
    drop_drafts(&mut site, options.drafts);
    sort(&mut site);
    Ok(site)
}

/// `index.md` files that stand for their folder's section rather than a page bundle.
///
/// Handbooks written for GitHub or MkDocs put `index.md` beside the folder's other pages as the
/// folder's landing page. Read as a bundle, it would claim the same URL as the section those
/// pages make; so when its folder holds other markdown and no `_index.md`, it is the section's
/// index.
fn folder_indexes(files: &[ReadFile]) -> HashSet<PathBuf> {
    let mut has_markdown: HashSet<&Path> = HashSet::new();
    let mut has_section_index: HashSet<&Path> = HashSet::new();
    for file in files {
        let folder = file.relative.parent().unwrap_or(Path::new(""));
        if file.relative.file_name().is_some_and(|n| n == "_index.md") {
            has_section_index.insert(folder);
        }
        // A bundle's own `index.md` does not make its folder a section; anything else does.
        let first = if is_bundle_index(&file.relative) { folder.parent() } else { Some(folder) };
        has_markdown.extend(std::iter::successors(first, |d| d.parent()));
    }
    files
        .iter()
        .filter(|f| is_bundle_index(&f.relative))
        .filter(|f| {
            let folder = f.relative.parent().expect("bundle has a folder");
            has_markdown.contains(folder) && !has_section_index.contains(folder)
        })
        .map(|f| f.relative.clone())
        .collect()
}

struct Builder<'a> {
    options: &'a LoadOptions<'a>,
    problems: Vec<Diagnostic>,
    sections: Vec<Section>,
    by_dir: BTreeMap<PathBuf, usize>,
}

impl Builder<'_> {
    fn check_ambiguous_bundles(&mut self, indexes: &[ReadFile], bundles: &HashSet<PathBuf>) {
        let mut seen = HashSet::new();
        for index in indexes {
            let dir = index.relative.parent().unwrap_or(Path::new(""));
            if !seen.insert(dir) {
                let path = display_path(self.options.content_dir, &index.relative);
                self.problems.push(
                    Diagnostic::error(path, "this folder has both `index.md` and `_index.md`")
                        .with_help("keep `_index.md` for the section and rename `index.md`"),
                );
            }
            if bundles.contains(dir) {
                let path = display_path(self.options.content_dir, &dir.join("index.md"));
                self.problems.push(
                    Diagnostic::error(
                        path,
                        "a folder cannot be both a section (`_index.md`) and a page (`index.md`)",
                    )
                    .with_help("rename `index.md` to another name, or remove `_index.md`"),
                );
            }
        }
    }

    /// The section for `dir`, creating it and its ancestors on first use.
    fn section(&mut self, dir: &Path, indexes: &mut HashMap<PathBuf, ReadFile>) -> usize {
        if let Some(&id) = self.by_dir.get(dir) {
            return id;
        }
        let parent = dir.parent().map(|p| self.section(p, indexes));
        let index = indexes.remove(dir);
        let (meta, title, source, file) = match index {
            Some(f) => (f.meta, f.title, f.source, Some(f.relative)),
            None => {
                let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or("Home");
                (FrontMatter::default(), super::title_case(name), Source::default(), None)
            }
        };
        let (path, gate) = match parent {
            Some(p) => {
                let last = meta.slug.clone().unwrap_or_else(|| slug_of(dir));
                let path = format!("{}{}/", self.sections[p].path, last);
                let gate = self.gate(&meta, self.sections[p].gate, file.as_deref(), &source.text);
                (path, gate)
            }
            None => (String::new(), meta.gate),
        };
        let id = self.sections.len();
        self.sections.push(Section {
            dir: dir.to_path_buf(),
            file,
            title,
            path,
            gate,
            parent,
            subsections: Vec::new(),
            pages: Vec::new(),
            assets: Vec::new(),
            body: Default::default(),
            meta,
            source,
        });
        if let Some(p) = parent {
            self.sections[p].subsections.push(id);
        }
        self.by_dir.insert(dir.to_path_buf(), id);
        id
    }

    /// The effective gate of content inside a section gated by `outer`.
    fn gate(&mut self, meta: &FrontMatter, outer: Gate, file: Option<&Path>, text: &str) -> Gate {
        if meta.gate.is_looser_than(outer)
            && let (Some(position), Some(file)) = (meta.tier_position, file)
        {
            let path = display_path(self.options.content_dir, file);
            self.problems.push(
                Diagnostic::error(path, "this `tier` is looser than its section's: a page cannot loosen its section's tier")
                    .at(text, position)
                    .with_help("remove the `tier` line, or name the section's tier or a higher one"),
            );
        }
        meta.gate.narrowed_by(outer)
    }

    fn page(
        &mut self,
        file: ReadFile,
        indexes: &mut HashMap<PathBuf, ReadFile>,
        id: usize,
    ) -> Option<Page> {
        let bundle = is_bundle_index(&file.relative);
        let folder = file.relative.parent().unwrap_or(Path::new(""));
        let section_dir = if bundle { folder.parent().unwrap_or(Path::new("")) } else { folder };
        let section = self.section(section_dir, indexes);
        let last = match &file.meta.slug {
            Some(slug) => slug.clone(),
            None if bundle => slug_of(folder),
            None => slug_of(&file.relative.with_extension("")),
        };
        let path = format!("{}{}/", self.sections[section].path, last);
        let gate = self.gate(
            &file.meta,
            self.sections[section].gate,
            Some(&file.relative),
            &file.source.text,
        );
        self.sections[section].pages.push(id);
        Some(Page {
            file: file.relative,
            title: file.title,
            meta: file.meta,
            path,
            gate,
            section,
            assets: Vec::new(),
            body: Default::default(),
            plain_text: None,
            source: file.source,
        })
    }
}

/// Gives each asset to the page or section whose folder holds it: a bundle `name/index.md`,
/// a page `name.md` with a folder `name/` beside it, or else the nearest section.
fn attach_assets(site: &mut super::Site, assets: Vec<PathBuf>, content_dir: &Path) {
    let page_folders: HashMap<PathBuf, usize> =
        site.pages.iter().enumerate().map(|(i, p)| (p.asset_folder(), i)).collect();
    let section_folders: HashMap<PathBuf, usize> =
        site.sections.iter().enumerate().map(|(i, s)| (s.dir.clone(), i)).collect();
    for relative in assets {
        let owner = relative.ancestors().skip(1).find_map(|folder| {
            let page = page_folders.get(folder).map(|&p| Node::Page(p));
            page.or_else(|| section_folders.get(folder).map(|&s| Node::Section(s)))
                .map(|n| (n, folder))
        });
        let Some((owner, folder)) = owner else { continue };
        let name = relative
            .strip_prefix(folder)
            .expect("an ancestor")
            .to_string_lossy()
            .replace('\\', "/");
        let asset = Asset { source: content_dir.join(&relative), name };
        match owner {
            Node::Page(p) => site.pages[p].assets.push(asset),
            Node::Section(s) => site.sections[s].assets.push(asset),
            Node::Program(_) => {}
        }
    }
}

/// A folder's files must belong to one owner, and no file may be published inside the URL
/// folder of a page or section that fewer tiers may see: either would publish gated files to
/// tiers that cannot see their page.
fn check_asset_folders(site: &super::Site, content_dir: &Path, problems: &mut Vec<Diagnostic>) {
    let mut claimed: HashMap<PathBuf, &Path> = HashMap::new();
    let section_dirs: HashSet<&Path> = site.sections.iter().map(|s| s.dir.as_path()).collect();
    for page in &site.pages {
        let folder = page.asset_folder();
        let other = claimed.insert(folder.clone(), &page.file);
        let is_section = !page.is_bundle() && section_dirs.contains(folder.as_path());
        let rival = other.map(Path::to_path_buf).or_else(|| is_section.then(|| folder.clone()));
        if let Some(rival) = rival {
            problems.push(
                Diagnostic::error(
                    display_path(content_dir, &page.file),
                    format!(
                        "the folder `{}` belongs both to this page and to `{}`",
                        display_path(content_dir, &folder).display(),
                        display_path(content_dir, &rival).display()
                    ),
                )
                .with_help("rename the page or the folder so each folder has one owner"),
            );
        }
    }
    let gates: HashMap<&str, (Gate, &Path)> = site
        .pages
        .iter()
        .map(|p| (p.path.as_str(), (p.gate, p.file.as_path())))
        .chain(site.sections.iter().map(|s| (s.path.as_str(), (s.gate, s.dir.as_path()))))
        .collect();
    let owners = site
        .pages
        .iter()
        .map(|p| (p.gate, &p.path, &p.assets))
        .chain(site.sections.iter().map(|s| (s.gate, &s.path, &s.assets)));
    for (gate, owner_path, assets) in owners {
        for asset in assets {
            let output = format!("{owner_path}{}", asset.name);
            let inside = output
                .match_indices('/')
                .map(|(at, _)| &output[..=at])
                .filter(|folder| folder.len() > owner_path.len())
                .find_map(|folder| gates.get(folder).filter(|(g, _)| gate.is_looser_than(*g)));
            if let Some((_, stricter)) = inside {
                problems.push(
                    Diagnostic::error(
                        &asset.source,
                        format!(
                            "this file would be published at `/{output}`, inside `{}`, which fewer tiers may see",
                            display_path(content_dir, stricter).display()
                        ),
                    )
                    .with_help("move the file beside the page it belongs to, or rename its folder"),
                );
            }
        }
    }
}

/// The folder under which every tier's tag pages live.
pub const TAGS: &str = "tags";

/// The folder of the page the intake service sends partners to after a referral. It is
/// reserved even without an `intake_url`, so setting one later cannot break a build.
pub const REFERRAL_RECEIVED: &str = "referral-received";

/// The folder of every tier's search page.
pub const SEARCH: &str = "search";

/// Top-level URL folders the build fills itself, and what it puts there.
pub(super) const RESERVED: &[(&str, &str)] = &[
    (TAGS, "the tag pages"),
    (REFERRAL_RECEIVED, "the page shown after a referral is sent"),
    (SEARCH, "the search page"),
    (crate::search::FOLDER, "the search index"),
    (crate::markdown::ProgramPage::Terms.folder(), "the program terms page"),
    (crate::markdown::ProgramPage::Directory.folder(), "the partner directory"),
];

fn check_collisions(site: &super::Site, content_dir: &Path, problems: &mut Vec<Diagnostic>) {
    let mut seen: HashMap<&str, PathBuf> = HashMap::new();
    let sections = site.sections.iter().map(|s| {
        let front = s.file.as_ref().map(|_| (&s.meta, &*s.source.text));
        (&s.path, s.file.clone().unwrap_or_else(|| s.dir.clone()), front)
    });
    let pages =
        site.pages.iter().map(|p| (&p.path, p.file.clone(), Some((&p.meta, &*p.source.text))));
    for (path, file, front) in sections.chain(pages) {
        problems.extend(reserved(path, &file, front, content_dir));
        if let Some(first) = seen.insert(path, file.clone()) {
            problems.push(
                Diagnostic::error(
                    display_path(content_dir, &file),
                    format!(
                        "`{}` and this file both want the URL `/{path}`",
                        display_path(content_dir, &first).display()
                    ),
                )
                .with_help("rename one of them, or give one a different `slug`"),
            );
        }
    }
}

/// The problem with a page or section whose URL falls in a [`RESERVED`] folder. It points at
/// the `slug` when that chose the URL, else at the file's first line.
fn reserved(
    path: &str,
    file: &Path,
    front: Option<(&FrontMatter, &str)>,
    content_dir: &Path,
) -> Option<Diagnostic> {
    let first = path.split('/').next()?;
    let (folder, owner) = RESERVED.iter().find(|(folder, _)| *folder == first)?;
    let problem = Diagnostic::error(
        display_path(content_dir, file),
        format!("the URL `/{path}` is taken by {owner}"),
    )
    .with_help(format!("rename the `{folder}` folder or page, or give it another `slug`"));
    let Some((meta, text)) = front else { return Some(problem) };
    let top_level = path.trim_end_matches('/') == first;
    let slug = meta.slug_position.filter(|_| top_level);
    Some(problem.at(text, slug.unwrap_or(Position::new(1, 1))))
}

/// Removes drafts (and everything in draft sections) unless drafts were asked for.
fn drop_drafts(site: &mut super::Site, keep: bool) {
    if keep {
        return;
    }
    let draft_section: Vec<bool> = {
        let mut flags = vec![false; site.sections.len()];
        for (i, s) in site.sections.iter().enumerate() {
            flags[i] = s.meta.draft || s.parent.is_some_and(|p| flags[p]);
        }
        flags
    };
    let hidden: Vec<bool> =
        site.pages.iter().map(|p| p.meta.draft || draft_section[p.section]).collect();
    for section in &mut site.sections {
        section.pages.retain(|&p| !hidden[p]);
    }
    for (i, section) in site.sections.iter_mut().enumerate() {
        if draft_section[i] {
            section.subsections.clear();
            section.pages.clear();
        }
    }
    // Drafts stay in `pages` so indices remain valid; they are unreachable from any section.
    for (page, hidden) in site.pages.iter_mut().zip(hidden) {
        if hidden {
            page.gate = Gate::Nobody;
        }
    }
    for (i, section) in site.sections.iter_mut().enumerate() {
        if draft_section[i] {
            section.gate = Gate::Nobody;
        }
    }
}

/// Listing order: weight (unweighted last), then newest first, then title.
fn sort(site: &mut super::Site) {
    let pages = &site.pages;
    for section in &mut site.sections {
        section.pages.sort_by(|&a, &b| {
            let (a, b) = (&pages[a], &pages[b]);
            let weight = |p: &Page| p.meta.weight.unwrap_or(i64::MAX);
            weight(a)
                .cmp(&weight(b))
                .then_with(|| {
                    b.meta
                        .date
                        .as_ref()
                        .map(|d| d.timestamp)
                        .cmp(&a.meta.date.as_ref().map(|d| d.timestamp))
                })
                .then_with(|| a.title.cmp(&b.title))
        });
    }
    let order: Vec<(i64, String)> = site
        .sections
        .iter()
        .map(|s| (s.meta.weight.unwrap_or(i64::MAX), s.title.clone()))
        .collect();
    for section in &mut site.sections {
        section.subsections.sort_by(|&a, &b| order[a].cmp(&order[b]));
    }
}
