//! The build pipeline: load → model → per-tier view → render → search index → write.
//!
//! Nothing is written until every tier has rendered, so a failing build leaves the previous
//! output as it was.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::content::{self, LoadOptions, Site};
use crate::diagnostic::{Diagnostic, suggest};
use crate::output::{self, OutputError, Scope, WriteReport};
use crate::program::{self, Program};
use crate::render::{self, RenderError, TierOutput};
use crate::search::{self, SearchError};
use crate::site_url::BaseUrl;
use crate::theme::Theme;
use crate::tier::Tier;

/// What `portico build` was asked to do.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// The folder holding `partners.yaml`, `content/` and `themes/`.
    pub root: PathBuf,
    pub output: PathBuf,
    /// Tier ids to build; empty means every tier.
    pub tiers: Vec<String>,
    /// Replaces the program's base URL (and every tier's own).
    pub base_url: Option<String>,
    pub drafts: bool,
    /// Report broken links, missing anchors and links into hidden tiers as warnings instead of
    /// stopping the build.
    pub allow_broken_links: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("{}", summarize(.0))]
    Invalid(Vec<Diagnostic>),
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error(transparent)]
    Search(#[from] SearchError),
    #[error(transparent)]
    Output(#[from] OutputError),
}

fn summarize(problems: &[Diagnostic]) -> String {
    let errors = problems.iter().filter(|d| d.is_error()).count();
    match errors {
        1 => "the build stopped on 1 error".to_string(),
        n => format!("the build stopped on {n} errors"),
    }
}

/// The loaded and validated input, independent of tier.
pub struct Model {
    pub program: Program,
    pub site: Site,
    pub theme: Theme,
    pub warnings: Vec<Diagnostic>,
}

/// Loads `partners.yaml`, `content/` and the theme, reporting every problem at once.
pub fn load(root: &Path, drafts: bool) -> Result<Model, BuildError> {
    load_with(root, drafts, &mut content::Cache::default(), false)
}

/// Like [`load`], keeping every page's links to other sites for `check --external`. A large
/// site has a great many (135,000 in the 1,107 pages of the bench corpus), so other loads let
/// them go.
pub fn load_with_external_links(root: &Path, drafts: bool) -> Result<Model, BuildError> {
    load_with(root, drafts, &mut content::Cache::default(), true)
}

/// Like [`load`], re-reading and re-rendering only the content files that changed since the
/// load that filled `cache`.
pub fn load_cached(
    root: &Path,
    drafts: bool,
    cache: &mut content::Cache,
) -> Result<Model, BuildError> {
    load_with(root, drafts, cache, false)
}

fn load_with(
    root: &Path,
    drafts: bool,
    cache: &mut content::Cache,
    external_links: bool,
) -> Result<Model, BuildError> {
    let program = program::load(&root.join("partners.yaml")).map_err(|p| invalid(root, p))?;
    let theme = Theme::load(root, &program.theme);
    let options = LoadOptions {
        content_dir: &root.join("content"),
        tiers: &program.tiers,
        drafts,
        external_links,
    };
    let loaded = content::load_cached(&options, cache);
    let (theme, loaded) = match (theme, loaded) {
        (Ok(theme), Ok(loaded)) => (theme, loaded),
        (theme, loaded) => {
            let mut problems = theme.err().unwrap_or_default();
            problems.extend(loaded.err().unwrap_or_default());
            return Err(invalid(root, problems));
        }
    };
    let missing = missing_templates(&loaded.site, &theme, &options);
    if !missing.is_empty() {
        return Err(invalid(root, missing));
    }
    let warnings = loaded.warnings.into_iter().map(|w| w.relative_to(root)).collect();
    tracing::debug!(
        "read {} pages in {} sections; theme `{}` has templates {}",
        loaded.site.pages.len(),
        loaded.site.sections.len(),
        program.theme,
        theme.template_names().join(", ")
    );
    Ok(Model { program, site: loaded.site, theme, warnings })
}

fn invalid(root: &Path, problems: Vec<Diagnostic>) -> BuildError {
    let mut problems: Vec<Diagnostic> = problems.into_iter().map(|d| d.relative_to(root)).collect();
    problems.sort_by(|a, b| (&a.path, a.position).cmp(&(&b.path, b.position)));
    BuildError::Invalid(problems)
}

/// Pages and sections that name a template the theme does not have.
fn missing_templates(site: &Site, theme: &Theme, options: &LoadOptions<'_>) -> Vec<Diagnostic> {
    let pages = site.pages.iter().map(|p| (&p.meta, Some(&p.file)));
    let sections = site.sections.iter().map(|s| (&s.meta, s.file.as_ref()));
    pages
        .chain(sections)
        .filter_map(|(meta, file)| {
            let (name, position) = meta.template.as_ref()?;
            if theme.has_template(name) {
                return None;
            }
            let file = file?;
            let text = std::fs::read_to_string(options.content_dir.join(file)).unwrap_or_default();
            let display = Path::new("content").join(file);
            let names = theme.template_names();
            let help = suggest(name, names.iter().copied(), |all| {
                format!("use one of the theme's templates: {all}")
            });
            Some(
                Diagnostic::error(display, format!("template `{name}` not found in the theme"))
                    .at(text.trim_start_matches('\u{feff}'), *position)
                    .with_help(help),
            )
        })
        .collect()
}

/// The base URL a tier's site is served under.
pub fn tier_base_url(program: &Program, tier: &Tier, override_url: Option<&BaseUrl>) -> BaseUrl {
    match (override_url, &tier.base_url) {
        (Some(base), _) => base.join(&tier.id),
        (None, Some(own)) => own.clone(),
        (None, None) => program.base_url.join(&tier.id),
    }
}

/// The tiers to build: all, or those named, each checked against `partners.yaml`.
pub fn select_tiers<'a>(
    program: &'a Program,
    wanted: &[String],
) -> Result<Vec<&'a Tier>, BuildError> {
    if wanted.is_empty() {
        return Ok(program.tiers.iter().collect());
    }
    let mut problems = Vec::new();
    let mut tiers = Vec::new();
    for id in wanted {
        match program.tiers.by_id(id) {
            Some(tier) => tiers.push(tier),
            None => {
                let problem =
                    Diagnostic::error("--tier", format!("`{id}` names no tier in partners.yaml"));
                let help = suggest(id, program.tiers.ids(), |all| format!("the tiers are: {all}"));
                problems.push(problem.with_help(help));
            }
        }
    }
    if problems.is_empty() { Ok(tiers) } else { Err(BuildError::Invalid(problems)) }
}

/// Renders the chosen tiers in parallel, all in memory. Files whose inputs are unchanged since
/// `previous` (an earlier render of the same tiers) are reused from it.
pub fn render(
    model: &Model,
    tiers: &[&Tier],
    base_url: Option<&BaseUrl>,
    previous: &[TierOutput],
) -> Result<Vec<TierOutput>, BuildError> {
    let outputs = tiers
        .par_iter()
        .map(|tier| render_one(model, tier, base_url, previous.iter().find(|p| p.tier == tier.id)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(outputs)
}

/// Renders one tier in memory, reusing what `previous` rendered from the same inputs.
fn render_one(
    model: &Model,
    tier: &Tier,
    base_url: Option<&BaseUrl>,
    previous: Option<&TierOutput>,
) -> Result<TierOutput, BuildError> {
    Ok(with_job(model, tier, base_url, previous, render::render_tier)?)
}

/// Calls `render` with the job of rendering `tier`.
fn with_job<T>(
    model: &Model,
    tier: &Tier,
    base_url: Option<&BaseUrl>,
    previous: Option<&TierOutput>,
    render: impl FnOnce(&render::TierJob<'_>) -> T,
) -> T {
    let base = tier_base_url(&model.program, tier, base_url);
    tracing::debug!("tier `{}` is served at {base}", tier.id);
    let job = render::TierJob {
        theme: &model.theme,
        program: &model.program,
        site: &model.site,
        tier,
        base: &base,
        previous,
    };
    render(&job)
}

/// What a build did, for the summary line.
#[derive(Debug)]
pub struct BuildReport {
    /// Tier id and number of pages, in tier order.
    pub tiers: Vec<(String, usize)>,
    pub write: WriteReport,
    pub warnings: Vec<Diagnostic>,
    pub elapsed: Duration,
}

/// Checks every link in every tier built: a broken one stops the build unless it is allowed,
/// and then it is a warning. Load reported broken links once per file; here each is reported
/// with the tiers it is broken in.
/// Returns the build's warnings with those of the links.
fn check_links(
    model: &Model,
    tiers: &[&Tier],
    options: &BuildOptions,
) -> Result<Vec<Diagnostic>, BuildError> {
    let findings = crate::check::per_tier(model, tiers, &options.root.join("content"));
    let mut all = model.warnings.clone();
    all.retain(|w| w.kind != Some(crate::check::BROKEN_LINK));
    let (errors, warnings): (Vec<_>, Vec<_>) = findings.into_iter().partition(|f| f.is_error());
    all.extend(warnings.into_iter().map(|f| f.with_tiers_in_message()));
    let errors = errors.into_iter().map(|f| f.with_tiers_in_message());
    if options.allow_broken_links {
        all.extend(errors.map(|mut d| {
            d.severity = crate::diagnostic::Severity::Warning;
            d
        }));
        return Ok(all);
    }
    let errors: Vec<Diagnostic> = errors
        .map(|d| {
            let help = d.help.clone().unwrap_or_default();
            d.with_help(format!("{help}\n  (or build with --allow-broken-links to publish anyway)"))
        })
        .collect();
    if errors.is_empty() { Ok(all) } else { Err(BuildError::Invalid(errors)) }
}

/// Runs the whole pipeline and writes the output.
pub fn build(options: &BuildOptions) -> Result<BuildReport, BuildError> {
    let started = Instant::now();
    let base_url =
        options.base_url.as_deref().map(BaseUrl::parse).transpose().map_err(|reason| {
            let help = "give a full address such as `http://127.0.0.1:8000/`";
            BuildError::Invalid(vec![Diagnostic::error("--base-url", reason).with_help(help)])
        })?;
    output::prepare(&options.root, &options.output)?;
    let model = load(&options.root, options.drafts)?;
    tracing::debug!("loaded in {} ms", started.elapsed().as_millis());
    let tiers = select_tiers(&model.program, &options.tiers)?;
    let warnings = check_links(&model, &tiers, options)?;
    tracing::debug!("links checked in {} ms", started.elapsed().as_millis());
    let scope = if options.tiers.is_empty() { Scope::Everything } else { Scope::TheseTiers };
    // One tier at a time: each is rendered, staged on disk and let go before the next, so
    // memory holds one tier's files at most, and without search only a batch of its pages.
    // Nothing an earlier build wrote changes until every tier has rendered and the staging is
    // committed.
    let mut staging = output::Staging::begin(&options.output, scope)?;
    let mut built = Vec::with_capacity(tiers.len());
    let mut stale_indexes = Vec::new();
    for tier in &tiers {
        let pages = if model.program.search {
            let mut output = render_one(&model, tier, base_url.as_ref(), None)?;
            search::keep_written(&mut output, &options.output.join(&tier.id));
            // An index to build holds on to the tier's pages (shared, not copied) until it is
            // built.
            stale_indexes.extend(search::stale(&output));
            staging.stage(&output.tier, &output.files)?;
            output.pages
        } else {
            // Nothing needs a page once it is on disk: each batch is staged as it renders.
            with_job(&model, tier, base_url.as_ref(), None, |job| {
                render::render_tier_into(job, &mut |files| -> Result<(), BuildError> {
                    Ok(staging.stage(&tier.id, &files)?)
                })
            })?
            .pages
        };
        built.push((tier.id.clone(), pages));
        tracing::debug!("tier `{}` written in {} ms", tier.id, started.elapsed().as_millis());
    }
    drop(model);
    // Tiers are indexed as many at once as there are cores: each holds its pages' index in
    // memory while it builds, so running more at once costs more memory than it saves time.
    let indexes: Vec<search::Index> =
        stale_indexes.into_par_iter().map(search::build).collect::<Result<_, _>>()?;
    for index in indexes {
        let tier = index.tier().to_string();
        staging.stage(&tier, &index.into_files())?;
    }
    let write = staging.commit()?;
    Ok(BuildReport { tiers: built, write, warnings, elapsed: started.elapsed() })
}
