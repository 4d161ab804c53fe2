//! The tier's `sitemap.xml`: every page and section the tier can see, with when it last
//! changed. Alias redirects are not pages and are left out.

use super::context::SitemapEntry;
use super::{OutputFile, RenderError, Renderer, TierView};
use crate::content::PageDate;

/// The W3C date (`YYYY-MM-DD`) a sitemap's `lastmod` takes.
fn w3c_date(date: &PageDate) -> String {
    date.date.to_string()
}

/// Each section's newest `updated` or `date` among the pages this tier sees in it and the
/// sections below it, by section index. A gated page never moves a lower tier's date.
fn section_dates<'s>(view: &TierView<'s>) -> Vec<Option<&'s PageDate>> {
    let site = view.site;
    let mut newest: Vec<Option<&PageDate>> = vec![None; site.sections.len()];
    for page in view.pages().map(|p| &site.pages[p]) {
        let Some(changed) = page.meta.last_changed() else { continue };
        let mut section = Some(page.section);
        while let Some(s) = section {
            if newest[s].is_none_or(|d| d.timestamp < changed.timestamp) {
                newest[s] = Some(changed);
            }
            section = site.sections[s].parent;
        }
    }
    newest
}

impl Renderer<'_> {
    pub(super) fn sitemap(&self) -> Result<(OutputFile, u64), RenderError> {
        let view = self.view;
        let pages = view.pages().map(|p| {
            let page = &view.site.pages[p];
            SitemapEntry {
                loc: view.base.absolute(&page.path),
                lastmod: page.meta.last_changed().map(w3c_date),
            }
        });
        let newest = section_dates(view);
        let sections = view.sections().map(|s| SitemapEntry {
            loc: view.base.absolute(&view.site.sections[s].path),
            lastmod: newest[s].map(w3c_date),
        });
        let generated = super::program_pages::pages(view)
            .map(|page| SitemapEntry { loc: view.base.absolute(page.path()), lastmod: None });
        let mut entries: Vec<SitemapEntry> = sections.chain(pages).chain(generated).collect();
        entries.sort_by(|a, b| a.loc.cmp(&b.loc));
        let mut inputs = self.inputs();
        inputs.put("entries", &entries);
        self.plain("sitemap.xml", "sitemap.xml", inputs)
    }
}
