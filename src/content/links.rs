//! Resolving link destinations in markdown to pages, sections and co-located assets.
//!
//! Authors link to the markdown file (`../checklists/ready.md#fees`), to a co-located file
//! (`results.svg`), to a folder (`../icps/`), or root-relative to a site path (`/icps/`).
//! Links with a scheme (`https:`, `mailto:`) and in-page anchors are left alone.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::path::{Component, Path, PathBuf};

use super::Site;
use crate::markdown::{Node, ProgramPage, Resolve, Target};
use crate::site_url::percent_decode;

/// Lookup tables built once per load and shared by every page's resolver.
pub(super) struct Index {
    files: HashMap<PathBuf, Node>,
    folders: HashMap<PathBuf, Node>,
    assets: HashMap<PathBuf, (Node, String)>,
    paths: HashMap<String, Node>,
}

impl Index {
    pub fn new(site: &Site) -> Index {
        let mut index = Index {
            files: HashMap::new(),
            folders: HashMap::new(),
            assets: HashMap::new(),
            paths: HashMap::new(),
        };
        for (i, section) in site.sections.iter().enumerate() {
            let node = Node::Section(i);
            if let Some(file) = &section.file {
                index.files.insert(file.clone(), node);
            }
            index.folders.insert(section.dir.clone(), node);
            index.paths.insert(section.path.clone(), node);
            for asset in &section.assets {
                index.assets.insert(section.dir.join(&asset.name), (node, asset.name.clone()));
            }
        }
        for (i, page) in site.pages.iter().enumerate() {
            let node = Node::Page(i);
            index.files.insert(page.file.clone(), node);
            index.paths.insert(page.path.clone(), node);
            let folder = page.asset_folder();
            for asset in &page.assets {
                index.assets.insert(folder.join(&asset.name), (node, asset.name.clone()));
            }
            if page.is_bundle() {
                index.folders.insert(folder, node);
            }
        }
        // Their paths are reserved, so no content takes them.
        for page in ProgramPage::ALL {
            index.folders.insert(PathBuf::from(page.folder()), Node::Program(page));
            index.paths.insert(page.path().to_string(), Node::Program(page));
        }
        index
    }
}

/// A hash of everything [`Index`] is built from: two sites with equal fingerprints resolve
/// every link to the same target.
pub(super) fn fingerprint(site: &Site) -> u64 {
    let mut hasher = crate::fingerprint::Hasher::new();
    (site.sections.len(), site.pages.len()).hash(&mut hasher);
    for section in &site.sections {
        (&section.dir, &section.file, &section.path).hash(&mut hasher);
        section.assets.iter().for_each(|a| a.name.hash(&mut hasher));
    }
    for page in &site.pages {
        (&page.file, &page.path).hash(&mut hasher);
        page.assets.iter().for_each(|a| a.name.hash(&mut hasher));
    }
    hasher.finish()
}

/// Resolves the links of one markdown file.
pub(super) struct Resolver<'a> {
    index: &'a Index,
    /// The folder relative links start from.
    folder: PathBuf,
    external_links: bool,
}

impl<'a> Resolver<'a> {
    /// `external_links`: whether the body keeps its links to other sites.
    pub fn new(index: &'a Index, file: &Path, external_links: bool) -> Resolver<'a> {
        let folder = file.parent().unwrap_or(Path::new("")).to_path_buf();
        Resolver { index, folder, external_links }
    }
}

impl Resolve for Resolver<'_> {
    fn resolve(&self, destination: &str) -> Option<Result<Target, ()>> {
        if destination.is_empty() || destination.starts_with('#') || has_scheme(destination) {
            return None;
        }
        let (path, fragment) = match destination.split_once('#') {
            Some((path, fragment)) => (path, format!("#{fragment}")),
            None => (destination, String::new()),
        };
        let path = path.split('?').next().unwrap_or(path);
        let path = percent_decode(path);
        let found = if let Some(site_path) = path.strip_prefix('/') {
            self.site_path(site_path).or_else(|| self.content_path(Path::new(site_path)))
        } else {
            normalize(&self.folder.join(&path)).and_then(|p| self.content_path(&p))
        };
        Some(found.map(|(node, suffix)| Target { node, suffix: suffix + &fragment }).ok_or(()))
    }

    fn keeps_external_links(&self) -> bool {
        self.external_links
    }
}

impl Resolver<'_> {
    fn site_path(&self, path: &str) -> Option<(Node, String)> {
        let trimmed = path.trim_matches('/');
        let key = if trimmed.is_empty() { String::new() } else { format!("{trimmed}/") };
        self.index.paths.get(&key).map(|&node| (node, String::new()))
    }

    fn content_path(&self, path: &Path) -> Option<(Node, String)> {
        if let Some(&node) = self.index.files.get(path) {
            return Some((node, String::new()));
        }
        if let Some((node, name)) = self.index.assets.get(path) {
            return Some((*node, name.clone()));
        }
        self.index.folders.get(path).map(|&node| (node, String::new()))
    }
}

fn has_scheme(destination: &str) -> bool {
    destination.starts_with("//")
        || destination.split_once(':').is_some_and(|(scheme, _)| {
            !scheme.is_empty()
                && scheme.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        })
}

/// Resolves `.` and `..`; `None` when the path climbs out of `content/`.
fn normalize(path: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    return None;
                }
            }
            Component::Normal(part) => out.push(part),
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_schemes_and_plain_paths() {
        assert!(has_scheme("https://a.example"));
        assert!(has_scheme("mailto:a@b.example"));
        assert!(!has_scheme("../a.md"));
        assert!(!has_scheme("a.md"));
    }

    #[test]
    fn normalize_refuses_to_leave_content() {
        assert_eq!(normalize(Path::new("a/../b/./c.md")), Some(PathBuf::from("b/c.md")));
        assert_eq!(normalize(Path::new("../x.md")), None);
    }
}
