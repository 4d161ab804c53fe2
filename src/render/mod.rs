//! Rendering one tier: filter the site to what the tier may see, then turn pages, listings,
//! tag pages and the per-tier extras into files in memory.
//!
//! Everything a template receives is built from the tier's [`TierView`], which only ever hands
//! out visible pages and sections; that is what keeps gated content out of lower tiers.

mod context;
mod feed;
mod inputs;
pub mod program_pages;
mod redirects;
mod sitemap;
mod view;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use rayon::prelude::*;
use tera::Value;

use crate::content::{Page, Site};
use crate::markdown::{Fill, Node, ProgramPage};
pub use crate::output::{Contents, OutputFile};
use crate::program::Program;
use crate::site_url::BaseUrl;
use crate::theme::Theme;
use crate::tier::Tier;
use context::*;
use inputs::Inputs;
pub use view::TierView;

/// Everything one tier's site consists of.
#[derive(Debug)]
pub struct TierOutput {
    pub tier: String,
    /// Sorted by path.
    pub files: Vec<OutputFile>,
    pub pages: usize,
    /// The fingerprint of each rendered file's inputs, so a later render can reuse it.
    fingerprints: HashMap<String, u64>,
    /// The pages and section listings a partner can search, by path; [`crate::search`]
    /// indexes them. `None` when the program turned search off.
    pub(crate) searchable: Option<Vec<String>>,
    /// The fingerprint of the pages the files under `pagefind/` were indexed from; `None`
    /// before the first index.
    pub(crate) search_fingerprint: Option<u64>,
}

impl TierOutput {
    /// The bytes rendered for `path` last time, if its inputs had this fingerprint.
    fn reusable(&self, path: &str, fingerprint: u64) -> Option<Arc<Vec<u8>>> {
        if self.fingerprints.get(path) != Some(&fingerprint) {
            return None;
        }
        let at = self.files.binary_search_by(|f| f.path.as_str().cmp(path)).ok()?;
        match &self.files[at].contents {
            Contents::Bytes(bytes) => Some(bytes.clone()),
            Contents::Copy(_) => None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("cannot render {what} with template `{template}`:\n{reason}")]
    Template { what: String, template: String, reason: String },
    #[error(
        "two files of tier `{tier}` want the path `{path}`{}\n  \
         help: give the page or file another name or `slug`",
        match other { Some(other) => format!(" (it clashes with `{other}`)"), None => String::new() }
    )]
    Conflict { tier: String, path: String, other: Option<String> },
    #[error(
        "the path `{path}` of tier `{tier}` has a name longer than file systems allow\n  \
         help: give the page a shorter `slug`, or rename the file"
    )]
    NameTooLong { tier: String, path: String },
}

/// What one tier's render works from.
pub struct TierJob<'a> {
    pub theme: &'a Theme,
    pub program: &'a Program,
    pub site: &'a Site,
    pub tier: &'a Tier,
    pub base: &'a BaseUrl,
    /// The tier's previous render: files whose inputs did not change are reused from it.
    pub previous: Option<&'a TierOutput>,
}

/// Renders the whole site of one tier, in memory.
pub fn render_tier(job: &TierJob<'_>) -> Result<TierOutput, RenderError> {
    let mut files = Vec::new();
    let rendered = render_tier_into(job, &mut |batch| {
        files.extend(batch);
        Ok::<_, RenderError>(())
    })?;
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(TierOutput {
        tier: job.tier.id.clone(),
        files,
        pages: rendered.pages,
        fingerprints: rendered.fingerprints,
        searchable: rendered.searchable,
        search_fingerprint: None,
    })
}

/// How many pages render before they are handed on: enough to keep every core busy, few enough
/// that a tier written as it renders never holds all its pages.
const BATCH: usize = 64;

/// What [`render_tier_into`] tells besides the files it hands on.
pub struct TierRender {
    pub pages: usize,
    fingerprints: HashMap<String, u64>,
    searchable: Option<Vec<String>>,
}

/// Renders the whole site of one tier and hands its files to `sink` in batches, pages as they
/// render. Two files that want one path are found only once all are rendered, so a sink that
/// writes must be able to take back what it wrote, as [`crate::output::Staging`] does.
pub fn render_tier_into<E: From<RenderError>>(
    job: &TierJob<'_>,
    sink: &mut dyn FnMut(Vec<OutputFile>) -> Result<(), E>,
) -> Result<TierRender, E> {
    let view = TierView::new(job.site, job.tier, job.base.clone());
    let renderer = Renderer::new(job, &view);
    let mut paths = Vec::new();
    let mut fingerprints = HashMap::new();
    let mut hand_on = |batch: Vec<(OutputFile, u64)>| {
        let files = batch.into_iter().map(|(file, fingerprint)| {
            fingerprints.insert(file.path.clone(), fingerprint);
            file
        });
        hand_on_files(sink, &mut paths, files.collect())
    };
    let ids: Vec<usize> = view.pages().collect();
    for batch in ids.chunks(BATCH) {
        hand_on(batch.par_iter().map(|&id| renderer.page(id)).collect::<Result<_, _>>()?)?;
    }
    let sections: Vec<usize> = view.sections().collect();
    let mut rest: Vec<(OutputFile, u64)> =
        sections.par_iter().map(|&id| renderer.section(id)).collect::<Result<_, _>>()?;
    rest.extend(renderer.program_pages()?);
    // Pages and section listings are what a partner searches; tag pages only list them again.
    let searchable = job.program.search.then(|| {
        let pages = view.pages().map(|id| page_file(&view.site.pages[id]));
        pages.chain(rest.iter().map(|(f, _)| f.path.clone())).collect()
    });
    rest.extend(renderer.tags()?);
    rest.push(renderer.plain("404.html", "404.html", renderer.inputs())?);
    if job.program.search {
        let search_page = format!("{}/index.html", crate::content::SEARCH);
        rest.push(renderer.plain(&search_page, "search.html", renderer.inputs())?);
    }
    // Where the intake service sends a partner after a form post; without an intake, nothing
    // would link to it.
    if job.program.intake_url.is_some() {
        let path = format!("{}/index.html", crate::content::REFERRAL_RECEIVED);
        rest.push(renderer.plain(&path, "referral-received.html", renderer.inputs())?);
    }
    rest.push(renderer.sitemap()?);
    rest.extend(renderer.feed()?);
    rest.extend(renderer.redirects()?);
    rest.push(renderer.plain("robots.txt", "robots.txt", renderer.inputs())?);
    hand_on(rest)?;
    hand_on_files(sink, &mut paths, view.assets().collect())?;
    // Content files come before theme files, so a site's own file replaces the theme's.
    let content_paths: HashSet<&str> = paths.iter().map(String::as_str).collect();
    let theme_files: Vec<OutputFile> =
        job.theme.static_files().filter(|f| !content_paths.contains(f.path.as_str())).collect();
    hand_on_files(sink, &mut paths, theme_files)?;
    paths.sort();
    check_conflicts(&job.tier.id, &paths)?;
    Ok(TierRender { pages: ids.len(), fingerprints, searchable })
}

/// The file a page is written to, in its tier's site.
fn page_file(page: &Page) -> String {
    format!("{}index.html", page.path)
}

fn hand_on_files<E>(
    sink: &mut dyn FnMut(Vec<OutputFile>) -> Result<(), E>,
    paths: &mut Vec<String>,
    files: Vec<OutputFile>,
) -> Result<(), E> {
    paths.extend(files.iter().map(|f| f.path.clone()));
    sink(files)
}

/// What a path is on the most forgiving file systems: case does not count (macOS, Windows),
/// nor does how an accented letter is composed (macOS), nor trailing dots and spaces in a name
/// (Windows drops them). Two paths with one key are one file there.
fn collision_key(path: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let parts: Vec<String> = path
        .split('/')
        .map(|part| part.trim_end_matches(['.', ' ']).nfc().collect::<String>().to_lowercase())
        .collect();
    parts.join("/")
}

/// Two files at one path, or a file where another needs a folder, would make one overwrite or
/// block the other.
fn check_conflicts(tier: &str, sorted: &[String]) -> Result<(), RenderError> {
    let conflict = |path: &str, other: Option<&str>| RenderError::Conflict {
        tier: tier.to_string(),
        path: path.to_string(),
        other: other.map(str::to_string),
    };
    let mut seen: HashMap<String, &str> = HashMap::new();
    for path in sorted {
        if let Some(other) = seen.insert(collision_key(path), path) {
            return Err(conflict(path, (other != path).then_some(other)));
        }
    }
    // Most file systems allow names of at most 255 bytes.
    if let Some(path) = sorted.iter().find(|p| p.split('/').any(|part| part.len() > 255)) {
        return Err(RenderError::NameTooLong { tier: tier.to_string(), path: path.clone() });
    }
    let files: HashSet<&str> = sorted.iter().map(String::as_str).collect();
    for path in sorted {
        let mut folder = path.as_str();
        while let Some((parent, _)) = folder.rsplit_once('/') {
            if files.contains(parent) {
                return Err(conflict(parent, Some(path)));
            }
            folder = parent;
        }
    }
    Ok(())
}

struct Renderer<'a> {
    theme: &'a Theme,
    program: &'a Program,
    view: &'a TierView<'a>,
    previous: Option<&'a TierOutput>,
    /// Values every template gets, built once per tier.
    shared: Inputs,
    /// Each section's listing as a page's `section` sees it, built once per tier: building it
    /// per page made a section of n pages cost n² summaries.
    page_sections: Vec<Option<PageSection<'a>>>,
}

/// A section as its pages' templates see it: hashed at once, made a tera value only when one
/// of its pages is rendered.
struct PageSection<'a> {
    context: SectionContext<'a>,
    fingerprint: u64,
    value: std::sync::OnceLock<Value>,
}

impl PageSection<'_> {
    fn value(&self) -> &Value {
        self.value.get_or_init(|| Value::from_serializable(&self.context))
    }
}

impl<'a> Renderer<'a> {
    fn new(job: &TierJob<'a>, view: &'a TierView<'a>) -> Self {
        let program = job.program;
        let mut shared = Inputs::new();
        shared.mix(job.theme.fingerprint());
        shared.put(
            "program",
            &ProgramContext {
                name: &program.name,
                contact: &program.contact,
                intake_url: program.intake_url.as_deref(),
                response_sla_hours: program.response_sla_hours,
                response_sla: crate::program::duration_text(program.response_sla_hours),
                commission: CommissionContext::new(&program.commission),
            },
        );
        shared.put("tier", view.tier);
        shared.put(
            "site",
            &SiteContext {
                base_path: view.base.path().to_string(),
                base_url: view.base.absolute(""),
                referral_url: view
                    .referral_page()
                    .map(|p| view.base.link(&view.site.pages[p].path)),
                tags_url: view.base.link("tags/"),
                search_url: program
                    .search
                    .then(|| view.base.link(&format!("{}/", crate::content::SEARCH))),
                feed_url: view.has_feed().then(|| view.base.link(feed::FEED_FILE)),
                terms_url: view.base.link(ProgramPage::Terms.path()),
                directory_url: view
                    .admits(Node::Program(ProgramPage::Directory))
                    .then(|| view.base.link(ProgramPage::Directory.path())),
                generator: concat!("portico ", env!("CARGO_PKG_VERSION")),
            },
        );
        let mut nav = view.nav();
        nav.extend(program_pages::pages(view).map(|page| NavItem {
            title: program_pages::title(page).to_string(),
            url: view.base.link(page.path()),
            path: page.path().to_string(),
        }));
        shared.put("nav", &nav);
        shared.put("current", "");
        let mut renderer = Renderer {
            theme: job.theme,
            program,
            view,
            previous: job.previous,
            shared,
            page_sections: Vec::new(),
        };
        renderer.page_sections = (0..view.site.sections.len())
            .map(|id| {
                view.admits(Node::Section(id)).then(|| {
                    let context = renderer.section_context(id);
                    let mut inputs = Inputs::new();
                    inputs.hash("section", &context);
                    PageSection {
                        context,
                        fingerprint: inputs.fingerprint(),
                        value: Default::default(),
                    }
                })
            })
            .collect();
        renderer
    }

    fn inputs(&self) -> Inputs {
        Inputs::extending(&self.shared)
    }

    /// Renders `template` for `path`, or reuses the previous render when its inputs match.
    fn render(
        &self,
        path: String,
        template: &str,
        mut inputs: Inputs,
        what: impl Fn() -> String,
    ) -> Result<(OutputFile, u64), RenderError> {
        self.finish(path, template, &mut inputs, |_| {}, what)
    }

    /// Like [`Renderer::render`], with `complete` adding to the context what the fingerprint
    /// already covers in another form (a page's filled-in body).
    fn finish(
        &self,
        path: String,
        template: &str,
        inputs: &mut Inputs,
        complete: impl FnOnce(&mut Inputs),
        what: impl Fn() -> String,
    ) -> Result<(OutputFile, u64), RenderError> {
        inputs.mix(template);
        let fingerprint = inputs.fingerprint();
        if let Some(bytes) = self.previous.and_then(|p| p.reusable(&path, fingerprint)) {
            return Ok((OutputFile { path, contents: Contents::Bytes(bytes) }, fingerprint));
        }
        complete(inputs);
        let html = self.theme.tera.render(template, inputs.context()).map_err(|e| {
            RenderError::Template {
                what: what(),
                template: template.to_string(),
                reason: crate::theme::describe_error(&e),
            }
        })?;
        let contents = Contents::Bytes(html.into_bytes().into());
        Ok((OutputFile { path, contents }, fingerprint))
    }

    fn plain(
        &self,
        path: &str,
        template: &str,
        inputs: Inputs,
    ) -> Result<(OutputFile, u64), RenderError> {
        self.render(path.to_string(), template, inputs, || format!("`{path}`"))
    }

    fn page(&self, id: usize) -> Result<(OutputFile, u64), RenderError> {
        let view = self.view;
        let page = &view.site.pages[id];
        let mut inputs = self.inputs();
        let mut context = self.page_context(page);
        inputs.hash("page", &context);
        // The body's HTML is fixed by the rendered markdown and how this tier fills its links.
        inputs.mix(page.body.fingerprint);
        for (target, _) in page.body.targets_with_offsets() {
            let url = view.url(target);
            if url.is_none() {
                tracing::debug!(
                    "`content/{}`: the link to `/{}` is plain text in tier `{}`, which cannot see it",
                    page.file.display(),
                    view.site.path(target.node),
                    view.tier.id
                );
            }
            inputs.mix(url);
        }
        // Hash first and build the tera context only for a page that must be rendered again.
        let breadcrumbs = view.breadcrumbs(page.section);
        let (previous, next) = view.neighbours(id);
        let (previous, next) = (previous.map(|p| view.link(p)), next.map(|p| view.link(p)));
        let current = view.top_level_path(page.section);
        inputs.hash("breadcrumbs", &breadcrumbs);
        inputs.hash("previous", &previous);
        inputs.hash("next", &next);
        inputs.hash("current", current);
        let section = self.listing(page.section);
        inputs.mix(section.fingerprint);
        let template = page.meta.template.as_ref().map_or("page.html", |(t, _)| t.as_str());
        let fill = |inputs: &mut Inputs| {
            context.content = page.body.fill(view);
            inputs.put_unhashed("page", &context);
            inputs.put_unhashed("breadcrumbs", &breadcrumbs);
            inputs.put_unhashed("previous", &previous);
            inputs.put_unhashed("next", &next);
            inputs.put_unhashed("current", current);
            inputs.put_value_unhashed("section", section.value().clone());
        };
        let what = || format!("`content/{}`", page.file.display());
        self.finish(page_file(page), template, &mut inputs, fill, what)
    }

    /// A page's context without its body, which [`Renderer::page`] fills in only when needed.
    fn page_context<'p>(&self, page: &'p Page) -> PageContext<'p> {
        let (date, date_display) = date_fields(page.meta.date.as_ref());
        let (updated, updated_display) = date_fields(page.meta.updated.as_ref());
        PageContext {
            title: &page.title,
            description: page.meta.description.as_deref(),
            summary: &page.body.summary,
            url: self.view.base.link(&page.path),
            permalink: self.view.base.absolute(&page.path),
            path: &page.path,
            content: String::new(),
            date,
            date_display,
            updated,
            updated_display,
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

    /// A section's listing without its intro, which [`Renderer::section`] fills in when needed.
    fn section_context(&self, id: usize) -> SectionContext<'a> {
        let view = self.view;
        let section = &view.site.sections[id];
        SectionContext {
            title: &section.title,
            description: section.meta.description.as_deref(),
            url: view.base.link(&section.path),
            path: &section.path,
            content: String::new(),
            pages: view.section_pages(id).map(|p| view.summary(p)).collect(),
            subsections: view.subsections(id).map(|s| view.subsection_summary(s)).collect(),
            feed_url: view
                .section_pages(id)
                .any(|p| feed::is_dated(&view.site.pages[p]))
                .then(|| view.base.link(feed::FEED_FILE)),
            extra: &section.meta.extra,
        }
    }

    /// A visible section's listing, built once per tier.
    fn listing(&self, id: usize) -> &PageSection<'a> {
        self.page_sections[id].as_ref().expect("only visible sections are rendered or shown")
    }

    fn section(&self, id: usize) -> Result<(OutputFile, u64), RenderError> {
        let view = self.view;
        let section = &view.site.sections[id];
        let listing = self.listing(id);
        let mut inputs = self.inputs();
        // The listing without its intro is fingerprinted already; the intro is fixed by its
        // rendered markdown and how this tier fills its links.
        inputs.mix(listing.fingerprint);
        inputs.mix(section.body.fingerprint);
        for (target, _) in section.body.targets_with_offsets() {
            inputs.mix(view.url(target));
        }
        inputs.put("current", view.top_level_path(id));
        inputs.put("breadcrumbs", &section.parent.map(|p| view.breadcrumbs(p)).unwrap_or_default());
        let fill = |inputs: &mut Inputs| {
            let mut context = listing.context.clone();
            context.content = section.body.fill(view);
            inputs.put_unhashed("section", &context);
        };
        let (template, path) = match section.parent {
            None => (
                section.meta.template.as_ref().map_or("home.html", |(t, _)| t.as_str()),
                "index.html".to_string(),
            ),
            Some(_) => (
                section.meta.template.as_ref().map_or("section.html", |(t, _)| t.as_str()),
                format!("{}index.html", section.path),
            ),
        };
        let what = || match &section.file {
            Some(file) => format!("`content/{}`", file.display()),
            None => format!("the section `{}`", section.path),
        };
        self.finish(path, template, &mut inputs, fill, what)
    }

    fn tags(&self) -> Result<Vec<(OutputFile, u64)>, RenderError> {
        let view = self.view;
        let tags = view.tags();
        let mut files = Vec::with_capacity(tags.len() + 1);
        let mut inputs = self.inputs();
        let links: Vec<TagLink> = tags
            .values()
            .map(|(name, pages)| TagLink { count: pages.len(), ..view.tag_link(name) })
            .collect();
        inputs.put("tags", &links);
        files.push(self.plain("tags/index.html", "tags.html", inputs)?);
        for (slug, (name, pages)) in &tags {
            let mut inputs = self.inputs();
            let summaries: Vec<PageSummary> = pages.iter().map(|&p| view.summary(p)).collect();
            inputs.put("tag", &serde_json::json!({ "name": name }));
            inputs.put("pages", &summaries);
            files.push(self.plain(&format!("tags/{slug}/index.html"), "tag.html", inputs)?);
        }
        Ok(files)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_a_forgiving_file_system_would_merge_share_a_key() {
        assert_eq!(collision_key("Guide/index.html"), collision_key("guide/index.html"));
        assert_eq!(collision_key("guide. /index.html"), collision_key("guide/index.html"));
        assert_eq!(collision_key("caf\u{e9}/a.pdf"), collision_key("cafe\u{301}/a.pdf"));
        assert_ne!(collision_key("guide-1/index.html"), collision_key("guide/index.html"));
    }
}
