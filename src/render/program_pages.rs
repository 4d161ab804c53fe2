//! Pages made from `partners.yaml` rather than content: the program's terms (the tier
//! comparison, the response SLA, the attribution rule and the commission schedule with its
//! calculator) in every tier, and the partner directory in the tiers the program lists.
//!
//! What a tier sees follows the program's settings: its own terms and those of the tiers
//! below it, the tiers above only with `compare_tiers: all`, and the directory only where
//! `directory.tiers` names it.

use std::collections::BTreeSet;

use rust_decimal::Decimal;
use serde::Serialize;

use super::TierView;
use super::{RenderError, Renderer};
use crate::markdown::{Node, ProgramPage};
use crate::output::OutputFile;
use crate::program::{Partner, Program};
use crate::tier::Tier;

/// The fees per referral the commission examples and the calculator start from.
const EXAMPLE_FEES: u32 = 25_000;

#[derive(Serialize)]
struct TermsContext<'a> {
    /// The tiers this tier may compare, highest first.
    tiers: Vec<TierTerms<'a>>,
    /// How long a registration protects the partner who made it: `365 days`.
    attribution_window: String,
    /// The first won referral of the year counts as this one in this tier.
    commission_starts_at: u32,
    /// The year's commission for a few counts of referrals at [`EXAMPLE_FEES`] each.
    examples: Vec<Example>,
    example_fees: String,
    example_fees_amount: String,
}

#[derive(Serialize)]
struct TierTerms<'a> {
    id: &'a str,
    name: &'a str,
    current: bool,
    benefits: &'a [String],
    review: Option<&'a str>,
    commission: Option<&'a str>,
    /// The band the tier's year starts in, when it has a head start.
    starts_in_band: Option<String>,
    support: Option<&'a str>,
    move_up: Option<&'a str>,
}

#[derive(Serialize)]
struct Example {
    referrals: u32,
    commission: String,
    /// The same as a plain decimal, for comparing with the calculator.
    amount: String,
}

#[derive(Serialize)]
struct DirectoryContext<'a> {
    partners: Vec<DirectoryEntry<'a>>,
    /// Every service offered or referred, for the filter.
    services: BTreeSet<&'a str>,
    regions: BTreeSet<&'a str>,
}

#[derive(Serialize)]
struct DirectoryEntry<'a> {
    firm: &'a str,
    offers: &'a [String],
    refers: &'a [String],
    regions: &'a [String],
    /// What it offers and what it refers, for the service filter.
    services: Vec<&'a str>,
    contact: Option<&'a crate::program::Contact>,
    since: Option<&'a str>,
}

/// The program pages the tier of `view` gets ([`TierView::admits`] decides).
pub fn pages<'v>(view: &'v TierView<'_>) -> impl Iterator<Item = ProgramPage> + 'v {
    ProgramPage::ALL.into_iter().filter(|page| view.admits(Node::Program(*page)))
}

/// How the navigation names a program page.
pub fn title(page: ProgramPage) -> &'static str {
    match page {
        ProgramPage::Terms => "Tiers & commission",
        ProgramPage::Directory => "Partner directory",
    }
}

impl Renderer<'_> {
    /// The program terms page, and the directory where the tier sees it.
    pub(super) fn program_pages(&self) -> Result<Vec<(OutputFile, u64)>, RenderError> {
        let (program, tier) = (self.program, self.view.tier);
        let mut files = Vec::new();
        for page in pages(self.view) {
            let mut inputs = self.inputs();
            let template = match page {
                ProgramPage::Terms => {
                    inputs.put("terms", &terms(program, tier));
                    "program-terms.html"
                }
                ProgramPage::Directory => {
                    inputs.put("directory", &directory(&program.partners));
                    "partner-directory.html"
                }
            };
            inputs.put("current", page.path());
            files.push(self.plain(&format!("{}index.html", page.path()), template, inputs)?);
        }
        Ok(files)
    }
}

fn terms<'a>(program: &'a Program, tier: &'a Tier) -> TermsContext<'a> {
    let schedule = &program.commission;
    let tiers = program
        .tiers
        .iter()
        .filter(|other| program.compare_all_tiers || other.rank >= tier.rank)
        .map(|other| TierTerms {
            id: &other.id,
            name: &other.name,
            current: other.id == tier.id,
            benefits: &other.benefits,
            review: other.review.as_deref(),
            commission: other.commission.as_deref(),
            starts_in_band: (other.commission_starts_at > 1)
                .then(|| schedule.band_at(other.commission_starts_at))
                .flatten()
                .map(|band| crate::commission::percent(band.rate)),
            support: other.support.as_deref(),
            move_up: other.move_up.as_deref(),
        })
        .collect();
    let fees = Decimal::from(EXAMPLE_FEES);
    let examples = example_counts(program, tier.commission_starts_at)
        .into_iter()
        .map(|referrals| {
            let amount = schedule.estimate(referrals, fees, tier.commission_starts_at);
            Example {
                referrals,
                commission: schedule.currency.format(amount),
                amount: schedule.currency.plain(amount),
            }
        })
        .collect();
    TermsContext {
        tiers,
        attribution_window: crate::program::duration_text(program.intake.protection_window_hours),
        commission_starts_at: tier.commission_starts_at,
        examples,
        example_fees: schedule.currency.format(fees),
        example_fees_amount: schedule.currency.plain(fees),
    }
}

/// The counts worth showing: those whose last referral is the first or the last of a band, or
/// one into the open band, for a year whose count starts at `starts_at`.
fn example_counts(program: &Program, starts_at: u32) -> Vec<u32> {
    let mut counts = BTreeSet::from([1]);
    for band in &program.commission.bands {
        let last = band.max_referrals.unwrap_or(band.min_referrals.saturating_add(1));
        for position in [band.min_referrals, last] {
            if position >= starts_at {
                counts.insert(position - starts_at + 1);
            }
        }
    }
    counts.into_iter().collect()
}

fn directory(partners: &[Partner]) -> DirectoryContext<'_> {
    let listed: Vec<&Partner> = partners.iter().filter(|p| p.directory).collect();
    let mut entries: Vec<DirectoryEntry> = listed
        .iter()
        .map(|partner| DirectoryEntry {
            firm: &partner.firm,
            offers: &partner.offers,
            refers: &partner.refers,
            regions: &partner.regions,
            services: partner.offers.iter().chain(&partner.refers).map(String::as_str).collect(),
            contact: partner.contacts.first(),
            since: partner.since.as_deref(),
        })
        .collect();
    entries.sort_by_key(|entry| entry.firm.to_lowercase());
    let services =
        listed.iter().flat_map(|p| p.offers.iter().chain(&p.refers)).map(String::as_str).collect();
    let regions = listed.iter().flat_map(|p| &p.regions).map(String::as_str).collect();
    DirectoryContext { partners: entries, services, regions }
}
