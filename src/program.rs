//! `partners.yaml`: the program, its tiers and its partners.
//!
//! The file is read into raw serde structs that reject unknown keys, then validated into the
//! [`Program`] model: tier references resolved to ranks, ids checked for duplicates, URLs and
//! durations parsed. Every problem is reported, not just the first.

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;
use serde_saphyr::Spanned;

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
    pub commission: Vec<CommissionBand>,
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

/// One row of the yearly commission schedule, e.g. 4–10 won referrals earn 15 %.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CommissionBand {
    pub min_referrals: u32,
    pub max_referrals: Option<u32>,
    pub rate: String,
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
    commission: Vec<RawBand>,
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
struct RawBand {
    referrals: Spanned<String>,
    rate: String,
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
        let commission = raw.program.commission.iter().filter_map(|b| self.band(b)).collect();
        let tiers = self.tiers(raw.tiers);
        let partners = self.partners(raw.partners, &tiers);
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

    fn band(&mut self, band: &RawBand) -> Option<CommissionBand> {
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
        Some(CommissionBand { min_referrals, max_referrals, rate: band.rate.clone() })
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
    fn reads_commission_bands() {
        let text = MINIMAL.replace(
            "  contact: a@p.example\n",
            "  contact: a@p.example\n  commission:\n    - referrals: 1-3\n      rate: 10%\n    - referrals: 11+\n      rate: 20%\n",
        );
        let program = parse(Path::new("partners.yaml"), &text).unwrap();
        assert_eq!(program.commission[0].max_referrals, Some(3));
        assert_eq!(program.commission[1].max_referrals, None);
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
