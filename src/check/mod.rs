//! `portico check`: everything `build` validates, plus, tier by tier, where each link leads.
//!
//! A link that works for one tier can be broken for another: the page it points to may be
//! gated above a tier that sees the link. So links are checked in every tier's view of the
//! site, and a finding names the tiers it holds in.

mod external;
mod links;
mod reach;

pub use external::{ExternalOptions, Verdict};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::build::{self, BuildError, Model};
use crate::diagnostic::{Diagnostic, Severity};
use crate::render::TierView;
use crate::tier::Tier;

/// The kind of a link that leads to no page, section or file.
pub const BROKEN_LINK: &str = "broken-link";
/// A link to an `#anchor` that the target page does not have.
pub const BROKEN_ANCHOR: &str = "broken-anchor";
/// A link, in a tier that sees its page, to a page that tier cannot see.
pub const TIER_CROSSING_LINK: &str = "tier-crossing-link";
/// A section a tier may see that has nothing in it for that tier.
pub const EMPTY_SECTION: &str = "empty-section";
/// A page that no listing, navigation or link of its tier leads to.
pub const UNREACHABLE_PAGE: &str = "unreachable-page";
/// An `http(s)` address that answered with an error, or not at all.
pub const BROKEN_EXTERNAL_LINK: &str = "broken-external-link";

/// The error for a link in `path` to `destination` that leads to no page, section or file.
pub fn broken_link(path: &Path, destination: &str) -> Diagnostic {
    Diagnostic::error(path, format!("link to `{destination}` points to no page or file"))
        .with_kind(BROKEN_LINK)
        .with_help(
            "link to a page's `.md` file or to a file beside a page, relative to this file, such \
             as `../checklists/ready.md`",
        )
}

/// What `portico check` was asked to check.
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    pub root: PathBuf,
    /// Tier ids; empty means every tier.
    pub tiers: Vec<String>,
    pub drafts: bool,
    /// Also ask every `http(s)` address pages link to whether it still answers.
    pub external: Option<ExternalOptions>,
}

/// One problem, and the tiers it shows in (empty when it does not depend on the tier).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub kind: &'static str,
    pub severity: &'static str,
    pub path: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub tiers: Vec<String>,
    pub message: String,
    pub help: Option<String>,
    #[serde(skip)]
    pub diagnostic: Diagnostic,
}

impl Finding {
    pub fn new(diagnostic: Diagnostic, tiers: Vec<String>) -> Finding {
        Finding {
            kind: diagnostic.kind.unwrap_or(match diagnostic.severity {
                Severity::Error => "invalid",
                Severity::Warning => "warning",
            }),
            severity: match diagnostic.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            },
            path: diagnostic.path.display().to_string(),
            line: diagnostic.position.map(|p| p.line),
            column: diagnostic.position.map(|p| p.column),
            tiers,
            message: diagnostic.message.clone(),
            help: diagnostic.help.clone(),
            diagnostic,
        }
    }

    pub fn is_error(&self) -> bool {
        self.diagnostic.is_error()
    }

    /// The diagnostic with the tiers named in its message, for output that has no tier field.
    pub fn with_tiers_in_message(self) -> Diagnostic {
        let mut diagnostic = self.diagnostic;
        if !self.tiers.is_empty() {
            let noun = if self.tiers.len() == 1 { "tier" } else { "tiers" };
            diagnostic.message =
                format!("{} (in {noun} {})", diagnostic.message, self.tiers.join(", "));
        }
        diagnostic
    }
}

/// Everything `check` found, in a stable order: by file, line and column.
#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub findings: Vec<Finding>,
    /// The tiers checked, highest first.
    pub tiers: Vec<String>,
}

impl Report {
    pub fn errors(&self) -> usize {
        self.findings.iter().filter(|f| f.is_error()).count()
    }

    pub fn warnings(&self) -> usize {
        self.findings.len() - self.errors()
    }
}

/// Checks the site under `options.root` without writing anything.
pub fn check(options: &CheckOptions) -> Report {
    let load = match options.external {
        Some(_) => build::load_with_external_links,
        None => build::load,
    };
    let model = match load(&options.root, options.drafts) {
        Ok(model) => model,
        Err(error) => return Report { findings: from_build_error(error), tiers: Vec::new() },
    };
    let tiers = match build::select_tiers(&model.program, &options.tiers) {
        Ok(tiers) => tiers,
        Err(error) => return Report { findings: from_build_error(error), tiers: Vec::new() },
    };
    let mut findings: Vec<Finding> = model
        .warnings
        .iter()
        .filter(|w| w.kind != Some(BROKEN_LINK))
        .map(|w| Finding::new(w.clone(), Vec::new()))
        .collect();
    let content_dir = options.root.join("content");
    findings.extend(per_tier(&model, &tiers, &content_dir));
    if let Some(external) = &options.external {
        findings.extend(external_links(&model, &tiers, &content_dir, external));
    }
    match build::render(&model, &tiers, None, &[]) {
        Ok(outputs) => findings.extend(unreachable(&model, &tiers, &outputs, &content_dir)),
        Err(error) => findings.extend(from_build_error(error)),
    }
    findings.sort_by(|a, b| {
        (&a.path, a.line, a.column, a.kind).cmp(&(&b.path, b.line, b.column, b.kind))
    });
    Report { findings, tiers: tiers.iter().map(|t| t.id.clone()).collect() }
}

/// The link and section findings of every tier, each merged across the tiers it holds in.
pub fn per_tier(model: &Model, tiers: &[&Tier], content_dir: &Path) -> Vec<Finding> {
    let mut merged: BTreeMap<Diagnostic, Vec<String>> = BTreeMap::new();
    let mut sources = links::Sources::new(content_dir);
    for tier in tiers {
        let base = build::tier_base_url(&model.program, tier, None);
        let view = TierView::new(&model.site, tier, base);
        for diagnostic in links::in_tier(&view, &mut sources) {
            merged.entry(diagnostic).or_default().push(tier.id.clone());
        }
    }
    merged.into_iter().map(|(diagnostic, tiers)| Finding::new(diagnostic, tiers)).collect()
}

/// Pages that nothing in their tier's rendered site leads to, each with the tiers concerned.
fn unreachable(
    model: &Model,
    tiers: &[&Tier],
    outputs: &[crate::render::TierOutput],
    content_dir: &Path,
) -> Vec<Finding> {
    let mut pages: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    for (tier, output) in tiers.iter().zip(outputs) {
        let view =
            TierView::new(&model.site, tier, build::tier_base_url(&model.program, tier, None));
        for page in reach::unreachable_pages(&view, output) {
            pages.entry(page).or_default().push(tier.id.clone());
        }
    }
    let mut sources = links::Sources::new(content_dir);
    pages
        .into_iter()
        .map(|(page, tiers)| {
            let file = &model.site.pages[page].file;
            let diagnostic = Diagnostic::warning(
                sources.display(file),
                "no listing, navigation or link leads to this page",
            )
            .with_kind(UNREACHABLE_PAGE)
            .with_help("link to it from a page, or use a section template that lists its pages");
            Finding::new(sources.locate(file, 0, diagnostic), tiers)
        })
        .collect()
}

/// A finding for each place that links to an address that failed, with the tiers it shows in.
fn external_links(
    model: &Model,
    tiers: &[&Tier],
    content_dir: &Path,
    options: &ExternalOptions,
) -> Vec<Finding> {
    let mut places: BTreeMap<(String, PathBuf, usize), Vec<String>> = BTreeMap::new();
    for tier in tiers {
        let view =
            TierView::new(&model.site, tier, build::tier_base_url(&model.program, tier, None));
        for place in links::external_in_tier(&view) {
            places.entry(place).or_default().push(tier.id.clone());
        }
    }
    let mut urls: Vec<String> = places.keys().map(|(url, _, _)| url.clone()).collect();
    urls.dedup();
    let verdicts = external::verdicts(urls, options);
    let mut sources = links::Sources::new(content_dir);
    let mut findings = Vec::new();
    for ((url, file, offset), tiers) in places {
        let (severity_error, reason) = match verdicts.get(&url) {
            Some(Verdict::Fine) | None => continue,
            Some(Verdict::Status(status @ (404 | 410))) => {
                (true, format!("answered HTTP {status}"))
            }
            Some(Verdict::Status(status)) => (false, format!("answered HTTP {status}")),
            Some(Verdict::Unreachable(why)) => (false, why.clone()),
        };
        let message = format!("`{url}` {reason}");
        let display = sources.display(&file);
        let diagnostic = if severity_error {
            Diagnostic::error(display, message)
        } else {
            Diagnostic::warning(display, message)
        };
        let diagnostic = diagnostic
            .with_kind(BROKEN_EXTERNAL_LINK)
            .with_help("update the address, or remove the link if the page is gone");
        findings.push(Finding::new(sources.locate(&file, offset, diagnostic), tiers));
    }
    findings
}

fn from_build_error(error: BuildError) -> Vec<Finding> {
    match error {
        BuildError::Invalid(problems) => {
            problems.into_iter().map(|d| Finding::new(d, Vec::new())).collect()
        }
        other => {
            let diagnostic =
                Diagnostic::error(Path::new(""), other.to_string()).with_kind("render");
            vec![Finding::new(diagnostic, Vec::new())]
        }
    }
}
