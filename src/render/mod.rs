//! Rendering one tier: filter the site to what the tier may see, then turn pages, listings,
//! tag pages and the per-tier extras into files in memory.
//!
//! Everything a template receives is built from the tier's [`TierView`], which only ever hands
//! out visible pages and sections; that is what keeps gated content out of lower tiers.

mod context;
mod view;

use std::collections::BTreeMap;
use std::path::PathBuf;

use rayon::prelude::*;
use tera::{Context, Value};

use crate::content::{Page, Site};
use crate::markdown::Fill;
use crate::program::Program;
use crate::site_url::BaseUrl;
use crate::theme::Theme;
use crate::tier::Tier;
use context::*;
pub use view::TierView;

/// A file of a tier's site, relative to the tier's folder with `/` separators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    pub path: String,
    pub contents: Contents,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Contents {
    Bytes(Vec<u8>),
    /// A file copied as it is (co-located assets, theme static files).
    Copy(PathBuf),
}

/// Everything one tier's site consists of.
#[derive(Debug)]
pub struct TierOutput {
    pub tier: String,
    pub files: Vec<OutputFile>,
    pub pages: usize,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot render {what} with template `{template}`:\n{reason}")]
pub struct RenderError {
    pub what: String,
    pub template: String,
    pub reason: String,
}

/// Renders the whole site of one tier.
pub fn render_tier(
    theme: &Theme,
    program: &Program,
    site: &Site,
    tier: &Tier,
    base: &BaseUrl,
) -> Result<TierOutput, RenderError> {
    let view = TierView::new(site, tier, base.clone());
    let renderer = Renderer::new(theme, program, &view);
    let mut files: Vec<OutputFile> = view
        .pages()
        .collect::<Vec<_>>()
        .par_iter()
        .map(|&id| renderer.page(id))
        .collect::<Result<_, _>>()?;
    let pages = files.len();
    for id in view.sections() {
        files.push(renderer.section(id)?);
    }
    files.extend(renderer.tags()?);
    files.push(renderer.plain("404.html", "404.html", renderer.base_context())?);
    files.push(renderer.sitemap()?);
    files.push(renderer.plain("robots.txt", "robots.txt", renderer.base_context())?);
    files.extend(view.assets());
    files.extend(theme.static_files());
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files.dedup_by(|later, earlier| later.path == earlier.path);
    Ok(TierOutput { tier: tier.id.clone(), files, pages })
}

struct Renderer<'a> {
    theme: &'a Theme,
    view: &'a TierView<'a>,
    /// Values every template gets, built once per tier.
    shared: Context,
    /// Each visible section's listing as a page's `section` sees it, built once per tier:
    /// building it per page made a section of n pages cost n² summaries.
    page_sections: Vec<Option<Value>>,
}

impl<'a> Renderer<'a> {
    fn new(theme: &'a Theme, program: &'a Program, view: &'a TierView<'a>) -> Self {
        let mut shared = Context::new();
        shared.insert(
            "program",
            &ProgramContext {
                name: &program.name,
                contact: &program.contact,
                intake_url: program.intake_url.as_deref(),
                response_sla_hours: program.response_sla_hours,
                commission: &program.commission,
            },
        );
        shared.insert("tier", view.tier);
        shared.insert(
            "site",
            &SiteContext {
                base_path: view.base.path().to_string(),
                base_url: view.base.absolute(""),
                referral_url: view
                    .referral_page()
                    .map(|p| view.base.link(&view.site.pages[p].path)),
                tags_url: view.base.link("tags/"),
                generator: concat!("portico ", env!("CARGO_PKG_VERSION")),
            },
        );
        shared.insert("nav", &view.nav());
        shared.insert("current", "");
        let mut renderer = Renderer { theme, view, shared, page_sections: Vec::new() };
        let mut page_sections = vec![None; view.site.sections.len()];
        for id in view.sections() {
            let section = renderer.section_context(id, false);
            page_sections[id] = Some(Value::from_serializable(&section));
        }
        renderer.page_sections = page_sections;
        renderer
    }

    fn base_context(&self) -> Context {
        self.shared.clone()
    }

    fn render(
        &self,
        template: &str,
        context: &Context,
        what: impl Fn() -> String,
    ) -> Result<Vec<u8>, RenderError> {
        // Every tier's files are held until all tiers have rendered, and tera's buffer grows by
        // doubling: trimming the slack keeps a large site's peak memory near its output size.
        let trimmed = |html: String| {
            let mut bytes = html.into_bytes();
            bytes.shrink_to_fit();
            bytes
        };
        self.theme.tera.render(template, context).map(trimmed).map_err(|e| RenderError {
            what: what(),
            template: template.to_string(),
            reason: crate::theme::describe_error(&e),
        })
    }

    fn plain(
        &self,
        path: &str,
        template: &str,
        context: Context,
    ) -> Result<OutputFile, RenderError> {
        let contents = self.render(template, &context, || format!("`{path}`"))?;
        Ok(OutputFile { path: path.to_string(), contents: Contents::Bytes(contents) })
    }

    fn page(&self, id: usize) -> Result<OutputFile, RenderError> {
        let view = self.view;
        let page = &view.site.pages[id];
        for (target, _) in page.body.targets_with_offsets().filter(|(t, _)| !view.admits(t.node)) {
            tracing::debug!(
                "`content/{}`: the link to `/{}` is plain text in tier `{}`, which cannot see it",
                page.file.display(),
                view.site.path(target.node),
                view.tier.id
            );
        }
        let mut context = self.base_context();
        context.insert("page", &self.page_context(page));
        context.insert("breadcrumbs", &view.breadcrumbs(page.section));
        let (previous, next) = view.neighbours(id);
        context.insert("previous", &previous.map(|p| view.link(p)));
        context.insert("next", &next.map(|p| view.link(p)));
        let section = match &self.page_sections[page.section] {
            Some(section) => section.clone(),
            None => Value::from_serializable(&self.section_context(page.section, false)),
        };
        context.insert_value("section", section);
        context.insert("current", view.top_level_path(page.section));
        let template = page.meta.template.as_ref().map_or("page.html", |(t, _)| t.as_str());
        let contents =
            self.render(template, &context, || format!("`content/{}`", page.file.display()))?;
        Ok(OutputFile {
            path: format!("{}index.html", page.path),
            contents: Contents::Bytes(contents),
        })
    }

    fn page_context<'p>(&self, page: &'p Page) -> PageContext<'p> {
        let (date, date_display) = date_fields(page);
        PageContext {
            title: &page.title,
            description: page.meta.description.as_deref(),
            summary: &page.body.summary,
            url: self.view.base.link(&page.path),
            permalink: self.view.base.absolute(&page.path),
            path: &page.path,
            content: page.body.fill(self.view),
            date,
            date_display,
            tags: page.meta.tags.iter().map(|t| self.view.tag_link(t)).collect(),
            draft: page.meta.draft,
            subject: page.meta.subject.as_deref(),
            plain_text: page
                .plain_text
                .as_ref()
                .map(|text| text.fill(&|t| self.view.absolute_url(t))),
            client: page.meta.client.as_deref(),
            industry: page.meta.industry.as_deref(),
            services: &page.meta.services,
            outcome: page.meta.outcome.as_deref(),
            toc: &page.body.headings,
            extra: &page.meta.extra,
        }
    }

    fn section_context(&self, id: usize, with_content: bool) -> SectionContext<'a> {
        let view = self.view;
        let section = &view.site.sections[id];
        SectionContext {
            title: &section.title,
            description: section.meta.description.as_deref(),
            url: view.base.link(&section.path),
            path: &section.path,
            content: if with_content { section.body.fill(view) } else { String::new() },
            pages: view.section_pages(id).map(|p| view.summary(p)).collect(),
            subsections: view.subsections(id).map(|s| view.subsection_summary(s)).collect(),
            extra: &section.meta.extra,
        }
    }

    fn section(&self, id: usize) -> Result<OutputFile, RenderError> {
        let view = self.view;
        let section = &view.site.sections[id];
        let mut context = self.base_context();
        context.insert("section", &self.section_context(id, true));
        context.insert("current", view.top_level_path(id));
        context.insert(
            "breadcrumbs",
            &section.parent.map(|p| view.breadcrumbs(p)).unwrap_or_default(),
        );
        let (template, path) = match section.parent {
            None => ("home.html", "index.html".to_string()),
            Some(_) => (
                section.meta.template.as_ref().map_or("section.html", |(t, _)| t.as_str()),
                format!("{}index.html", section.path),
            ),
        };
        let what = || match &section.file {
            Some(file) => format!("`content/{}`", file.display()),
            None => format!("the section `{}`", section.path),
        };
        let contents = self.render(template, &context, what)?;
        Ok(OutputFile { path, contents: Contents::Bytes(contents) })
    }

    fn tags(&self) -> Result<Vec<OutputFile>, RenderError> {
        let view = self.view;
        let tags: BTreeMap<String, Vec<usize>> = view.tags();
        let mut files = Vec::with_capacity(tags.len() + 1);
        let mut context = self.base_context();
        let links: Vec<TagLink> = tags
            .iter()
            .map(|(name, pages)| TagLink { count: pages.len(), ..view.tag_link(name) })
            .collect();
        context.insert("tags", &links);
        files.push(self.plain("tags/index.html", "tags.html", context)?);
        for (name, pages) in &tags {
            let mut context = self.base_context();
            let summaries: Vec<PageSummary> = pages.iter().map(|&p| view.summary(p)).collect();
            context.insert("tag", &Value::from_serializable(&serde_json::json!({ "name": name })));
            context.insert("pages", &summaries);
            let path = format!("tags/{}/index.html", view::tag_slug(name));
            files.push(self.plain(&path, "tag.html", context)?);
        }
        Ok(files)
    }

    fn sitemap(&self) -> Result<OutputFile, RenderError> {
        let view = self.view;
        let pages = view.pages().map(|p| {
            let page = &view.site.pages[p];
            SitemapEntry { loc: view.base.absolute(&page.path), lastmod: date_fields(page).0 }
        });
        let sections = view.sections().map(|s| SitemapEntry {
            loc: view.base.absolute(&view.site.sections[s].path),
            lastmod: None,
        });
        let mut entries: Vec<SitemapEntry> = sections.chain(pages).collect();
        entries.sort_by(|a, b| a.loc.cmp(&b.loc));
        let mut context = self.base_context();
        context.insert("entries", &entries);
        self.plain("sitemap.xml", "sitemap.xml", context)
    }
}

impl TierView<'_> {
    /// The absolute URL of a target, when this tier can see it.
    fn absolute_url(&self, target: &crate::markdown::Target) -> Option<String> {
        self.admits(target.node).then(|| {
            self.base.absolute(&format!("{}{}", self.site.path(target.node), target.suffix))
        })
    }
}

impl Fill for TierView<'_> {
    fn url(&self, target: &crate::markdown::Target) -> Option<String> {
        self.admits(target.node)
            .then(|| self.base.link(&format!("{}{}", self.site.path(target.node), target.suffix)))
    }
}
