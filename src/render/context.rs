//! What templates see: serializable views of the program, the tier and its content.
//!
//! Every struct here is built from a [`TierView`](super::TierView), so it can only hold what the
//! tier may see. Theme authors: these field names are the template API.

use serde::Serialize;

use crate::content::{PageDate, Section};
use crate::markdown::Heading;
use crate::program::CommissionBand;

#[derive(Serialize)]
pub struct ProgramContext<'a> {
    pub name: &'a str,
    pub contact: &'a str,
    pub intake_url: Option<&'a str>,
    pub response_sla_hours: u32,
    pub commission: &'a [CommissionBand],
}

#[derive(Serialize)]
pub struct SiteContext {
    /// The path the tier is served under, such as `/` or `/partners/active/`.
    pub base_path: String,
    /// The absolute URL of the tier's home page.
    pub base_url: String,
    /// The tier's "Submit a referral" page, when it has one.
    pub referral_url: Option<String>,
    pub tags_url: String,
    /// The tier's search page, unless the program turned search off.
    pub search_url: Option<String>,
    /// The tier's Atom feed, when it has dated pages.
    pub feed_url: Option<String>,
    pub generator: &'static str,
}

#[derive(Serialize, Clone)]
pub struct Link {
    pub title: String,
    pub url: String,
}

#[derive(Serialize)]
pub struct NavItem {
    pub title: String,
    pub url: String,
    /// Site path, so templates can mark the current section.
    pub path: String,
}

#[derive(Serialize)]
pub struct TagLink {
    pub name: String,
    pub url: String,
    pub count: usize,
}

/// A page as it appears in a listing.
#[derive(Serialize, Clone)]
pub struct PageSummary {
    pub title: String,
    pub url: String,
    pub description: String,
    pub date: Option<String>,
    pub date_display: Option<String>,
    pub subject: Option<String>,
    pub client: Option<String>,
    pub industry: Option<String>,
    pub outcome: Option<String>,
}

#[derive(Serialize)]
pub struct PageContext<'a> {
    pub title: &'a str,
    pub description: Option<&'a str>,
    pub summary: &'a str,
    pub url: String,
    pub permalink: String,
    pub path: &'a str,
    pub content: String,
    pub date: Option<String>,
    pub date_display: Option<String>,
    /// When the page last changed, if its front matter says.
    pub updated: Option<String>,
    pub updated_display: Option<String>,
    pub tags: Vec<TagLink>,
    /// Only in `build --drafts`: drafts are left out otherwise.
    pub draft: bool,
    pub subject: Option<&'a str>,
    pub plain_text: Option<String>,
    pub client: Option<&'a str>,
    pub industry: Option<&'a str>,
    pub services: &'a [String],
    pub outcome: Option<&'a str>,
    pub toc: &'a [Heading],
    pub extra: &'a serde_json::Map<String, serde_json::Value>,
}

#[derive(Serialize, Clone)]
pub struct SectionContext<'a> {
    pub title: &'a str,
    pub description: Option<&'a str>,
    pub url: String,
    pub path: &'a str,
    pub content: String,
    pub pages: Vec<PageSummary>,
    pub subsections: Vec<SubsectionSummary>,
    /// The tier's feed, when this section lists pages that are in it.
    pub feed_url: Option<String>,
    pub extra: &'a serde_json::Map<String, serde_json::Value>,
}

#[derive(Serialize, Clone)]
pub struct SubsectionSummary {
    pub title: String,
    pub url: String,
    pub description: String,
    pub page_count: usize,
}

#[derive(Serialize)]
pub struct SitemapEntry {
    pub loc: String,
    pub lastmod: Option<String>,
}

/// A date as `YYYY-MM-DD` and as shown to readers (`22 June 2026`).
pub fn date_fields(date: Option<&PageDate>) -> (Option<String>, Option<String>) {
    match date {
        Some(d) => (Some(d.date.to_string()), Some(d.date.strftime("%-d %B %Y").to_string())),
        None => (None, None),
    }
}

/// The description a listing shows: the front matter's, else the first paragraph, shortened.
pub fn listing_description(description: Option<&str>, summary: &str) -> String {
    if let Some(d) = description {
        return d.to_string();
    }
    const LIMIT: usize = 200;
    if summary.chars().count() <= LIMIT {
        return summary.to_string();
    }
    let cut: String = summary.chars().take(LIMIT).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head);
    format!("{}…", cut.trim_end_matches([',', '.', ';', ':']))
}

pub fn section_description(section: &Section) -> String {
    listing_description(section.meta.description.as_deref(), &section.body.summary)
}
