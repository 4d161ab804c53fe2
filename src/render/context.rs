//! What templates see: serializable views of the program, the tier and its content.
//!
//! Every struct here is built from a [`TierView`](super::TierView), so it can only hold what the
//! tier may see. Theme authors: these field names are the template API.

use serde::Serialize;

use crate::commission::{BandMode, Schedule, percent};
use crate::content::{PageDate, Section};
use crate::markdown::Heading;

#[derive(Serialize)]
pub struct ProgramContext<'a> {
    pub name: &'a str,
    pub contact: &'a str,
    pub intake_url: Option<&'a str>,
    pub response_sla_hours: u32,
    /// The response SLA in words: `24 hours`, `2 days`.
    pub response_sla: String,
    pub commission: CommissionContext,
}

/// The commission schedule as templates show it: amounts formatted in the program's currency,
/// and exact decimal strings for the calculator's script.
#[derive(Serialize)]
pub struct CommissionContext {
    pub currency: &'static str,
    pub currency_symbol: String,
    /// Digits after the decimal point in the currency's smallest unit.
    pub decimals: u32,
    pub bands_apply_to: BandMode,
    pub bands: Vec<BandContext>,
    /// The flat fee per won referral, formatted; `None` when there is none.
    pub flat_fee: Option<String>,
    /// The flat fee as a plain decimal (`250.00`), for scripts.
    pub flat_fee_amount: String,
    pub engagements: Vec<EngagementContext>,
    pub basis: Option<String>,
}

#[derive(Serialize)]
pub struct BandContext {
    pub min_referrals: u32,
    pub max_referrals: Option<u32>,
    /// `15%`.
    pub rate: String,
    /// `0.15`, for scripts.
    pub fraction: String,
}

#[derive(Serialize)]
pub struct EngagementContext {
    pub id: String,
    pub name: String,
    pub rate: Option<String>,
    pub flat_fee: Option<String>,
}

impl CommissionContext {
    pub fn new(schedule: &Schedule) -> Self {
        let currency = &schedule.currency;
        CommissionContext {
            currency: currency.code,
            currency_symbol: currency.symbol.clone(),
            decimals: currency.decimals,
            bands_apply_to: schedule.mode,
            bands: schedule
                .bands
                .iter()
                .map(|band| BandContext {
                    min_referrals: band.min_referrals,
                    max_referrals: band.max_referrals,
                    rate: percent(band.rate),
                    fraction: band.rate.normalize().to_string(),
                })
                .collect(),
            flat_fee: (!schedule.flat_fee.is_zero()).then(|| currency.format(schedule.flat_fee)),
            flat_fee_amount: currency.plain(schedule.flat_fee),
            engagements: schedule
                .engagements
                .iter()
                .map(|e| EngagementContext {
                    id: e.id.clone(),
                    name: e.name.clone(),
                    rate: e.rate.map(percent),
                    flat_fee: e.flat_fee.map(|fee| currency.format(fee)),
                })
                .collect(),
            basis: schedule.basis.clone(),
        }
    }
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
    /// The program terms page: tier comparison, service levels, commission calculator.
    pub terms_url: String,
    /// The partner directory, when the tier sees it.
    pub directory_url: Option<String>,
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
