//! Redirect pages for aliases: each alias of a page or section the tier can see becomes
//! `<alias>/index.html`, which sends the browser on to the page. A tier that cannot see the
//! page gets no redirect, so the alias names nothing there.
//!
//! The page is the theme's `alias.html`: a meta refresh, a canonical link and a plain link,
//! marked `noindex`. It is not listed anywhere: not in the sitemap, navigation or listings.

use serde::Serialize;

use super::{OutputFile, RenderError, Renderer};
use crate::content::FrontMatter;

/// What the `alias.html` template receives as `target`.
#[derive(Serialize)]
pub struct RedirectTarget<'a> {
    pub title: &'a str,
    /// Root-relative, for the refresh and the link.
    pub url: String,
    /// Absolute, for the canonical link.
    pub permalink: String,
}

impl Renderer<'_> {
    pub(super) fn redirects(&self) -> Result<Vec<(OutputFile, u64)>, RenderError> {
        let view = self.view;
        let site = view.site;
        let pages = view.pages().map(|p| &site.pages[p]).map(|p| (&p.meta, &p.title, &p.path));
        let sections =
            view.sections().map(|s| &site.sections[s]).map(|s| (&s.meta, &s.title, &s.path));
        let targets: Vec<(&FrontMatter, &String, &String)> = pages.chain(sections).collect();
        let mut files = Vec::new();
        for (meta, title, path) in targets {
            for alias in &meta.aliases {
                let target = RedirectTarget {
                    title,
                    url: view.base.link(path),
                    permalink: view.base.absolute(path),
                };
                let mut inputs = self.inputs();
                inputs.put("target", &target);
                let file = format!("{}index.html", alias.path);
                files.push(self.plain(&file, "alias.html", inputs)?);
            }
        }
        Ok(files)
    }
}
