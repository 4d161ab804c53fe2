//! `partners.yaml`: the program, its tiers and its partners.
//!
//! The file is read into raw serde structs that reject unknown keys, then validated into the
//! [`Program`] model: tier references resolved to ranks, ids checked for duplicates, URLs and
//! durations parsed. Every problem is reported, not just the first.

use std::collections::HashMap;
use std::path::Path;

use rust_decimal::Decimal;
use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::commission::{Band, BandMode, Currency, Engagement, MAX_REFERRALS, Schedule};
use crate::diagnostic::{Diagnostic, suggest};
use crate::site_url::BaseUrl;
use crate::tier::{Tier, Tiers};
use crate::yaml::Fragment;

/// The validated contents of `partners.yaml`.
#[derive(Debug, Clone)]
pub struct Program {
    pub name: String,
    pub base_url: BaseUrl,
    pub contact: String,
    pub intake_url: Option<String>,
    /// Hours within which the firm acknowledges a referral.
    pub response_sla_hours: u32,
    pub intake: IntakeSettings,
    pub commission: Schedule,
    /// Whether a tier's comparison page shows the tiers above it.
    pub compare_all_tiers: bool,
    pub theme: String,
    /// Whether each tier gets a search page and index (`search:`, on unless set to `false`).
    pub search: bool,
    pub tiers: Tiers,
    pub partners: Vec<Partner>,
}

/// How `portico intake` treats referrals: who may post them, how long a registration protects
/// the first partner, and where notifications go.
#[derive(Debug, Clone)]
pub struct IntakeSettings {
    /// Web origins besides the program's and tiers' own that may post referrals.
    pub extra_origins: Vec<BaseUrl>,
    /// Hours during which a client registered by one partner flags later referrals of it.
    pub protection_window_hours: u32,
    pub webhook: Option<WebhookSettings>,
    pub email: Option<EmailSettings>,
}

/// A signed webhook called for each new referral and status change.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    pub url: String,
    /// The environment variable holding the signing secret; secrets never live in git.
    pub secret_env: String,
    /// Whether the payload carries the client's and referrer's personal data or only ids.
    pub personal_data: bool,
}

/// An email to the partner manager for each new referral (status changes go to the webhook).
#[derive(Debug, Clone)]
pub struct EmailSettings {
    pub to: String,
    pub from: String,
    /// The environment variable holding the SMTP URL, such as `smtps://user:pass@host`.
    pub smtp_env: String,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Partner {
    pub id: String,
    pub firm: String,
    pub tier: String,
    pub offers: Vec<String>,
    pub refers: Vec<String>,
    pub regions: Vec<String>,
    pub contacts: Vec<Contact>,
    pub since: Option<String>,
    pub directory: bool,
}

#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    pub name: String,
    pub email: String,
    #[serde(default)]
    pub role: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    program: RawProgram,
    tiers: Vec<RawTier>,
    #[serde(default)]
    partners: Vec<RawPartner>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProgram {
    name: String,
    base_url: Spanned<String>,
    contact: String,
    #[serde(default)]
    intake_url: Option<Spanned<String>>,
    #[serde(default)]
    response_sla: Option<Spanned<String>>,
    #[serde(default)]
    commission: Option<RawCommission>,
    #[serde(default)]
    directory: Option<RawDirectory>,
    #[serde(default)]
    compare_tiers: Option<Spanned<String>>,
    #[serde(default)]
    theme: Option<String>,
    #[serde(default)]
    search: Option<bool>,
    #[serde(default)]
    intake: RawIntake,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawIntake {
    #[serde(default)]
    origins: Vec<Spanned<String>>,
    #[serde(default)]
    protection_window: Option<Spanned<String>>,
    #[serde(default)]
    webhook: Option<RawWebhook>,
    #[serde(default)]
    email: Option<RawEmail>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWebhook {
    url: Spanned<String>,
    #[serde(default)]
    secret_env: Option<String>,
    #[serde(default)]
    personal_data: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEmail {
    #[serde(default)]
    to: Option<String>,
    from: String,
    #[serde(default)]
    smtp_env: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCommission {
    #[serde(default)]
    currency: Option<Spanned<String>>,
    #[serde(default)]
    bands_apply_to: Option<Spanned<String>>,
    #[serde(default)]
    basis: Option<String>,
    #[serde(default)]
    bands: Vec<RawBand>,
    #[serde(default)]
    flat_fee: Option<Spanned<String>>,
    #[serde(default)]
    engagements: Vec<RawEngagement>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBand {
    referrals: Spanned<String>,
    rate: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEngagement {
    id: Spanned<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    rate: Option<Spanned<String>>,
    #[serde(default)]
    flat_fee: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDirectory {
    tiers: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTier {
    id: Spanned<String>,
    name: String,
    #[serde(default)]
    benefits: Vec<String>,
    #[serde(default)]
    review: Option<String>,
    #[serde(default)]
    commission: Option<String>,
    #[serde(default)]
    commission_starts_at: Option<Spanned<u32>>,
    #[serde(default)]
    support: Option<String>,
    #[serde(default)]
    move_up: Option<String>,
    #[serde(default)]
    base_url: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPartner {
    id: Spanned<String>,
    firm: String,
    tier: Spanned<String>,
    #[serde(default)]
    offers: Vec<String>,
    #[serde(default)]
    refers: Vec<String>,
    #[serde(default)]
    regions: Vec<String>,
    #[serde(default)]
    contacts: Vec<Contact>,
    #[serde(default)]
    since: Option<Spanned<String>>,
    #[serde(default)]
    directory: bool,
}

/// A duration of whole hours as people say it: `24 hours`, `1 hour`, `2 days`, `36 hours`.
pub fn duration_text(hours: u32) -> String {
    let plural = |n: u32, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    if hours > 24 && hours.is_multiple_of(24) {
        plural(hours / 24, "day")
    } else {
        plural(hours, "hour")
    }
}

/// Reads and validates `partners.yaml`.
pub fn load(path: &Path) -> Result<Program, Vec<Diagnostic>> {
    let text = std::fs::read(path).map_err(|e| {
        vec![Diagnostic::error(path, format!("cannot read the program file: {e}")).with_help(
            "run portico in a folder that has `partners.yaml`, or pass `--root <folder>`",
        )]
    })?;
    let text = String::from_utf8(text).map_err(|e| vec![Diagnostic::not_utf8(path, &e)])?;
    parse(path, &text)
}

/// Validates the text of a `partners.yaml` file.
pub fn parse(path: &Path, text: &str) -> Result<Program, Vec<Diagnostic>> {
    let yaml = text.strip_prefix('\u{feff}').unwrap_or(text);
    let fragment = Fragment { path, file_text: text, yaml, line_offset: 0 };
    let raw: RawFile = fragment.parse().map_err(|d| vec![d])?;
    Validator { fragment, problems: Vec::new() }.program(raw)
}

struct Validator<'a> {
    fragment: Fragment<'a>,
    problems: Vec<Diagnostic>,
}

impl Validator<'_> {
    fn program(mut self, raw: RawFile) -> Result<Program, Vec<Diagnostic>> {
        let base_url = self.url(&raw.program.base_url);
        let intake_url = raw.program.intake_url.as_ref().map(|u| {
            self.url(u);
            // The form posts to this address and the service serves exactly it, so the two
            // must agree whether or not someone typed a trailing slash.
            u.value.trim().trim_end_matches('/').to_string()
        });
        let response_sla_hours = match &raw.program.response_sla {
            Some(sla) => self.duration_hours(sla),
            None => 24,
        };
        let intake = self.intake(&raw.program.intake, &raw.program.contact);
        let commission = self.commission(raw.program.commission.as_ref());
        let mut tiers = self.tiers(raw.tiers);
        let partners = self.partners(raw.partners, &tiers);
        let directory_tiers = match &raw.program.directory {
            Some(directory) => self.tier_list(&directory.tiers, &tiers),
            None => Vec::new(),
        };
        tiers.show_directory_to(&directory_tiers);
        let compare_all_tiers = self.compare_tiers(raw.program.compare_tiers.as_ref());
        if !self.problems.is_empty() {
            return Err(self.problems);
        }
        Ok(Program {
            name: raw.program.name,
            base_url: base_url.expect("a bad base URL is reported as a problem"),
            contact: raw.program.contact,
            intake_url,
            response_sla_hours,
            intake,
            commission,
            compare_all_tiers,
            theme: raw.program.theme.unwrap_or_else(|| "default".to_string()),
            search: raw.program.search.unwrap_or(true),
            tiers,
            partners,
        })
    }

    fn url(&mut self, url: &Spanned<String>) -> Option<BaseUrl> {
        match BaseUrl::parse(&url.value) {
            Ok(parsed) => Some(parsed),
            Err(reason) => {
                let problem = self.fragment.error_at(&url.referenced, reason);
                self.problems.push(
                    problem.with_help("write a full URL such as `https://partners.example.com/`"),
                );
                None
            }
        }
    }

    fn intake(&mut self, raw: &RawIntake, contact: &str) -> IntakeSettings {
        let extra_origins = raw.origins.iter().filter_map(|origin| self.url(origin)).collect();
        let protection_window_hours = match &raw.protection_window {
            Some(window) => self.duration_hours(window),
            None => 90 * 24,
        };
        let webhook = raw.webhook.as_ref().map(|hook| {
            self.url(&hook.url);
            WebhookSettings {
                url: hook.url.value.clone(),
                secret_env: hook.secret_env.clone().unwrap_or("PORTICO_WEBHOOK_SECRET".into()),
                personal_data: hook.personal_data,
            }
        });
        let email = raw.email.as_ref().map(|email| EmailSettings {
            to: email.to.clone().unwrap_or_else(|| contact.to_string()),
            from: email.from.clone(),
            smtp_env: email.smtp_env.clone().unwrap_or("PORTICO_SMTP_URL".into()),
        });
        IntakeSettings { extra_origins, protection_window_hours, webhook, email }
    }

    fn duration_hours(&mut self, sla: &Spanned<String>) -> u32 {
        let text = sla.value.trim();
        let parsed = if let Some(hours) = text.strip_suffix('h') {
            hours.trim().parse::<u32>().ok()
        } else if let Some(days) = text.strip_suffix('d') {
            days.trim().parse::<u32>().ok().and_then(|d| d.checked_mul(24))
        } else {
            None
        };
        parsed.unwrap_or_else(|| {
            let problem =
                self.fragment.error_at(&sla.referenced, format!("`{text}` is not a duration"));
            self.problems.push(problem.with_help("write hours or days, such as `24h` or `2d`"));
            24
        })
    }

    fn commission(&mut self, raw: Option<&RawCommission>) -> Schedule {
        let currency = match raw.and_then(|c| c.currency.as_ref()) {
            None => Currency::from_code("USD").expect("USD is an ISO 4217 currency"),
            Some(code) => Currency::from_code(code.value.trim()).unwrap_or_else(|| {
                let message = match iso_currency::Currency::from_code(code.value.trim()) {
                    Some(_) => format!("`{}` has no smallest unit to pay in", code.value),
                    None => format!("`{}` is not a currency code", code.value),
                };
                let problem = self.fragment.error_at(&code.referenced, message);
                self.problems.push(
                    problem.with_help("write an ISO 4217 code such as `USD`, `EUR` or `GBP`"),
                );
                Currency::from_code("USD").expect("USD is an ISO 4217 currency")
            }),
        };
        let Some(raw) = raw else {
            return Schedule {
                currency,
                bands: Vec::new(),
                mode: BandMode::ReferralsInBand,
                flat_fee: Decimal::ZERO,
                engagements: Vec::new(),
                basis: None,
            };
        };
        let mode = match &raw.bands_apply_to {
            None => BandMode::ReferralsInBand,
            Some(mode) => BandMode::parse(mode.value.trim()).unwrap_or_else(|| {
                self.not_one_of(mode, "a way to apply bands", &BandMode::NAMES);
                BandMode::ReferralsInBand
            }),
        };
        let bands: Vec<Band> = raw.bands.iter().filter_map(|b| self.band(b)).collect();
        self.check_band_order(&raw.bands, &bands);
        let flat_fee =
            raw.flat_fee.as_ref().map_or(Decimal::ZERO, |fee| self.amount(fee, &currency));
        let mut engagements: Vec<Engagement> = Vec::new();
        for engagement in &raw.engagements {
            if engagements.iter().any(|e| e.id == engagement.id.value) {
                let message = format!("engagement type `{}` is listed twice", engagement.id.value);
                let problem = self.fragment.error_at(&engagement.id.referenced, message);
                self.problems.push(problem.with_help("give each engagement type its terms once"));
                continue;
            }
            engagements.push(Engagement {
                id: engagement.id.value.clone(),
                name: engagement.name.clone().unwrap_or_else(|| engagement.id.value.clone()),
                rate: engagement.rate.as_ref().map(|rate| self.rate(rate)),
                flat_fee: engagement.flat_fee.as_ref().map(|fee| self.amount(fee, &currency)),
            });
        }
        Schedule { currency, bands, mode, flat_fee, engagements, basis: raw.basis.clone() }
    }

    /// Bands must run upwards without gaps or overlaps, and only the last may be open-ended:
    /// otherwise some count of referrals would have no rate, or two.
    fn check_band_order(&mut self, raw: &[RawBand], bands: &[Band]) {
        if bands.len() != raw.len() {
            return;
        }
        if let Some(first) = bands.first().filter(|band| band.min_referrals != 1) {
            let message = format!(
                "the first band starts at {}, so the year's first won referral has no rate",
                first.min_referrals
            );
            let problem = self.fragment.error_at(&raw[0].referrals.referenced, message);
            self.problems.push(problem.with_help("start the first band at 1, such as `1-3`"));
            return;
        }
        for (index, pair) in bands.windows(2).enumerate() {
            let expected = pair[0].max_referrals.map(|max| max.saturating_add(1));
            if expected == Some(pair[1].min_referrals) {
                continue;
            }
            let message = match expected {
                None => "only the last band can be open-ended (`11+`)".to_string(),
                Some(next) => format!(
                    "this band starts at {} but the one before ends at {}",
                    pair[1].min_referrals,
                    next - 1
                ),
            };
            let problem = self.fragment.error_at(&raw[index + 1].referrals.referenced, message);
            self.problems.push(problem.with_help(
                "list the bands from the fewest referrals up, each starting right after the last \
                 ends, such as `1-3`, `4-10`, `11+`",
            ));
            return;
        }
    }

    fn starts_at(&mut self, raw: Option<&Spanned<u32>>) -> u32 {
        let Some(raw) = raw else { return 1 };
        if (1..=MAX_REFERRALS).contains(&raw.value) {
            return raw.value;
        }
        let message = format!("`{}` is not a place in the year's count", raw.value);
        let problem = self.fragment.error_at(&raw.referenced, message);
        self.problems.push(problem.with_help(format!(
            "write the number the year's first won referral counts as, from 1 (no head start) \
             to {MAX_REFERRALS}"
        )));
        1
    }

    fn rate(&mut self, rate: &Spanned<String>) -> Decimal {
        crate::commission::parse_rate(&rate.value).unwrap_or_else(|| {
            let problem =
                self.fragment.error_at(&rate.referenced, format!("`{}` is not a rate", rate.value));
            self.problems.push(
                problem.with_help("write a percentage from 0% to 100%, such as `15%` or `12.5%`"),
            );
            Decimal::ZERO
        })
    }

    fn amount(&mut self, amount: &Spanned<String>, currency: &Currency) -> Decimal {
        crate::commission::parse_amount(&amount.value, currency).unwrap_or_else(|| {
            let problem = self.fragment.error_at(
                &amount.referenced,
                format!("`{}` is not an amount of {}", amount.value, currency.code),
            );
            let help = match currency.decimals {
                0 => "write whole units without grouping, such as `250`".to_string(),
                n => format!("write digits with at most {n} decimals, such as `250` or `250.50`"),
            };
            self.problems.push(problem.with_help(help));
            Decimal::ZERO
        })
    }

    fn not_one_of(&mut self, value: &Spanned<String>, what: &str, names: &[&str]) {
        let message = format!("`{}` is not {what}", value.value);
        let problem = self.fragment.error_at(&value.referenced, message);
        let choices: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
        self.problems.push(problem.with_help(format!("write one of {}", choices.join(", "))));
    }

    fn compare_tiers(&mut self, raw: Option<&Spanned<String>>) -> bool {
        const NAMES: [&str; 2] = ["own-and-below", "all"];
        let Some(raw) = raw else { return false };
        match raw.value.trim() {
            "own-and-below" => false,
            "all" => true,
            _ => {
                self.not_one_of(raw, "a choice of tiers to compare", &NAMES);
                false
            }
        }
    }

    /// Tier ids that must name tiers of the program.
    fn tier_list(&mut self, ids: &[Spanned<String>], tiers: &Tiers) -> Vec<String> {
        let mut listed = Vec::new();
        for id in ids {
            if tiers.by_id(&id.value).is_none() {
                self.problems.push(unknown_tier(&self.fragment, id, tiers));
            } else if !listed.contains(&id.value) {
                listed.push(id.value.clone());
            }
        }
        listed
    }

    fn band(&mut self, band: &RawBand) -> Option<Band> {
        let text = band.referrals.value.trim();
        let range = if let Some(min) = text.strip_suffix('+') {
            min.trim().parse().ok().map(|min| (min, None))
        } else if let Some((min, max)) = text.split_once(['-', '–']) {
            min.trim().parse().ok().zip(max.trim().parse().ok().map(Some))
        } else {
            text.parse().ok().map(|n| (n, Some(n)))
        };
        let Some((min_referrals, max_referrals)) = range else {
            let problem = self.fragment.error_at(
                &band.referrals.referenced,
                format!("`{text}` is not a range of referrals"),
            );
            self.problems
                .push(problem.with_help("write a range such as `1-3`, or `11+` for open-ended"));
            return None;
        };
        let too_many = max_referrals.unwrap_or(min_referrals) > MAX_REFERRALS;
        if min_referrals == 0 || max_referrals.is_some_and(|max| max < min_referrals) || too_many {
            let problem = self.fragment.error_at(
                &band.referrals.referenced,
                format!("`{text}` is not a range of referrals"),
            );
            self.problems.push(problem.with_help(format!(
                "ranges start at 1 or more and run upwards to at most {MAX_REFERRALS}, such as \
                 `4-10`; write `11+` for a band with no end"
            )));
            return None;
        }
        let rate = self.rate(&band.rate);
        Some(Band { min_referrals, max_referrals, rate })
    }

    fn tiers(&mut self, raw: Vec<RawTier>) -> Tiers {
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut tiers = Vec::new();
        for tier in raw {
            if !self.first_use_of_id(&mut seen, &tier.id, "tier", "defined") {
                continue;
            }
            if !is_valid_id(&tier.id.value) {
                self.bad_id(&tier.id, "tier");
            }
            let base_url = tier.base_url.as_ref().and_then(|u| self.url(u));
            tiers.push(Tier {
                id: tier.id.value,
                name: tier.name,
                rank: tiers.len(),
                benefits: tier.benefits,
                review: tier.review,
                commission: tier.commission,
                commission_starts_at: self.starts_at(tier.commission_starts_at.as_ref()),
                support: tier.support,
                move_up: tier.move_up,
                sees_directory: false,
                base_url,
            });
        }
        if tiers.is_empty() {
            self.problems.push(
                Diagnostic::error(self.fragment.path, "the program has no tiers")
                    .with_help("list at least one tier under `tiers:`, highest first"),
            );
        }
        Tiers::new(tiers)
    }

    fn partners(&mut self, raw: Vec<RawPartner>, tiers: &Tiers) -> Vec<Partner> {
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut partners = Vec::new();
        for partner in raw {
            self.first_use_of_id(&mut seen, &partner.id, "partner", "used");
            if !is_valid_id(&partner.id.value) {
                self.bad_id(&partner.id, "partner");
            }
            if tiers.by_id(&partner.tier.value).is_none() {
                self.problems.push(unknown_tier(&self.fragment, &partner.tier, tiers));
            }
            let since = partner.since.as_ref().map(|since| {
                if since.value.parse::<jiff::civil::Date>().is_err() {
                    let problem = self
                        .fragment
                        .error_at(&since.referenced, format!("`{}` is not a date", since.value));
                    self.problems.push(problem.with_help("write the date as YYYY-MM-DD"));
                }
                since.value.clone()
            });
            partners.push(Partner {
                id: partner.id.value,
                firm: partner.firm,
                tier: partner.tier.value,
                offers: partner.offers,
                refers: partner.refers,
                regions: partner.regions,
                contacts: partner.contacts,
                since,
                directory: partner.directory,
            });
        }
        partners
    }

    /// Records the line `id` is written on; `false`, with the duplicate reported, when it was
    /// written before. `what` is the kind of id (`tier`, `partner`), `earlier` how the message
    /// describes the first one (`defined`, `used`).
    fn first_use_of_id(
        &mut self,
        seen: &mut HashMap<String, usize>,
        id: &Spanned<String>,
        what: &str,
        earlier: &str,
    ) -> bool {
        let line = self.fragment.position(&id.referenced).line;
        let Some(first) = seen.insert(id.value.clone(), line) else { return true };
        let message =
            format!("duplicate {what} id `{}` (first {earlier} on line {first})", id.value);
        let problem = self.fragment.error_at(&id.referenced, message);
        self.problems.push(problem.with_help(format!("give each {what} its own id")));
        false
    }

    fn bad_id(&mut self, id: &Spanned<String>, what: &str) {
        let problem = self
            .fragment
            .error_at(&id.referenced, format!("`{}` is not a valid {what} id", id.value));
        self.problems
            .push(problem.with_help(
                "use lowercase letters, digits and hyphens, such as `referral-network`",
            ));
    }
}

/// The error for a `tier:` value that names no tier, with a did-you-mean hint.
pub fn unknown_tier(fragment: &Fragment<'_>, tier: &Spanned<String>, tiers: &Tiers) -> Diagnostic {
    let problem = fragment.error_at(&tier.referenced, format!("unknown tier `{}`", tier.value));
    problem.with_help(suggest(&tier.value, tiers.ids(), |all| {
        format!("use one of the tier ids from partners.yaml: {all}")
    }))
}

fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = "program:\n  name: P\n  base_url: https://p.example/\n  contact: a@p.example\n\
        tiers:\n  - id: gold\n    name: Gold\n  - id: silver\n    name: Silver\n";

    #[test]
    fn reads_a_minimal_program() {
        let program = parse(Path::new("partners.yaml"), MINIMAL).unwrap();
        assert_eq!(program.tiers.ids().collect::<Vec<_>>(), ["gold", "silver"]);
        assert_eq!(program.response_sla_hours, 24);
    }

    #[test]
    fn errors_on_unknown_partner_tier_with_hint() {
        let text = format!("{MINIMAL}partners:\n  - id: a\n    firm: A\n    tier: silvr\n");
        let problems = parse(Path::new("partners.yaml"), &text).unwrap_err();
        assert_eq!(problems[0].message, "unknown tier `silvr`");
        assert_eq!(problems[0].location(), "partners.yaml:13:11");
        assert_eq!(problems[0].help.as_deref(), Some("did you mean `silver`?"));
    }

    #[test]
    fn errors_on_duplicate_partner_id() {
        let partner = "  - id: a\n    firm: A\n    tier: gold\n";
        let text = format!("{MINIMAL}partners:\n{partner}{partner}");
        let problems = parse(Path::new("partners.yaml"), &text).unwrap_err();
        assert_eq!(problems[0].message, "duplicate partner id `a` (first used on line 11)");
        assert_eq!(problems[0].location(), "partners.yaml:14:9");
    }

    #[test]
    fn errors_on_unknown_key_with_hint() {
        let text = MINIMAL.replace("  contact:", "  contcat:");
        let problems = parse(Path::new("partners.yaml"), &text).unwrap_err();
        assert_eq!(problems[0].message, "unknown key `contcat`");
        assert_eq!(problems[0].location(), "partners.yaml:4:3");
        assert_eq!(problems[0].help.as_deref(), Some("did you mean `contact`?"));
    }

    #[test]
    fn reads_the_commission_schedule() {
        let text = MINIMAL.replace(
            "  contact: a@p.example\n",
            "  contact: a@p.example\n  commission:\n    currency: EUR\n    bands_apply_to: whole-year\n    \
             bands:\n      - { referrals: 1-3, rate: 10% }\n      - { referrals: 4+, rate: 12.5% }\n    \
             flat_fee: \"99.50\"\n    engagements:\n      - { id: workshop, flat_fee: 500 }\n",
        );
        let program = parse(Path::new("partners.yaml"), &text).unwrap();
        let schedule = &program.commission;
        assert_eq!(schedule.currency.code, "EUR");
        assert_eq!(schedule.mode, BandMode::WholeYear);
        assert_eq!(schedule.bands[0].max_referrals, Some(3));
        assert_eq!(schedule.bands[1].max_referrals, None);
        assert_eq!(schedule.bands[1].rate, "0.125".parse().unwrap());
        assert_eq!(schedule.flat_fee, "99.50".parse().unwrap());
        assert_eq!(schedule.engagements[0].flat_fee, Some(Decimal::from(500)));
        assert_eq!(schedule.engagements[0].rate, None);
    }

    #[test]
    fn a_head_start_is_a_place_in_the_years_count() {
        for bad in ["0", "4294967295"] {
            let text = MINIMAL.replace(
                "    name: Gold\n",
                &format!("    name: Gold\n    commission_starts_at: {bad}\n"),
            );
            let problems = parse(Path::new("partners.yaml"), &text).unwrap_err();
            let shown = format!("{problems:?}");
            assert!(shown.contains("is not a place in the year's count"), "{bad}: {shown}");
            assert_eq!(problems[0].position.map(|p| p.line), Some(8), "{shown}");
        }
        let text =
            MINIMAL.replace("    name: Gold\n", "    name: Gold\n    commission_starts_at: 4\n");
        let program = parse(Path::new("partners.yaml"), &text).unwrap();
        assert_eq!(program.tiers.by_id("gold").unwrap().commission_starts_at, 4);
    }

    /// Each mistake in a schedule is reported at its line, with what to write instead.
    #[test]
    fn refuses_schedules_that_leave_a_count_without_a_rate() {
        let cases = [
            (
                "bands:\n      - { referrals: 1-3, rate: 10% }\n      - { referrals: 5+, rate: 15% }\n",
                8,
                "starts at 5 but the one before ends at 3",
            ),
            (
                "bands:\n      - { referrals: 1+, rate: 10% }\n      - { referrals: 5+, rate: 15% }\n",
                8,
                "only the last band",
            ),
            ("bands:\n      - { referrals: 0-3, rate: 10% }\n", 7, "`0-3` is not a range"),
            ("bands:\n      - { referrals: 1-3, rate: 10 }\n", 7, "`10` is not a rate"),
            ("bands:\n      - { referrals: 1-3, rate: 110% }\n", 7, "`110%` is not a rate"),
            ("currency: usd dollars\n", 6, "not a currency code"),
            ("flat_fee: 1,000\n", 6, "`1,000` is not an amount of USD"),
            ("bands_apply_to: yearly\n", 6, "write one of `referrals-in-band`, `whole-year`"),
            ("bands:\n      - { referrals: 2-3, rate: 10% }\n", 7, "the first band starts at 2"),
            ("bands:\n      - { referrals: 1-4294967295, rate: 10% }\n", 7, "is not a range"),
            ("bands:\n      - { referrals: 4294967295+, rate: 10% }\n", 7, "is not a range"),
            ("flat_fee: 1000000000000000\n", 6, "is not an amount of USD"),
            ("currency: XAU\n", 6, "`XAU` has no smallest unit"),
        ];
        for (yaml, line, expected) in cases {
            let text = MINIMAL.replace(
                "  contact: a@p.example\n",
                &format!("  contact: a@p.example\n  commission:\n    {yaml}"),
            );
            let problems = parse(Path::new("partners.yaml"), &text).unwrap_err();
            let shown = format!("{problems:?}");
            assert!(shown.contains(expected), "{yaml}: {shown}");
            assert_eq!(problems[0].position.map(|p| p.line), Some(line), "{yaml}: {shown}");
        }
    }

    #[test]
    fn reads_intake_settings_with_defaults() {
        let program = parse(Path::new("partners.yaml"), MINIMAL).unwrap();
        assert_eq!(program.intake.protection_window_hours, 90 * 24);
        assert!(program.intake.webhook.is_none());
        let text = MINIMAL.replace(
            "  contact: a@p.example\n",
            "  contact: a@p.example\n  intake:\n    protection_window: 30d\n    webhook:\n      url: https://hooks.p.example/x\n    email:\n      from: bot@p.example\n",
        );
        let program = parse(Path::new("partners.yaml"), &text).unwrap();
        assert_eq!(program.intake.protection_window_hours, 30 * 24);
        let webhook = program.intake.webhook.unwrap();
        assert_eq!(webhook.secret_env, "PORTICO_WEBHOOK_SECRET");
        assert!(!webhook.personal_data);
        assert_eq!(program.intake.email.unwrap().to, "a@p.example");
    }

    #[test]
    fn errors_on_a_bad_protection_window() {
        let text = MINIMAL.replace(
            "  contact: a@p.example\n",
            "  contact: a@p.example\n  intake:\n    protection_window: soon\n",
        );
        let problems = parse(Path::new("partners.yaml"), &text).unwrap_err();
        assert_eq!(problems[0].message, "`soon` is not a duration");
        assert_eq!(problems[0].location(), "partners.yaml:6:24");
    }
}
